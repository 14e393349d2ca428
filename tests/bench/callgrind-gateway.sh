#!/bin/bash
# Instructions per proxied request of the gateway under callgrind: microsoup-hello
# on a Unix socket behind one plain route, one worker, one keep-alive connection,
# a warm-up, then the counters are zeroed, N requests are made and the counters
# dumped. Only the gateway runs under valgrind: hello's and the client's
# instructions are not counted. Deterministic where wall-clock numbers are not,
# so one change's cost can be told on a busy machine.
#
#   tests/bench/callgrind-gateway.sh [BUILD_DIR]   (env: WARMUP=300 REQUESTS=2000
#                                                   KEEP= (a directory for the
#                                                   callgrind.out files))
set -euo pipefail

BUILD=$(realpath "${1:-${MICROSOUP_BUILD_ROOT:-build}}")
WARMUP=${WARMUP:-300}
REQUESTS=${REQUESTS:-2000}
HELLO=$BUILD/src/cmd/microsoup-hello
GATEWAY=$BUILD/src/cmd/microsoup-gateway
T=$(mktemp -d /tmp/microsoup-callgrind-gateway.XXXXXX)
OUT=${KEEP:-$T}
mkdir -p "$OUT"
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

for tool in valgrind callgrind_control callgrind_annotate "$HELLO" "$GATEWAY"; do
	command -v "$tool" >/dev/null || { echo "callgrind-gateway: $tool is missing" >&2; exit 1; }
done

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# GET /api/hello N times on one keep-alive connection
drive() {
	python3 - "$1" "$2" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    c.request("GET", "/api/hello")
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
}

SOCK=$T/hello.sock
PORT=$(free_port)
"$HELLO" --listen="unix:$SOCK" --idle-timeout=0 2>/dev/null &
PIDS+=($!)

cat >"$T/gateway.conf" <<CONF
[gateway]
workers = 1

[route hello]
prefix = /api/hello
upstream = unix:$SOCK
CONF

# the access log goes to a file, as in bench.sh: a line per request is part of the cost
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.gateway" \
	"$GATEWAY" --config="$T/gateway.conf" --listen="tcp:127.0.0.1:$PORT" --workers=1 \
	--idle-timeout=0 2>"$T/gateway.log" &
GATEWAY_PID=$!
PIDS+=("$GATEWAY_PID")

up=0
for _ in $(seq 400); do
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/hello" && { up=1; break; }
	sleep 0.1
done
if [ "$up" = 0 ]; then
	echo "callgrind-gateway: the gateway never answered:" >&2
	cat "$T/gateway.log" >&2
	exit 1
fi
drive "$PORT" "$WARMUP"
callgrind_control -z "$GATEWAY_PID" >/dev/null 2>&1
drive "$PORT" "$REQUESTS"
callgrind_control -d "$GATEWAY_PID" >/dev/null 2>&1
# the dump after the zeroing is the last file written
file=$(ls -t "$OUT/callgrind.out.gateway"* | head -1)
total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "gateway $((total / REQUESTS)) instructions/request ($file)"
