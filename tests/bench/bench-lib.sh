# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Sourced by tests/bench/bench.sh, callgrind.sh, callgrind-gateway.sh and aggregate.sh:
# what they share.

# the processes a bench starts (PIDS+=) and its scratch directory $T, stopped and
# removed when it ends, however it ends: trap bench_cleanup EXIT
PIDS=()
bench_cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}

# DIR: gateway.conf's world route (on DIR/world.sock) and the aggregation route hello-world
# of hello and world, as aggregate.sh and callgrind-gateway.sh's AGGREGATE=1 run them
aggregate_routes() {
	cat <<CONF
[route world]
prefix = /api/world
upstream = unix:$1/world.sock

[route hello-world]
prefix = /api/hello-world
upstreams = hello, world
CONF
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# PORT PATH N: GET PATH N times on one keep-alive connection, with the header
# "$DRIVE_HEADER" ("Name: value") on each when it is set
drive() {
	python3 - "$1" "$2" "$3" "${DRIVE_HEADER:-}" <<'PY'
import http.client, sys
port, path, n, header = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
headers = dict([header.split(": ", 1)]) if header else {}
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    c.request("GET", path, headers=headers)
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

# DIR PORT SOCKET CONNECTIONS [TOP]: nginx proxying 127.0.0.1:PORT/api/ to hello on
# SOCKET, as the gateway's route does, its config in DIR/nginx.conf; TOP goes first
nginx_conf() {
	local dir=$1 port=$2 sock=$3 connections=$4 top=${5:-} user="" servers="" s
	# SOCKET may be several, separated by spaces: replicas, least_conn as the gateway's
	for s in $sock; do servers+="server unix:$s; "; done
	[ "$sock" = "${sock%% *}" ] || servers="least_conn; $servers"
	# as root, nginx's workers would run as nobody and could not open the socket
	[ "$(id -u)" = 0 ] && user="user root;"
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<CONF
$user
$top
worker_rlimit_nofile $(ulimit -n);
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections $connections; }
http {
	access_log $dir/access.log;
	client_body_temp_path $dir;
	proxy_temp_path $dir;
	# as many idle upstream connections kept per worker as the gateway keeps: with
	# fewer, a burst closes and reconnects (and fills a Unix socket's backlog)
	upstream hello { ${servers}keepalive 1024; }
	server {
		listen 127.0.0.1:$port;
		location /api/ {
			proxy_pass http://hello/;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header X-Forwarded-For \$remote_addr;
		}
	}
}
CONF
}

# FILE PORT SOCKET [GLOBAL]: haproxy the same way, GLOBAL in its global section
haproxy_cfg() {
	cat >"$1" <<CONF
global
	${4:-}
defaults
	mode http
	timeout connect 5s
	timeout client 120s
	timeout server 30s
	http-reuse always
frontend front
	bind 127.0.0.1:$2
	default_backend hello
backend hello
	http-request replace-path /api(/.*) \\1
	server hello $3
CONF
}

# NAME PORT PATH COMMAND...: COMMAND under callgrind (its out files $OUT/callgrind.out.NAME*,
# its stderr $T/NAME.log), once it answers GET PATH; prints its instructions per
# request (callgrind_per_request), then stops it
callgrind_command() {
	local name=$1 port=$2 path=$3 pid
	shift 3
	valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$name" "$@" \
		2>"$T/$name.log" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 400); do
		curl -sf -o /dev/null "http://127.0.0.1:$port$path" && break
		sleep 0.1
	done
	callgrind_per_request "$name" "$pid" "$port" "$path"
	kill "$pid"
}

# The CPU time the hypervisor gave to other guests (steal, from /proc/stat) since
# steal_start, as a share of this machine's CPU time: on a shared host the wall
# clock figures of a run with much of it are not comparable to a quiet run's.
steal_start() {
	STEAL_AT_START=$(awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t }' /proc/stat)
}

steal_report() {
	awk -v start="$STEAL_AT_START" '/^cpu / {
		t = 0; for (i = 2; i <= 9; i++) t += $i
		split(start, s, " ")
		printf "steal (CPU time the host gave to others) during the run: %.1f%%\n",
			100 * ($9 - s[1]) / (t - s[2]) }' /proc/stat
}

# VALUE...: their median, with three decimals
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
