#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# po/ stays honest: every source file with a translatable string is listed in
# POTFILES.in, every listed file exists, and each catalog passes msgfmt --check.
set -euo pipefail
src="${1:?source root}"
cd "$src"
status=0
listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort)
if [ "$listed" != "$(grep -v '^#' po/POTFILES.in | sed '/^$/d')" ]; then
	echo "not ok: po/POTFILES.in is not sorted"; status=1
fi
marked=$(grep -rlE 'N_\("' src --include='*.c' | sort)
missing=$(comm -23 <(echo "$marked") <(echo "$listed"))
stale=$(comm -13 <(echo "$marked") <(echo "$listed"))
if [ -n "$missing" ]; then echo "not ok: missing from po/POTFILES.in: $missing"; status=1; fi
for f in $listed; do [ -f "$f" ] || { echo "not ok: listed but missing: $f"; status=1; }; done
[ -z "$stale" ] || echo "# listed without N_(): $stale"
for po in po/*.po; do
	msgfmt --check --statistics -o /dev/null "$po" || status=1
done
# every marked string has a Thai translation
pot=$(mktemp)
trap 'rm -f "$pot"' EXIT
xgettext --from-code=UTF-8 --keyword=N_ --keyword=_ -o "$pot" $listed
untranslated=$(msgmerge -q --no-fuzzy-matching po/th.po "$pot" | msgattrib --untranslated --no-obsolete | grep -c '^msgid ' || true)
if [ "$untranslated" -gt 1 ]; then
	echo "not ok: $((untranslated - 1)) string(s) without a Thai translation:"
	msgmerge -q --no-fuzzy-matching po/th.po "$pot" | msgattrib --untranslated --no-obsolete | grep '^msgid ' | tail -n +2
	status=1
fi
exit $status
