#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every C file follows .clang-format (fwupd-like: Linux braces, tabs, 100 columns).
# Fix with: git ls-files '*.c' '*.h' | xargs clang-format -i
set -uo pipefail
cd "${1:?source root}"
command -v clang-format >/dev/null || { echo "1..0 # SKIP clang-format is not installed"; exit 77; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')
bad=0
for f in $files; do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f"; bad=1; }
done
# G_DEFINE_QUARK makes its first argument the quark's name: "ms - x - error - quark"
# would be a formatter's doing (see .clang-format)
spaced=$(grep -n 'G_DEFINE_QUARK([^,]* [^,]*,' $files 2>/dev/null)
[ -z "$spaced" ] || { echo "a quark name with spaces (keep it in /* clang-format off */):"; echo "$spaced"; bad=1; }
exit $bad
