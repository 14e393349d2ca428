#!/bin/bash
# Instructions per request of microsoup-hello and of the bare SoupServer under
# callgrind: one keep-alive connection, a warm-up, then the counters are zeroed,
# N requests are made and the counters dumped. Deterministic where wall-clock
# numbers are not, so a change's cost can be told on a busy machine.
#
#   tests/bench/callgrind.sh [BUILD_DIR]   (env: WARMUP=300 REQUESTS=2000
#                                           KEEP= (a directory for the callgrind.out files)
#                                           IDLE="0 1000 10000" (then the gateway's too, with
#                                           that many idle connections: see the last section))
set -euo pipefail

BUILD=$(realpath "${1:-${MICROSOUP_BUILD_ROOT:-build}}")
WARMUP=${WARMUP:-300}
REQUESTS=${REQUESTS:-2000}
IDLE=${IDLE:-}
# what drive() asks for
REQUEST_PATH=/hello
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

# GET $REQUEST_PATH N times on one keep-alive connection
drive() {
	python3 - "$1" "$2" "$REQUEST_PATH" <<'PY'
import http.client, sys
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
}

# NAME PORT COMMAND...: runs it under callgrind until it answers; sets CALLGRIND_PID
start_callgrind() {
	local name=$1 port=$2
	shift 2
	valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$name" "$@" \
		2>"$T/$name.log" &
	CALLGRIND_PID=$!
	PIDS+=("$CALLGRIND_PID")
	for _ in $(seq 400); do
		curl -sf -o /dev/null "http://127.0.0.1:$port$REQUEST_PATH" && break
		sleep 0.1
	done
}

# NAME PORT PID: warm-up, counters zeroed, REQUESTS requests; sets PER_REQUEST
count_instructions() {
	local name=$1 port=$2 pid=$3
	drive "$port" "$WARMUP"
	callgrind_control -z "$pid" >/dev/null 2>&1
	drive "$port" "$REQUESTS"
	callgrind_control -d "$pid" >/dev/null 2>&1
	# the dump after the zeroing is the last file written
	local file
	file=$(ls -t "$OUT/callgrind.out.$name"* | head -1)
	local total
	total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
	PER_REQUEST=$((total / REQUESTS))
	echo "$name $PER_REQUEST instructions/request ($file)"
}

measure() {
	start_callgrind "$@"
	count_instructions "$1" "$2" "$CALLGRIND_PID"
	kill "$CALLGRIND_PID"
}

P_HELLO=$(free_port)
measure hello "$P_HELLO" "$BUILD/src/cmd/microsoup-hello" \
	--listen="tcp:127.0.0.1:$P_HELLO" --idle-timeout=0
P_BARE=$(free_port)
measure bare "$P_BARE" "$BUILD/tests/bench/bare-hello" "$P_BARE"

# --- the gateway with idle keep-alive connections (IDLE="0 1000 10000") ----------------
# One worker proxies to microsoup-hello on a Unix socket; tests/bench/idle-clients.py holds
# N keep-alive connections open, each with one request answered, while the requests are
# counted on one more connection. Idle connections that cost nothing leave the count flat.
[ -n "$IDLE" ] || exit 0

ulimit -n "$(ulimit -Hn)"
source "$(dirname "$(realpath "$0")")/idle-lib.sh"
IDLE_MOST=0
for n in $IDLE; do [ "$n" -gt "$IDLE_MOST" ] && IDLE_MOST=$n; done
"$BUILD/src/cmd/microsoup-hello" --listen="unix:$T/hello.sock" --idle-timeout=0 2>/dev/null &
PIDS+=($!)
cat >"$T/gateway.conf" <<CONF
[gateway]
workers = 1
# every idle client is 127.0.0.1; RLIMIT_NOFILE here may derive fewer
max_connections = $((IDLE_MOST + 256))
max_connections_per_client = 0

[route hello]
prefix = /api/hello
upstream = unix:$T/hello.sock
CONF
REQUEST_PATH=/api/hello
declare -A GATEWAY_IR
for n in $IDLE; do
	P_GATEWAY=$(free_port)
	start_callgrind "gateway-idle$n" "$P_GATEWAY" "$BUILD/src/cmd/microsoup-gateway" \
		--config="$T/gateway.conf" --listen="tcp:127.0.0.1:$P_GATEWAY" --idle-timeout=0
	if [ "$n" -gt 0 ]; then
		idle_open "$P_GATEWAY" "$REQUEST_PATH" "$n"
		# the upstream connections their requests opened leave the pool after 5 s idle
		sleep 6
	fi
	count_instructions "gateway-idle$n" "$P_GATEWAY" "$CALLGRIND_PID"
	GATEWAY_IR[$n]=$PER_REQUEST
	if [ "$n" -gt 0 ]; then
		idle_close
	fi
	kill "$CALLGRIND_PID"
done
FIRST=${IDLE%% *}
for n in $IDLE; do
	awk -v n="$n" -v ir="${GATEWAY_IR[$n]}" -v ir0="${GATEWAY_IR[$FIRST]}" -v first="$FIRST" 'BEGIN {
		printf "gateway with %d idle connections: %d instructions/request, %.3fx of %d idle\n",
			n, ir, ir / ir0, first }'
done
