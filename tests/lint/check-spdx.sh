#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every source, script, build and unit file says its license in its first line
# (after a #! line): "SPDX-License-Identifier: LGPL-2.1-or-later", the license
# meson.build declares and COPYING holds. debian/ says it the Debian way
# (debian/copyright); test inputs and generated data are not source.
#
# usage: check-spdx.sh SOURCE_ROOT [--fix]
#   --fix  add the missing lines instead of failing (the first line, or the second
#          after a #! line); nothing else in the file changes
set -uo pipefail
cd "${1:?source root}" || exit 1
fix=false
[ "${2:-}" = --fix ] && fix=true
tag="SPDX-License-Identifier: LGPL-2.1-or-later"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files --cached --others --exclude-standard)
else
	files=$(find . -type f -not -path './.git/*' -not -path './build*' | sed 's|^\./||')
fi

bad=0
checked=0
while IFS= read -r f; do
	[ -f "$f" ] || continue
	case $f in
	debian/* | tests/fuzz/corpus/*) continue ;;
	*.c | *.h | *.py | *.sh | *.mjs | *.js | meson.build | */meson.build | meson_options.txt) ;;
	units/*.socket | units/*.service.in | units/*.target.in | tools/new-service/*) ;;
	*) head -c 2 "$f" | grep -q '^#!' || continue ;;
	esac
	checked=$((checked + 1))
	if ! head -n 2 "$f" | grep -qF "$tag"; then
		case $f in
		*.c | *.h | *.c.in | *.h.in | *.js | *.mjs) line="/* $tag */" ;;
		*) line="# $tag" ;;
		esac
		if $fix; then
			if head -c 2 "$f" | grep -q '^#!'; then
				sed -i "1a $line" "$f"
			else
				sed -i "1i $line" "$f"
			fi
			echo "# added to $f: $line"
			continue
		fi
		echo "not ok: $f: no license line; add as its first line (after any #!): $line" \
			"(or run: bash tests/lint/check-spdx.sh . --fix)"
		bad=1
	fi
done <<<"$files"
echo "# $checked files checked"
exit $bad
