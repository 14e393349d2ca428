#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Instructions per proxied request of the gateway under callgrind: microsoup-hello
# on a Unix socket behind one plain route, one worker, one keep-alive connection,
# a warm-up, then the counters are zeroed, N requests are made and the counters
# dumped. Only the gateway runs under valgrind: hello's and the client's
# instructions are not counted. Deterministic where wall-clock numbers are not,
# so one change's cost can be told on a busy machine.
#
#   tests/bench/callgrind-gateway.sh [BUILD_DIR]   (env: WARMUP=300 REQUESTS=2000
#                                                   KEEP= (a directory for the
#                                                   callgrind.out files)
#                                                   IDLE="0 1000 10000" (a run per
#                                                   count, with that many idle
#                                                   keep-alive connections open)
#                                                   AUTH=1 (a run on a route with
#                                                   auth = user too: the cached
#                                                   credential check's cost)
#                                                   PROXIES=1 (nginx and haproxy
#                                                   on the same route, counted
#                                                   the same way)
#                                                   AGGREGATE=1 (a run on an
#                                                   aggregation route of hello
#                                                   and microsoup-world: one
#                                                   aggregated call's cost))
#
# With IDLE, tests/bench/idle-clients.py holds the connections open, each with one
# request answered, while the requests are counted on one more connection: idle
# connections that cost nothing leave the count flat.
set -euo pipefail

BUILD=$(realpath "${1:-${MICROSOUP_BUILD_ROOT:-build}}")
WARMUP=${WARMUP:-300}
REQUESTS=${REQUESTS:-2000}
IDLE=${IDLE:-0}
HELLO=$BUILD/src/cmd/microsoup-hello
GATEWAY=$BUILD/src/cmd/microsoup-gateway
T=$(mktemp -d /tmp/microsoup-callgrind-gateway.XXXXXX)
source "$(dirname "$(realpath "$0")")/bench-lib.sh"
trap bench_cleanup EXIT
OUT=${KEEP:-$T}
mkdir -p "$OUT"

WORLD=$BUILD/src/cmd/microsoup-world
for tool in valgrind callgrind_control callgrind_annotate "$HELLO" "$GATEWAY"; do
	command -v "$tool" >/dev/null || { echo "callgrind-gateway: $tool is missing" >&2; exit 1; }
done

SOCK=$T/hello.sock
PORT=$(free_port)
"$HELLO" --listen="unix:$SOCK" --idle-timeout=0 2>/dev/null &
PIDS+=($!)

IDLE_MOST=0
for n in $IDLE; do [ "$n" -gt "$IDLE_MOST" ] && IDLE_MOST=$n; done
GATEWAY_LIMITS=
if [ "$IDLE_MOST" -gt 0 ]; then
	# the idle clients and the helper each hold that many descriptors
	ulimit -n "$(ulimit -Hn)"
	# every idle client is 127.0.0.1, and RLIMIT_NOFILE here may derive fewer
	GATEWAY_LIMITS="max_connections = $((IDLE_MOST + 256))
max_connections_per_client = 0"
fi
source "$(dirname "$(realpath "$0")")/idle-lib.sh"

cat >"$T/gateway.conf" <<CONF
[gateway]
workers = 1
$GATEWAY_LIMITS

[route hello]
prefix = /api/hello
upstream = unix:$SOCK
CONF
# the same route with auth = user, for AUTH=1
sed 's|^upstream = .*|&\nauth = user|' "$T/gateway.conf" >"$T/gateway-auth.conf"
# the same gateway with world and the aggregation route of both, for AGGREGATE=1
{
	cat "$T/gateway.conf"
	echo
	aggregate_routes "$T"
} >"$T/gateway-aggregate.conf"

# the auth route's user, in a credentials directory as systemd's LoadCredential= makes one
mkdir -p "$T/credentials"
echo "bench-pw" | "$GATEWAY" --hash-password | sed 's/^/bench:user:/' >"$T/credentials/users"
export CREDENTIALS_DIRECTORY=$T/credentials

# NAME: the gateway under callgrind until it answers; sets GATEWAY_PID
start_gateway() {
	local up=0
	# the access log goes to a file, as in bench.sh: a line per request is part of the cost
	valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$1" \
		"$GATEWAY" --config="$T/${CONFIG:-gateway.conf}" --listen="tcp:127.0.0.1:$PORT" --workers=1 \
		--idle-timeout=0 2>"$T/gateway.log" &
	GATEWAY_PID=$!
	PIDS+=("$GATEWAY_PID")
	for _ in $(seq 400); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/api/hello" && { up=1; break; }
		sleep 0.1
	done
	if [ "$up" = 0 ]; then
		echo "callgrind-gateway: the gateway never answered:" >&2
		cat "$T/gateway.log" >&2
		exit 1
	fi
}

