#!/bin/bash
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

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# GET /hello N times on one keep-alive connection
drive() {
	python3 - "$1" "$2" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    c.request("GET", "/hello")
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
}

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
	drive "$port" "$WARMUP"
	callgrind_control -z "$pid" >/dev/null 2>&1
	drive "$port" "$REQUESTS"
	callgrind_control -d "$pid" >/dev/null 2>&1
	# the dump after the zeroing is the last file written
	local file
	file=$(ls -t "$OUT/callgrind.out.$name"* | head -1)
	local total
	total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
	echo "$name $((total / REQUESTS)) instructions/request ($file)"
	kill "$pid"
}

P_HELLO=$(free_port)
measure hello "$P_HELLO" "$BUILD/src/cmd/microsoup-hello" \
	--listen="tcp:127.0.0.1:$P_HELLO" --idle-timeout=0
P_BARE=$(free_port)
measure bare "$P_BARE" "$BUILD/tests/bench/bare-hello" "$P_BARE"
