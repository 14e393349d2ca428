# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Sourced by tests/bench/bench.sh and callgrind-gateway.sh: idle keep-alive connections held open
# by tests/bench/idle-clients.py. Needs $T, a scratch directory.

IDLE_CLIENTS=$(dirname "${BASH_SOURCE[0]}")/idle-clients.py

# PORT PATH N: returns once N connections are open, each with one request answered
idle_open() {
	rm -f "$T/idle.ctl" "$T/idle.out"
	mkfifo "$T/idle.ctl"
	"$IDLE_CLIENTS" 127.0.0.1 "$1" "$2" "$3" <"$T/idle.ctl" >"$T/idle.out" &
	IDLE_HELPER=$!
	# the helper's standard input, held open until idle_close
	exec 3>"$T/idle.ctl"
	until grep -q '^ready' "$T/idle.out" 2>/dev/null; do
		kill -0 "$IDLE_HELPER" 2>/dev/null || { echo "idle-clients failed" >&2; exit 1; }
		sleep 0.2
	done
}

# closes them; sets IDLE_CLOSED to how many the server had closed before (not in a
# subshell: this shell's descriptor 3 is what keeps them open)
idle_close() {
	exec 3>&-
	wait "$IDLE_HELPER"
	# shellcheck disable=SC2034 # read by the sourcing script
	IDLE_CLOSED=$(awk '/^closed/ { print $2 }' "$T/idle.out")
}
