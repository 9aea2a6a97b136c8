#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-install.sh SOURCE_ROOT APP_ID DEVELOPMENT
#
# What `meson install` gives a user: configures this source tree with a
# temporary --prefix, builds what is installed, installs it, and runs the
# installed mira-dashboard from there (tests/test-installed.py, under
# tests/mira-session.sh): in German and in French, with its settings schema,
# icons, desktop entry and translations found in that prefix only.
# DEVELOPMENT is the -Ddevelopment of the build under test (true or false).
set -euo pipefail

src="$1"
app_id="$2"
development="$3"
here="$(cd "$(dirname "$0")" && pwd)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mira-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

# Unoptimised: this checks what is installed and where, not how fast it runs
meson setup "$tmp/build" "$src" --prefix="$prefix" -Dapp=true \
  -Ddevelopment="$development" -Doptimization=0 >"$tmp/setup.log" 2>&1 ||
  { cat "$tmp/setup.log" >&2; exit 1; }

# Only what is installed: the tests, fuzzers and benchmarks are not
targets=$(meson introspect "$tmp/build" --targets | /usr/bin/python3 -c '
import json, os, sys
build = sys.argv[1]
for target in json.load(sys.stdin):
    if target["installed"]:
        for name in target["filename"]:
            print(os.path.relpath(name, build))
' "$tmp/build")
# shellcheck disable=SC2086
nice -n 10 ninja -C "$tmp/build" -j2 $targets >"$tmp/build.log" 2>&1 ||
  { tail -n 50 "$tmp/build.log" >&2; exit 1; }
meson install -C "$tmp/build" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; exit 1; }
echo "# installed into $prefix"

# The locales the translations are shown in, compiled here: a fresh Debian
# has the locales' sources (package locales) but none generated
mkdir -p "$tmp/locale"
for locale in de_DE fr_FR; do
  localedef -i "$locale" -f UTF-8 "$tmp/locale/$locale.UTF-8" 2>/dev/null ||
    [ -e "$tmp/locale/$locale.UTF-8/LC_MESSAGES" ] ||
    { echo "localedef cannot compile $locale.UTF-8 (package locales)" >&2; exit 1; }
done

# Nothing of the build tree: the schema, icons and desktop entry only from
# the prefix (and the system's own under /usr/share)
exec env -u GSETTINGS_SCHEMA_DIR -u LANGUAGE -u LC_ALL -u LC_MESSAGES \
  XDG_DATA_DIRS="$prefix/share:/usr/share" PATH="$prefix/bin:$PATH" LOCPATH="$tmp/locale" \
  "$here/mira-session.sh" --display /usr/bin/python3 "$here/test-installed.py" "$prefix" "$app_id"
