# SPDX-License-Identifier: LGPL-2.1-or-later
#
# TAP for the shell tests, sourced: ok, not_ok, check COMMAND, diag (stdin as
# comments), and skip REASON, which exits 77 unless MICROSOUP_REQUIRE_SYSTEM=1 (CI),
# where a suite that cannot run is a failure. $n counts the tests, $failed is 1
# once one failed; the script prints the plan ("1..$n") at its end.

n=0
failed=0

skip()
{
	if [ "${MICROSOUP_REQUIRE_SYSTEM:-0}" = 1 ]; then
		echo "Bail out! cannot run, and MICROSOUP_REQUIRE_SYSTEM=1: $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 77
}

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

# check WHAT COMMAND...: ok when COMMAND succeeds; what it prints goes to stderr,
# as stdout is TAP
check()
{
	local what=$1
	shift
	if "$@" >&2; then ok "$what"; else not_ok "$what"; fi
}

diag()
{
	sed 's/^/# /'
}
