#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `meson devenv -C build` works like an install: the binaries are on PATH, the
# gateway finds its configuration (build/data) and a service started by hand
# answers in Thai from build/po. The test environment's own MICROSOUP_* variables are
# dropped first, so only what devenv sets counts.
#
# usage: check-devenv.sh MESON BUILD_ROOT
set -uo pipefail

meson=$1
build_root=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/microsoup-devenv.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

devenv()
{
	env -u MICROSOUP_LOCALEDIR -u MICROSOUP_SYSCONFDIR "$meson" devenv -C "$build_root" "$@"
}

echo "1..3"
failed=0
# check N WHAT GOT WANT
check()
{
	if [ "$3" = "$4" ]; then
		echo "ok $1 - $2"
	else
		echo "not ok $1 - $2"
		echo "# got:  $3"
		echo "# want: $4"
		failed=1
	fi
}

check 1 "microsoup-gateway is on PATH" "$(devenv sh -c 'command -v microsoup-gateway')" \
	"$build_root/src/cmd/microsoup-gateway"
check 2 "microsoup-gateway --check-config reads build/data/gateway.conf" \
	"$(devenv microsoup-gateway --check-config 2>&1 | sed 's/, [0-9]* route(s)$//')" \
	"$build_root/data/gateway.conf: configuration OK"

# it exits by itself once idle: meson devenv does not pass a signal on
devenv microsoup-hello --listen="unix:$dir/hello.sock" --idle-timeout=1 >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	[ -S "$dir/hello.sock" ] && break
	sleep 0.05
done
check 3 "microsoup-hello answers Accept-Language: th in Thai" \
	"$(curl -s --max-time 10 --unix-socket "$dir/hello.sock" -H 'Accept-Language: th' \
		'http://localhost/hello?name=Ada')" \
	'{"message":"สวัสดี, Ada!"}'
wait "$pid"
pid=
[ $failed = 0 ] || sed 's/^/# /' "$dir/log"
exit $failed
