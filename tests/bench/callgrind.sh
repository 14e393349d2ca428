#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Instructions per request of microsoup-hello and of the bare SoupServer under
# callgrind: one keep-alive connection, a warm-up, then the counters are zeroed,
# N requests are made and the counters dumped. Deterministic where wall-clock
# numbers are not, so a change's cost can be told on a busy machine.
#
#   tests/bench/callgrind.sh [BUILD_DIR]   (env: WARMUP=300 REQUESTS=2000
#                                           KEEP= (a directory for the callgrind.out files))
set -euo pipefail

BUILD=$(realpath "${1:-${MICROSOUP_BUILD_ROOT:-build}}")
WARMUP=${WARMUP:-300}
REQUESTS=${REQUESTS:-2000}
T=$(mktemp -d /tmp/microsoup-callgrind.XXXXXX)
OUT=${KEEP:-$T}
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

source "$(dirname "$(realpath "$0")")/bench-lib.sh"

measure() {
	local name=$1 port=$2 pid
	shift 2
	valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$name" "$@" \
		2>"$T/$name.log" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 400); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/hello" && break
		sleep 0.1
	done
	local per_request
	per_request=$(callgrind_per_request "$name" "$pid" "$port" /hello)
	echo "$name $per_request instructions/request"
	kill "$pid"
}

P_HELLO=$(free_port)
measure hello "$P_HELLO" "$BUILD/src/cmd/microsoup-hello" \
	--listen="tcp:127.0.0.1:$P_HELLO" --idle-timeout=0
P_BARE=$(free_port)
measure bare "$P_BARE" "$BUILD/tests/bench/bare-hello" "$P_BARE"
