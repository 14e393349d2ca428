#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools/new-service.sh keeps its promise: in a throw-away copy of the tree, a new
# service made by it configures, builds and passes its own tests and the po and
# format lints, with no other file touched. Only what those tests need is built, so
# this stays well under a minute. (meson setup checks that the new units exist; a full
# build of such a tree also passes the units suite: shown once, not repeated here.)
#
# usage: check-new-service.sh SOURCE_ROOT
set -uo pipefail

source_root=${1:?source root}
name=scaffold-probe

if ! git -C "$source_root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "1..0 # SKIP the source tree is not a git checkout: its files cannot be listed"
	exit 77
fi

copy=$(mktemp -d "${TMPDIR:-/tmp}/microsoup-new-service.XXXXXX")
trap 'rm -rf "$copy"' EXIT

n=0
failed=0
# step WHAT COMMAND...: one TAP line; the output only when it fails
step()
{
	local what=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		sed 's/^/# /' <<<"$out" | tail -n 60
		failed=1
	fi
}

# the tree as a developer has it: committed files and new ones, not build trees
(cd "$source_root" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	tar --null -T - -cf -) | tar -xf - -C "$copy"

cd "$copy" || exit 1
step "tools/new-service.sh $name" tools/new-service.sh "$name"
step "meson setup -Dwerror=true" meson setup build -Dwerror=true
step "meson compile (the new service and its tests)" \
	meson compile -C build "microsoup-$name" "test-$name-service" "test-$name-handler" \
	"test-$name-e2e" microsoup-th.mo
step "meson test --suite $name" meson test -C build --no-rebuild --print-errorlogs --suite "$name"
step "meson test po format (the lints)" meson test -C build --no-rebuild --print-errorlogs po format
echo "1..$n"
exit $failed
