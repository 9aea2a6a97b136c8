#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# mira-session.sh [--display] COMMAND [ARG…]
#
# Runs COMMAND inside a private D-Bus session with an unlocked gnome-keyring
# Secret Service, so that libsecret works as on a desktop; with --display
# also under Xvfb (on a display number drawn at random) with the AT-SPI bus
# started. HOME and the XDG directories point into a temporary directory,
# removed afterwards, so that nothing of the user's (or of root's, on CI) is
# read or written.
# Exits with COMMAND's status.

set -eu

display=no
if [ "${1:-}" = "--display" ]; then
  display=yes
  shift
fi
if [ $# -eq 0 ]; then
  echo "usage: $0 [--display] COMMAND [ARG…]" >&2
  exit 2
fi

case "${MIRA_SESSION_STAGE:-}" in
  "")
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mira-session.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/run"
    chmod 700 "$tmp/run"
    status=0
    # The bus and the services it starts write to stderr; COMMAND alone gets
    # stdout (fd 3 until then), which may be a test's TAP stream
    env HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
        XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run" \
        MIRA_SESSION_STAGE=bus MIRA_SESSION_DISPLAY="$display" \
        dbus-run-session -- "$0" "$@" 3>&1 1>&2 || status=$?
    exit $status
    ;;
  bus)
    # The keyring "login" is created with this password and left unlocked;
    # it is the default collection libsecret stores into.
    printf 'mira-session' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 3>&-
    if [ "$MIRA_SESSION_DISPLAY" = yes ]; then
      # A display number of its own, drawn from 1000–30999: Xvfb's own
      # choice (-displayfd alone) starts at 0 each time, so tests starting
      # together, or one starting while another's server shuts down, meet
      # on the same few numbers, and a server going away unlinks the socket
      # file a new one on its number just made. Xvfb exits at once when the
      # number is taken (its sockets are bound exclusively); then draw again.
      # It writes the number to fd 3 once it accepts clients.
      displayfile="$XDG_RUNTIME_DIR/display"
      xvfb=
      for _ in $(seq 20); do
        number=$((1000 + RANDOM % 30000))
        [ -e "/tmp/.X11-unix/X$number" ] && continue
        : >"$displayfile"
        Xvfb ":$number" -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$displayfile" 2>/dev/null &
        xvfb=$!
        for _ in $(seq 200); do
          [ -s "$displayfile" ] && break
          kill -0 "$xvfb" 2>/dev/null || break
          sleep 0.05
        done
        [ -s "$displayfile" ] && break
        kill "$xvfb" 2>/dev/null || true
        wait "$xvfb" 2>/dev/null || true
      done
      if [ ! -s "$displayfile" ]; then
        echo "mira-session.sh: Xvfb did not start" >&2
        exit 1
      fi
      status=0
      env MIRA_SESSION_STAGE=display DISPLAY=":$(head -n 1 "$displayfile")" "$0" "$@" || status=$?
      kill "$xvfb" 2>/dev/null || true
      wait "$xvfb" 2>/dev/null || true
      exit $status
    fi
    exec env -u MIRA_SESSION_STAGE -u MIRA_SESSION_DISPLAY "$@" 1>&3 3>&-
    ;;
  display)
    /usr/libexec/at-spi-bus-launcher --launch-immediately 3>&- &
    launcher=$!
    # Ready once it answers on the session bus
    for _ in $(seq 50); do
      if dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus \
           org.a11y.Bus.GetAddress >/dev/null 2>&1; then
        break
      fi
      sleep 0.1
    done
    status=0
    env -u MIRA_SESSION_STAGE -u MIRA_SESSION_DISPLAY "$@" 1>&3 3>&- || status=$?
    kill "$launcher" 2>/dev/null || true
    wait "$launcher" 2>/dev/null || true
    exit $status
    ;;
esac
