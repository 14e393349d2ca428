# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# TAP output for the test scripts: ok/not_ok count the tests and remember a failure
# (the script ends with: echo "1..$n"; exit $failed), check runs a command as a
# test, diag turns text into TAP comments, skip ends a test that cannot run here.

n=0
failed=0
ok()
{
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok()
{
	n=$((n + 1))
	echo "not ok $n - $1"
	failed=1
}
check()
{
	local what=$1
	shift
	# stdout is TAP: what the command prints goes elsewhere
	if "$@" >&2; then ok "$what"; else not_ok "$what"; fi
}
diag()
{
	sed 's/^/# /'
}

# skip REASON: a test that cannot run here skips (77), unless CI says it may not
skip()
{
	if [ "${MICROSOUP_REQUIRE_SYSTEM:-0}" = 1 ]; then
		echo "Bail out! cannot run, and MICROSOUP_REQUIRE_SYSTEM=1: $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 77
}
