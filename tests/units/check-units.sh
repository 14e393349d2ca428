#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Installs the build into a throw-away tree and checks every unit there:
# `systemd-analyze verify` must print nothing (it exits 0 on unknown keys and bad
# values, so any output is a failure), and `systemd-analyze security --offline`
# must stay under the exposure limit of 1.0, the gateway included. Every
# service must hold every setting of the shared fragments (units/*.conf.in): most
# get them pasted in at build time, the gateway writes its sandbox out, and this
# is what keeps that copy from drifting. verify also runs man(1) on every
# Documentation=man: page, which must be among the pages installed to MANDIR.
#
# usage: check-units.sh MESON BUILD_ROOT UNITDIR MANDIR FRAGMENT...
set -u

meson=$1
build_root=$2
unitdir=$3
mandir=$4
shift 4
fragments=("$@")

if ! command -v systemd-analyze >/dev/null; then
	echo "1..0 # SKIP systemd-analyze is not installed"
	exit 77
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/microsoup-units.XXXXXX")
trap 'rm -rf "$stage"' EXIT

if ! out=$("$meson" install -C "$build_root" --no-rebuild --quiet --destdir "$stage" 2>&1); then
	echo "Bail out! meson install --destdir failed: $out"
	exit 1
fi
# --root makes verify look for ExecStart= binaries in the staged tree; it also needs
# systemd's own units (sysinit.target, sockets.target, ...) there
mkdir -p "$stage/usr/lib/systemd/system"
cp -an /usr/lib/systemd/system/. "$stage/usr/lib/systemd/system/"
# verify's man(1) finds our pages in the staged tree, systemd's where they are
MANPATH=$stage$mandir:$(manpath -q 2>/dev/null)
export MANPATH

units=()
for f in "$stage$unitdir"/*.socket "$stage$unitdir"/*.service "$stage$unitdir"/*.target; do
	[ -e "$f" ] && units+=("$(basename "$f")")
done
services=()
for u in "${units[@]}"; do
	case $u in *.service) services+=("$u") ;; esac
done

echo "1..$((${#units[@]} + 2 * ${#services[@]}))"
n=0
failed=0

for u in "${units[@]}"; do
	n=$((n + 1))
	out=$(cd "$stage$unitdir" && systemd-analyze verify --root="$stage" "$u" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		echo "ok $n - verify $u"
	else
		echo "not ok $n - verify $u (exit $rc)"
		sed 's/^/# /' <<<"$out"
		failed=1
	fi
done

for u in "${services[@]}"; do
	n=$((n + 1))
	# tenths: every unit at most 1.0, the network-facing gateway included
	threshold=10
	out=$(cd "$stage$unitdir" &&
		systemd-analyze security --offline=true --root="$stage" --threshold=$threshold "$u" 2>&1)
	rc=$?
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
	if [ $rc -eq 0 ] && [ -n "$score" ]; then
		echo "ok $n - security $u exposure $score (limit $((threshold / 10)).$((threshold % 10)))"
	else
		echo "not ok $n - security $u exposure ${score:-?} (limit $((threshold / 10)).$((threshold % 10)), exit $rc)"
		grep -E '^✗|Overall' <<<"$out" | sed 's/^/# /'
		failed=1
	fi
done

for u in "${services[@]}"; do
	n=$((n + 1))
	missing=$(cat "${fragments[@]}" | grep -v -e '^#' -e '^$' | grep -vxF -f "$stage$unitdir/$u")
	if [ -z "$missing" ]; then
		echo "ok $n - $u holds every shared setting ($(basename -a "${fragments[@]}" | tr '\n' ' '| sed 's/ $//'))"
	else
		echo "not ok $n - $u lacks shared settings"
		sed 's/^/# missing: /' <<<"$missing"
		failed=1
	fi
done

exit $failed
