#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Fails when a translation lacks a string of the sources: every message that
# xgettext finds in the files of po/POTFILES.in must be translated (not
# missing, empty or fuzzy) in each po/LANG.po of po/LINGUAS.
#   check-translations.sh SOURCE_ROOT
# TAP output, one test a language. After a change of strings:
#   ninja -C _build mira-dashboard-update-po, then translate what it marks.
set -euo pipefail

root="$1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mira-po.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The template as `ninja mira-dashboard-pot` makes it (meson's glib preset)
xgettext --package-name=mira-dashboard --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --directory="$root" --files-from="$root/po/POTFILES.in" --output="$tmp/template.pot"

languages=$(grep -v -E '^[[:space:]]*(#|$)' "$root/po/LINGUAS")
echo "1..$(echo "$languages" | wc -l)"
n=0
status=0
for lang in $languages; do
  n=$((n + 1))
  # msgcmp counts untranslated and fuzzy messages as missing
  if msgcmp "$root/po/$lang.po" "$tmp/template.pot" 2>"$tmp/msgcmp.log"; then
    echo "ok $n - po/$lang.po translates every string ($(msgfmt --statistics -o /dev/null "$root/po/$lang.po" 2>&1))"
  else
    echo "not ok $n - po/$lang.po translates every string"
    # msgcmp names the template's line: show the message there
    grep -o -E 'template\.pot:[0-9]+: this message' "$tmp/msgcmp.log" | cut -d: -f2 | head -n 20 |
      while read -r line; do echo "# untranslated: $(sed -n "$((line - 1))p" "$tmp/template.pot")"; done
    echo "# $(grep -c 'this message' "$tmp/msgcmp.log") missing, e.g. after: ninja -C _build mira-dashboard-update-po"
    status=1
  fi
done
exit $status
