#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages needed to build, run and test Mira.
#   build-aux/install-deps.sh          build + run + test dependencies
#   build-aux/install-deps.sh --run    only what building and running the app and server needs
# Packages already installed are not touched; when nothing is missing the
# script does nothing at all (no apt-get update). As a normal user it uses sudo.
set -euo pipefail

run_pkgs=(
  build-essential meson ninja-build pkg-config ca-certificates
  libglib2.0-dev libsoup-3.0-dev libjson-glib-dev
  libpq-dev libsqlite3-dev libopus-dev libcurl4-openssl-dev
  libpocketsphinx-dev pocketsphinx-en-us
  # uploads (WAV, FLAC, Ogg Opus) and resampling to 16 kHz
  libsndfile1-dev libopusfile-dev libspeexdsp-dev
  # the scorer's spectra
  libfftw3-dev
  # the list of time zones a network's timezone setting is checked against
  tzdata
  # the README's walk-through talks to the server with curl and reads JSON with jq
  curl jq
  # the dashboard: GTK 4, libadwaita, GStreamer capture, the keyring, QR codes
  libgtk-4-dev libadwaita-1-dev gettext
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  libsecret-1-dev gnome-keyring libqrencode-dev
  # settings that persist (the welcome page's choice, the window size)
  dconf-gsettings-backend
  # the desktop entry and AppStream metainfo are validated when configured
  desktop-file-utils appstream
)
test_pkgs=(
  postgresql wrk flite sox python3 python3-websockets iproute2
  xvfb xauth openssl
  # the app's tests: a D-Bus session with a Secret Service and the
  # accessibility bus, read through AT-SPI as a screen reader would
  dbus dbus-bin at-spi2-core python3-pyatspi gir1.2-atspi-2.0 gstreamer1.0-tools
  # the install test: the installed app read in German and French (locales
  # compiled with localedef), its icons looked up through GTK
  locales python3-gi gir1.2-gtk-4.0
  # the Flatpak manifest's test: flatpak-builder --show-manifest
  flatpak-builder
  # the fuzz tests: clang with libFuzzer and the sanitizers' runtime
  clang libclang-rt-14-dev
)

case "${1:-}" in
  "") with_tests=1 ;;
  --run) with_tests=0 ;;
  -h|--help)
    sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  *)
    echo "install-deps.sh: unknown option '$1' (use --run or nothing)" >&2
    exit 2 ;;
esac

pkgs=("${run_pkgs[@]}")
if [ "$with_tests" = 1 ]; then
  pkgs+=("${test_pkgs[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps.sh: run as root, or install sudo, to install: ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
