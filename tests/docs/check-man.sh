#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The built manual pages: groff and man(1) format each without a warning, no
# @placeholder@ is left, and the example in gateway.conf(5) is a configuration
# the gateway accepts, so the page cannot drift from the parser.
#
# usage: check-man.sh GATEWAY PAGE...
set -u

gateway=$1
shift
pages=("$@")

for tool in groff man; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP $tool is not installed (tools/deps.sh installs man-db)"
		exit 77
	fi
done

echo "1..$((3 * ${#pages[@]} + 1))"
n=0
failed=0
check()
{
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' <<<"$2"
		failed=1
	fi
}

for page in "${pages[@]}"; do
	name=$(basename "$page")
	check "groff -man -ww $name" "$(groff -man -ww -z "$page" 2>&1)"
	check "man --warnings $name" "$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)"
	check "$name has no placeholder left" "$(grep -n '@[a-z_]*@' "$page")"
done

# the EXAMPLE section of gateway.conf(5), as a reader would copy it
conf_page=
for page in "${pages[@]}"; do
	[ "$(basename "$page")" = gateway.conf.5 ] && conf_page=$page
done
example=$(mktemp "${TMPDIR:-/tmp}/microsoup-man-example.XXXXXX")
trap 'rm -f "$example"' EXIT
MANWIDTH=80 man -l "$conf_page" 2>/dev/null |
	sed -n '/^EXAMPLE/,/^[A-Z]/{/^[A-Z]/d;s/^       //;p}' >"$example"
if ! grep -q '^\[route ' "$example"; then
	check "gateway.conf(5) has an example" "no [route ...] group found under EXAMPLE"
else
	check "gateway.conf(5)'s example passes --check-config" \
		"$("$gateway" --check-config --config="$example" 2>&1 >/dev/null)"
fi
exit $failed