declare -A PER_REQUEST
for n in $IDLE; do
	name=gateway
	[ "$IDLE" != 0 ] && name=gateway-idle$n
	PORT=$(free_port)
	start_gateway "$name"
	if [ "$n" -gt 0 ]; then
		idle_open "$PORT" /api/hello "$n"
		# the upstream connections their requests opened leave the pool after 5 s idle
		sleep 6
	fi
	PER_REQUEST[$n]=$(callgrind_per_request "$name" "$GATEWAY_PID" "$PORT" /api/hello)
	echo "$name ${PER_REQUEST[$n]} instructions/request"
	if [ "$n" -gt 0 ]; then
		idle_close
	fi
	kill "$GATEWAY_PID"
	wait "$GATEWAY_PID" 2>/dev/null || true
done
if [ "$IDLE" != 0 ]; then
	FIRST=${IDLE%% *}
	for n in $IDLE; do
		awk -v n="$n" -v ir="${PER_REQUEST[$n]}" -v ir0="${PER_REQUEST[$FIRST]}" -v first="$FIRST" \
			'BEGIN { printf "gateway with %d idle connections: %d instructions/request, %.3fx of %d idle\n",
				n, ir, ir / ir0, first }'
	done
fi

if [ "${AUTH:-0}" = 1 ]; then
	PORT=$(free_port)
	CONFIG=gateway-auth.conf start_gateway gateway-auth
	# the first request checks the password; the rest find it in the cache
	AUTH_PER_REQUEST=$(DRIVE_HEADER="Authorization: Basic $(printf bench:bench-pw | base64)" \
		callgrind_per_request gateway-auth "$GATEWAY_PID" "$PORT" /api/hello)
	kill "$GATEWAY_PID"
	wait "$GATEWAY_PID" 2>/dev/null || true
	echo "gateway-auth $AUTH_PER_REQUEST instructions/request"
	awk -v a="$AUTH_PER_REQUEST" -v p="${PER_REQUEST[${IDLE%% *}]}" 'BEGIN {
		printf "cached Basic auth: %.3fx of no auth (target < 1.10)\n", a / p }'
fi

if [ "${PROXIES:-0}" = 1 ]; then
	NGINX=${NGINX:-/usr/sbin/nginx}
	HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
	# one process each, as the gateway's one worker: nginx without its master
	NGINX_PORT=$(free_port)
	nginx_conf "$T/nginx" "$NGINX_PORT" "$SOCK" 1024 "master_process off;
daemon off;
worker_processes 1;"
	HAPROXY_PORT=$(free_port)
	haproxy_cfg "$T/haproxy.cfg" "$HAPROXY_PORT" "$SOCK" "nbthread 1"
	NGINX_PER_REQUEST=$(callgrind_command nginx "$NGINX_PORT" /api/hello "$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf")
	echo "nginx $NGINX_PER_REQUEST instructions/request"
	HAPROXY_PER_REQUEST=$(callgrind_command haproxy "$HAPROXY_PORT" /api/hello "$HAPROXY" -f "$T/haproxy.cfg" -db)
	echo "haproxy $HAPROXY_PER_REQUEST instructions/request"
	awk -v g="${PER_REQUEST[${IDLE%% *}]}" -v n="$NGINX_PER_REQUEST" -v h="$HAPROXY_PER_REQUEST" 'BEGIN {
		printf "gateway / nginx: %.2fx instructions per request (target <= 1.00); gateway / haproxy: %.2fx\n",
			g / n, g / h }'
fi

if [ "${AGGREGATE:-0}" = 1 ]; then
	command -v "$WORLD" >/dev/null || { echo "callgrind-gateway: $WORLD is missing" >&2; exit 1; }
	"$WORLD" --listen="unix:$T/world.sock" --idle-timeout=0 2>/dev/null &
	PIDS+=($!)
	PORT=$(free_port)
	CONFIG=gateway-aggregate.conf start_gateway gateway-aggregate
	AGGREGATE_PER_REQUEST=$(callgrind_per_request gateway-aggregate "$GATEWAY_PID" "$PORT" \
		/api/hello-world)
	kill "$GATEWAY_PID"
	wait "$GATEWAY_PID" 2>/dev/null || true
	echo "gateway-aggregate $AGGREGATE_PER_REQUEST instructions/request"
	awk -v a="$AGGREGATE_PER_REQUEST" -v p="${PER_REQUEST[${IDLE%% *}]}" 'BEGIN {
		printf "an aggregated call of two parts: %.2fx the instructions of a proxied request\n", a / p }'
fi
