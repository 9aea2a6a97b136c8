#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what the dashboard needs, builds it, and starts it from the build
# tree:
#   build-aux/run-dashboard.sh [mira-dashboard options…]
# On the first run it shows the welcome page: "Host a Network on This
# Computer" starts the network's server inside the app, on SQLite under
# $XDG_DATA_HOME/mira/. The choice is remembered for the next start.
set -euo pipefail

cd "$(dirname "$0")/.."
builddir="${MIRA_BUILDDIR:-_build}"

build-aux/install-deps.sh --run

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" -Dapp=true
elif ! meson introspect --buildoptions "$builddir" |
     python3 -c 'import json, sys; sys.exit(not any(o["name"] == "app" and o["value"] for o in json.load(sys.stdin)))'; then
  meson configure "$builddir" -Dapp=true
fi
ninja -C "$builddir" app/mira-dashboard data/gschemas.compiled

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run-dashboard.sh: no display: run it in a desktop session" >&2
  exit 1
fi

# The settings schema from the build tree, so that nothing needs installing
export GSETTINGS_SCHEMA_DIR="$PWD/$builddir/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
exec "$builddir/app/mira-dashboard" "$@"
