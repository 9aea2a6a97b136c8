#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs every dependency, builds, and runs the whole test suite:
#   build-aux/run-tests.sh [BUILDDIR]      (BUILDDIR defaults to _build)
# Extra arguments after BUILDDIR go to `meson test` (e.g. a test name).
# Works as a normal user (sudo is used for apt) and as root (the PostgreSQL
# tests then run their throw-away cluster as the postgres user).
set -euo pipefail

cd "$(dirname "$0")/.."
builddir="${1:-_build}"
shift || true

build-aux/install-deps.sh

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir"
fi
ninja -C "$builddir"
exec meson test -C "$builddir" --print-errorlogs "$@"
