# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Sourced by tests/bench/bench.sh, callgrind.sh and callgrind-gateway.sh: what they share.

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# PORT PATH N: GET PATH N times on one keep-alive connection
drive() {
	python3 - "$1" "$2" "$3" <<'PY'
import http.client, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
}

# NAME PID PORT PATH: PID runs under callgrind, writing $OUT/callgrind.out.NAME*;
# $WARMUP requests, the counters zeroed, $REQUESTS requests, the counters dumped;
# prints the instructions per request
callgrind_per_request() {
	local name=$1 pid=$2 port=$3 path=$4 file total
	drive "$port" "$path" "$WARMUP"
	callgrind_control -z "$pid" >/dev/null 2>&1
	drive "$port" "$path" "$REQUESTS"
	callgrind_control -d "$pid" >/dev/null 2>&1
	# the dump after the zeroing is the last file written
	file=$(ls -t "$OUT/callgrind.out.$name"* | head -1)
	total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
	echo $((total / REQUESTS))
}
