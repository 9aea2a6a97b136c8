#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Fails when a file with translatable strings is missing from po/POTFILES.in,
# or when POTFILES.in names a file that does not exist: either way a string
# would silently stay English.
#   check-potfiles.sh SOURCE_ROOT
# TAP output: one test for the files found, one for the files listed.
set -euo pipefail

root="$1"
potfiles="$root/po/POTFILES.in"

listed=$(grep -v -E '^[[:space:]]*(#|$)' "$potfiles" | sed 's/[[:space:]]*$//' | sort -u)

# C: _("…"), N_("…"), C_("ctx", "…"), NC_, ngettext; .ui: translatable="yes";
# desktop entries, AppStream metainfo and settings schemas are always translatable.
found=$(cd "$root" &&
  { grep -r -l -E '(^|[^A-Za-z0-9_])(N?C?_|g?d?ngettext)[[:space:]]*\(' \
      --include='*.c' --include='*.h' app server 2>/dev/null || true
    grep -r -l -E 'translatable="(yes|true)"' --include='*.ui' --include='*.blp' app 2>/dev/null || true
    find data -name '*.desktop.in' -o -name '*.metainfo.xml.in' -o -name '*.gschema.xml.in'
  } | sort -u)

echo "1..2"

missing=$(comm -23 <(echo "$found") <(echo "$listed"))
if [ -n "$missing" ]; then
  echo "not ok 1 - every file with translatable strings is in po/POTFILES.in"
  echo "$missing" | sed 's/^/# missing: /'
  status=1
else
  echo "ok 1 - every file with translatable strings is in po/POTFILES.in ($(echo "$found" | wc -l) files)"
  status=0
fi

gone=$(echo "$listed" | while read -r f; do [ -e "$root/$f" ] || echo "$f"; done)
if [ -n "$gone" ]; then
  echo "not ok 2 - every file in po/POTFILES.in exists"
  echo "$gone" | sed 's/^/# no such file: /'
  status=1
else
  echo "ok 2 - every file in po/POTFILES.in exists"
fi
exit $status
