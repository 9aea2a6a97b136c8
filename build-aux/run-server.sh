#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what the server needs, builds it, and runs it on the SQLite default:
#   build-aux/run-server.sh [mira-server options…]
# e.g. build-aux/run-server.sh --host 0.0.0.0 --port 8080
set -euo pipefail

cd "$(dirname "$0")/.."
builddir="${MIRA_BUILDDIR:-_build}"

build-aux/install-deps.sh --run

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir"
fi
ninja -C "$builddir" server/mira-server
exec "$builddir/server/mira-server" "$@"
