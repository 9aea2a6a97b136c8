#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# mira-dashboard as it is started: its options, one instance at a time, and
# the remembered mode resumed at start-up without a click.
#   tests/test-dashboard-cli.sh PATH/TO/mira-dashboard [APPLICATION_ID]
# Runs inside tests/mira-session.sh --display (a D-Bus session, a keyring,
# Xvfb). Settings go to a key file in a temporary directory. Prints TAP;
# exits non-zero when a check fails.
set -u

app="${1:?usage: test-dashboard-cli.sh PATH/TO/mira-dashboard [APPLICATION_ID]}"
app_id="${2:-com.mira.Dashboard}"
app_path="/$(echo "$app_id" | tr . /)"
tmp="$(mktemp -d /tmp/mira-dashboard-cli-XXXXXX)"
app_pid=""
n=0
failed=0

cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    kill -KILL "$app_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
export GSETTINGS_BACKEND=keyfile
unset MIRA_AUDIO_SOURCE
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
  n=$((n + 1)); failed=$((failed + 1))
  echo "not ok $n - $1"
  shift
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
check() {
  local name="$1"; shift
  if "$@"; then ok "$name"; else not_ok "$name" "output: $(cat "$tmp/out" 2>/dev/null)" \
                                               "errors: $(cat "$tmp/err" 2>/dev/null)"; fi
}
run() { rc=0; "$app" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?; }

# --version and --help work without a display or a bus
run --version
check "--version prints the version" grep -qx 'mira-dashboard [0-9][0-9.]*' "$tmp/out"
run --help
check "--help lists --version" grep -q -- '--version' "$tmp/out"
run --no-such-option
check "an unknown option is refused" test "$rc" -ne 0
check "and named" grep -q 'no-such-option' "$tmp/err"

# The remembered mode: hosting resumes at start-up, on the port of the settings
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
gsettings set "$app_id" mode host
gsettings set "$app_id" host-port "$port"
"$app" >"$tmp/out" 2>"$tmp/err" &
app_pid=$!
# Up to 3 minutes: under AddressSanitizer on a loaded machine the start
# (keyring, SQLite, the speech model) has taken more than one
for _ in $(seq 1800); do
  grep -q "^listening on " "$tmp/out" && break
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
check "host mode resumes at start-up and listens on the settings' port" \
  grep -qx "listening on http://127.0.0.1:$port" "$tmp/out"
# The network is created once the server listens
for _ in $(seq 300); do
  gsettings get "$app_id" network-id | grep -q net_ && break
  sleep 0.1
done
check "the hosted network's id is remembered" \
  sh -c "gsettings get '$app_id' network-id | grep -q net_"

# One instance: a second start only presents the first one's window
rc=0
timeout 30 "$app" >"$tmp/second-out" 2>&1 || rc=$?
check "a second start returns at once, successfully" test "$rc" -eq 0
check "and hosts nothing itself" sh -c "! grep -q listening '$tmp/second-out'"

# app.quit over D-Bus, as the shell's Quit does: a clean exit
gdbus call --session --dest "$app_id" --object-path "$app_path" \
  --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null 2>&1
rc=0
for _ in $(seq 300); do
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$app_pid" 2>/dev/null; then
  not_ok "app.quit ends the app"
else
  wait "$app_pid" || rc=$?
  app_pid=""
  check "app.quit ends the app with status 0" test "$rc" -eq 0
fi
check "and the mode stays remembered" \
  sh -c "gsettings get '$app_id' mode | grep -q host"

echo "1..$n"
[ "$failed" -eq 0 ]
