#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What an operator reads must name the configured paths: an install under
# /usr/local keeps its files in /usr/local/etc/microsoup, and a catalog entry, a
# config comment or a tool's output that says /etc/microsoup sends the operator to a
# file the services never read. Installs the build into a throw-away tree and checks
# the installed files (binaries included) and the gateway tools' output.
#
# usage: check-paths.sh MESON BUILD_ROOT PREFIX SYSCONFDIR LIBEXECDIR
set -u

meson=$1
build_root=$2
prefix=$3
sysconfdir=$4
libexecdir=$5

stage=$(mktemp -d "${TMPDIR:-/tmp}/microsoup-paths.XXXXXX")
trap 'rm -rf "$stage"' EXIT

if ! out=$("$meson" install -C "$build_root" --no-rebuild --quiet --destdir "$stage" 2>&1); then
	echo "Bail out! meson install --destdir failed: $out"
	exit 1
fi

. "$(dirname "$0")/../lib/tap.sh"
# contains WHAT TEXT NEEDLE: TEXT must hold NEEDLE
contains()
{
	if grep -qF -- "$3" <<<"$2"; then
		ok "$1 names $3"
	else
		not_ok "$1 names $3"
		grep -e /etc/ -e /libexec/ -e api-keys -e users <<<"$2" | sed 's/^/# /'
	fi
}
# hard-coded WHAT TEXT: no /etc/microsoup in TEXT but the configured one
hard_coded()
{
	local left
	left=$(sed "s|$sysconfdir||g" <<<"$2" | grep -F /etc/microsoup)
	if [ -z "$left" ]; then
		ok "$1 names no /etc/microsoup but $sysconfdir"
	else
		not_ok "$1 names /etc/microsoup where $sysconfdir is configured"
		sed 's/^/# /' <<<"$left"
	fi
}

[ "$sysconfdir" = /etc/microsoup ] &&
	echo "# sysconfdir is /etc/microsoup: a hard-coded path cannot be told from it (configure with --prefix=/usr/local)"

catalog=$stage$prefix/lib/systemd/catalog/microsoup.catalog
conf=$stage$sysconfdir/gateway.conf
gateway=$stage$libexecdir/microsoup-gateway

contains "the installed catalog" "$(cat "$catalog")" "$sysconfdir/gateway.conf"
# the catalog's own fields are journalctl's to fill in, not the build's
contains "the installed catalog" "$(cat "$catalog")" "@UPSTREAM@"
contains "the installed gateway.conf" "$(cat "$conf")" "$sysconfdir/users"
contains "the installed gateway.conf" "$(cat "$conf")" "$libexecdir/microsoup-gateway"
if grep -q '@[a-z_]*@' "$conf"; then
	not_ok "the installed gateway.conf has no placeholder left: $(grep -m1 '@[a-z_]*@' "$conf")"
else
	ok "the installed gateway.conf has no placeholder left"
fi

key=$("$gateway" --new-api-key ci-bot user 2>&1)
contains "microsoup-gateway --new-api-key" "$key" "$sysconfdir/api-keys"
hard_coded "microsoup-gateway --new-api-key" "$key"
help=$("$gateway" --help 2>&1)
contains "microsoup-gateway --help" "$help" "$sysconfdir/users"
hard_coded "microsoup-gateway --help" "$help"

man=$(find "$stage$prefix" -path '*/man/man[0-9]/*' -type f -exec cat {} +)
contains "the installed manual pages" "$man" "$sysconfdir/gateway.conf"
contains "the installed manual pages" "$man" "$libexecdir/microsoup-gateway"

# everything installed, binaries too (their strings are what they print)
everything=$(grep -raoH '[[:print:]]*/etc/microsoup[[:print:]]*' "$stage" | sed "s|^$stage||")
hard_coded "every installed file" "$everything"

echo "1..$n"
exit $failed
