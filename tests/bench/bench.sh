#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: the backend (microsoup-hello on a Unix socket, never idling out,
# an instance per proxy), and in front of it the gateway, nginx and haproxy, each driven
# by wrk with the same duration and connections; the backend is also hit
# directly (a second hello on TCP, since wrk speaks TCP only), and so is a bare
# SoupServer (tests/bench/bare-hello.c) sending the same bytes, the floor the
# runtime is measured against. Prints one table: requests/s, p50/p99 latency,
# CPU-µs per request of the proxy's processes (utime+stime from /proc over the run
# / requests), the requests wrk timed out, hello's ratios to the bare server
# (saturated, and paced to one rate) and the gateway's to nginx. Two more
# rows put two hello replicas (two Unix sockets) behind one route, the gateway's
# (upstream = unix:A, unix:B) and nginx's (an upstream block with both, least_conn), so the
# balancing's cost shows next to the single-upstream figures. Never part of `meson test`: absolute numbers on a shared machine are
# noise, the ratios from one run are what count.
#
#   tests/bench/bench.sh [BUILD_DIR]   (env: DURATION=10 (seconds per row, over all rounds)
#                                           ROUNDS=5 (the rows take turns, see below)
#                                           CONNECTIONS=50 THREADS=2
#                                           WORKERS= (gateway --workers, default: CPUs)
#                                           AUTH=1 (the gateway's route has auth = user;
#                                           every client sends Basic credentials)
#                                           IDLE="1000 10000" (then the idle scenario too,
#                                           see its section at the end)
#                                           CALIBRATION_NS=2000 (the bare+ row's added work)
#                                           HALT_POLL_NS= (for the run, a KVM guest's
#                                           cpuidle-haltpoll polls this long before it
#                                           halts; put back after; root only))
set -euo pipefail

BUILD=$(realpath "${1:-${MICROSOUP_BUILD_ROOT:-build}}")
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-5}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-}
AUTH=${AUTH:-0}
IDLE=${IDLE:-}
CALIBRATION_NS=${CALIBRATION_NS:-2000}
HALT_POLL_NS=${HALT_POLL_NS:-}
HALT_POLL=/sys/module/haltpoll/parameters/guest_halt_poll_ns
HELLO=$BUILD/src/cmd/microsoup-hello
GATEWAY=$BUILD/src/cmd/microsoup-gateway
BARE=$BUILD/tests/bench/bare-hello
NGINX=${NGINX:-/usr/sbin/nginx}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}

for tool in wrk "$NGINX" "$HAPROXY" "$HELLO" "$GATEWAY" "$BARE"; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

# idle connections: the proxies and the helper each hold that many descriptors
ulimit -n "$(ulimit -Hn)"
IDLE_MOST=0
for n in $IDLE; do [ "$n" -gt "$IDLE_MOST" ] && IDLE_MOST=$n; done
GATEWAY_LIMITS=
if [ -n "$IDLE" ] || [ "$CONNECTIONS" -gt 256 ]; then
	# every client here is 127.0.0.1 (the default per-client limit is 256, and nginx
	# and haproxy have none), and RLIMIT_NOFILE here may derive fewer than the idle
	# connections (units/gateway.service's LimitNOFILE=65536 derives 32736)
	GATEWAY_LIMITS="max_connections = $((IDLE_MOST + CONNECTIONS + 256))
max_connections_per_client = 0"
fi

# haproxy wants two descriptors per connection it may take, idle or not
HAPROXY_MAXCONN=$(( (IDLE_MOST + 4096) < ($(ulimit -n) - 256) / 2 ? IDLE_MOST + 4096 : ($(ulimit -n) - 256) / 2 ))

T=$(mktemp -d /tmp/microsoup-bench.XXXXXX)

source "$(dirname "$(realpath "$0")")/bench-lib.sh"
trap bench_cleanup EXIT

# In a KVM guest whose idle vCPUs halt at once (guest_halt_poll_ns=0), waking a
# sleeping wrk thread goes through the host, and the server that sends the answer
# pays for it: more often the slower the server. HALT_POLL_NS sets the polling for
# this run only, and the trap puts the machine's value back.
HALT_POLL_BEFORE=
if [ -n "$HALT_POLL_NS" ]; then
	[ -w "$HALT_POLL" ] || { echo "bench: HALT_POLL_NS needs a writable $HALT_POLL" >&2; exit 1; }
	HALT_POLL_BEFORE=$(cat "$HALT_POLL")
	trap 'echo "$HALT_POLL_BEFORE" >"$HALT_POLL"; bench_cleanup' EXIT
	echo "$HALT_POLL_NS" >"$HALT_POLL"
fi

wait_http() {
	for _ in $(seq 100); do
		curl -sf -o /dev/null "${AUTH_HEADER[@]}" "$1" && return 0
		sleep 0.05
	done
	echo "bench: $1 never answered" >&2
	exit 1
}

# the pid and every descendant (nginx workers, threads are in the pid's own stat)
tree_pids() {
	local pid=$1
	echo "$pid"
	for child in $(pgrep -P "$pid" || true); do tree_pids "$child"; done
}

cpu_ticks() {
	local total=0
	for pid in $(tree_pids "$1"); do
		# fields after the ")" of comm: utime is 14th, stime 15th of the whole line
		local stat
		stat=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
		set -- $stat
		total=$((total + ${12} + ${13}))
	done
	echo "$total"
}

P_DIRECT=$(free_port)
P_BARE=$(free_port)
P_GATEWAY=$(free_port)
P_NGINX=$(free_port)
P_HAPROXY=$(free_port)
P_GATEWAY2=$(free_port)
P_NGINX2=$(free_port)
# Every proxy has hello instances of its own: a proxy's idle keep-alive connections
# to hello (nginx keeps up to 1024 for a minute) would otherwise slow it for the
# next row, libsoup polling each of them on every wakeup: at -c1000 that cost the
# next row 40% of its req/s
hello_on() {
	"$HELLO" --listen="unix:$T/$1.sock" --idle-timeout=0 2>/dev/null &
	PIDS+=($!)
}
for backend in gateway gateway-x2-a gateway-x2-b nginx nginx-x2-a nginx-x2-b haproxy; do
	hello_on "$backend"
done

"$HELLO" --listen="tcp:127.0.0.1:$P_DIRECT" --idle-timeout=0 2>/dev/null &
PIDS+=($!); DIRECT_PID=$!
"$BARE" "$P_BARE" &
PIDS+=($!); BARE_PID=$!
# the calibration row: the bare server with a known amount of work added per request
P_BARE_MORE=$(free_port)
"$BARE" "$P_BARE_MORE" "$CALIBRATION_NS" &
PIDS+=($!); BARE_MORE_PID=$!

# security: with AUTH=1 a user in a credentials directory, as systemd's
# LoadCredential= would pass it, and every request (to every proxy) carries it
AUTH_HEADER=()
ROUTE_AUTH=
if [ "$AUTH" = 1 ]; then
	mkdir -p "$T/credentials"
	echo "bench-pw" | "$GATEWAY" --hash-password | sed 's/^/bench:user:/' >"$T/credentials/users"
	export CREDENTIALS_DIRECTORY=$T/credentials
	AUTH_HEADER=(-H "Authorization: Basic $(printf bench:bench-pw | base64)")
	ROUTE_AUTH="auth = user"
fi

cat > "$T/gateway.conf" <<CONF
[gateway]
workers = ${WORKERS:-0}
$GATEWAY_LIMITS

[route hello]
prefix = /api/hello
upstream = unix:$T/gateway.sock
$ROUTE_AUTH
CONF
# the access log goes to a file, as nginx's does
"$GATEWAY" --config="$T/gateway.conf" --listen="tcp:127.0.0.1:$P_GATEWAY" --idle-timeout=0 \
	2>"$T/gateway.log" &
PIDS+=($!); GATEWAY_PID=$!

# the same route with two replicas, in a gateway of its own
sed "s|^upstream = unix:$T/gateway.sock\$|upstream = unix:$T/gateway-x2-a.sock, unix:$T/gateway-x2-b.sock|" \
	"$T/gateway.conf" >"$T/gateway-2.conf"
"$GATEWAY" --config="$T/gateway-2.conf" --listen="tcp:127.0.0.1:$P_GATEWAY2" --idle-timeout=0 \
	2>"$T/gateway-2.log" &
PIDS+=($!); GATEWAY2_PID=$!

# nginx counts its upstream connections against worker_connections too: one per
# client connection at worst, besides the idle ones
nginx_conf "$T/nginx" "$P_NGINX" "$T/nginx.sock" $((IDLE_MOST + 2 * CONNECTIONS + 1024)) "worker_processes auto;"
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
PIDS+=($!); NGINX_PID=$!
# and an nginx of its own with both replicas (least_conn)
nginx_conf "$T/nginx2" "$P_NGINX2" "$T/nginx-x2-a.sock $T/nginx-x2-b.sock" $((2 * CONNECTIONS + 1024)) "worker_processes auto;"
"$NGINX" -p "$T/nginx2" -c "$T/nginx2/nginx.conf" -g 'daemon off;' 2>/dev/null &
PIDS+=($!); NGINX2_PID=$!

haproxy_cfg "$T/haproxy.cfg" "$P_HAPROXY" "$T/haproxy.sock" "maxconn $HAPROXY_MAXCONN"
"$HAPROXY" -f "$T/haproxy.cfg" -db 2>/dev/null &
PIDS+=($!); HAPROXY_PID=$!

wait_http "http://127.0.0.1:$P_DIRECT/hello"
wait_http "http://127.0.0.1:$P_BARE/hello"
wait_http "http://127.0.0.1:$P_BARE_MORE/hello"
wait_http "http://127.0.0.1:$P_GATEWAY/api/hello"
wait_http "http://127.0.0.1:$P_NGINX/api/hello"
wait_http "http://127.0.0.1:$P_HAPROXY/api/hello"
wait_http "http://127.0.0.1:$P_GATEWAY2/api/hello"
wait_http "http://127.0.0.1:$P_NGINX2/api/hello"

TICK=$(getconf CLK_TCK)
PACE=() # wrk's script for the paced runs, below
declare -A RPS P50 P99 CPU TIMEOUTS REQUESTS SECONDS_RUN TICKS P50S P99S

to_ms() {
	# wrk prints 512.00us, 1.23ms or 1.02s
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
		else print v }'
}

# NAME URL PID: one wrk run against URL, added to NAME's totals (requests, seconds,
# the CPU ticks of PID's processes, timeouts) and to its lists of p50s and p99s
measure() {
	local name=$1 url=$2 pid=$3 seconds=$4 out before after
	before=$(cpu_ticks "$pid")
	out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency "${PACE[@]}" \
		"${AUTH_HEADER[@]}" "$url")
	after=$(cpu_ticks "$pid")
	if echo "$out" | grep -q "Non-2xx"; then
		echo "bench: $name answered errors:" >&2
		echo "$out" >&2
	fi
	REQUESTS[$name]=$((${REQUESTS[$name]:-0} + $(echo "$out" | awk '/requests in/ { print $1 }')))
	SECONDS_RUN[$name]=$((${SECONDS_RUN[$name]:-0} + seconds))
	TICKS[$name]=$((${TICKS[$name]:-0} + after - before))
	# wrk leaves a request that took over its 2 s timeout out of the latencies: a
	# proxy that starves a few connections would show a low p99 without this count
	TIMEOUTS[$name]=$((${TIMEOUTS[$name]:-0} + $(echo "$out" |
		awk '/Socket errors/ { sub(/.*timeout /, ""); t = $1 } END { print t + 0 }')))
	P50S[$name]+=" $(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")"
	P99S[$name]+=" $(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")"
}

# NAME: its row's figures from its totals: req/s and CPU per request over all its
# runs, p50 and p99 the median of its runs'
settle() {
	local name=$1
	RPS[$name]=$(awk -v n="${REQUESTS[$name]}" -v s="${SECONDS_RUN[$name]}" \
		'BEGIN { printf "%.0f", n / s }')
	CPU[$name]=$(awk -v t="${TICKS[$name]}" -v hz="$TICK" -v n="${REQUESTS[$name]}" \
		'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
	P50[$name]=$(median ${P50S[$name]})
	P99[$name]=$(median ${P99S[$name]})
}

# NAME URL PID: a warm-up (it fills the pools and the page cache), then DURATION
# seconds in ROUNDS runs: each run's wrk connects anew, and how a burst of connections
# falls on the gateway's workers moves its req/s by a fifth from one run to the next
run() {
	wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "${AUTH_HEADER[@]}" "$2" >/dev/null 2>&1
	for _ in $(seq "$ROUNDS"); do
		measure "$1" "$2" "$3" "$ROUND_SECONDS"
	done
	settle "$1"
}

# The rows take turns: ROUNDS rounds, each giving every proxy DURATION / ROUNDS
# seconds, so that what the rest of a shared machine does in the meantime falls on
# every row alike and not on whichever ran then
ROWS=(direct bare bare+ gateway nginx haproxy gateway-x2 nginx-x2)
declare -A URL=(
	[direct]="http://127.0.0.1:$P_DIRECT/hello"
	[bare]="http://127.0.0.1:$P_BARE/hello"
	[bare+]="http://127.0.0.1:$P_BARE_MORE/hello"
	[gateway]="http://127.0.0.1:$P_GATEWAY/api/hello"
	[nginx]="http://127.0.0.1:$P_NGINX/api/hello"
	[haproxy]="http://127.0.0.1:$P_HAPROXY/api/hello"
	[gateway-x2]="http://127.0.0.1:$P_GATEWAY2/api/hello"
	[nginx-x2]="http://127.0.0.1:$P_NGINX2/api/hello"
)
declare -A PID_OF=(
	[direct]=$DIRECT_PID [bare]=$BARE_PID [bare+]=$BARE_MORE_PID [gateway]=$GATEWAY_PID [nginx]=$NGINX_PID
	[haproxy]=$HAPROXY_PID [gateway-x2]=$GATEWAY2_PID [nginx-x2]=$NGINX2_PID
)
ROUND_SECONDS=$(( DURATION / ROUNDS > 0 ? DURATION / ROUNDS : 1 ))
for name in "${ROWS[@]}"; do
	wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "${AUTH_HEADER[@]}" "${URL[$name]}" >/dev/null 2>&1
done
# SUFFIX ROW...: ROUNDS rounds, each giving every ROW one run, its figures kept as
# ROW followed by SUFFIX
take_turns() {
	local suffix=$1 name
	shift
	for _ in $(seq "$ROUNDS"); do
		for name in "$@"; do
			measure "$name$suffix" "${URL[$name]}" "${PID_OF[$name]}" "$ROUND_SECONDS"
		done
	done
	for name in "$@"; do settle "$name$suffix"; done
}
steal_start
take_turns "" "${ROWS[@]}"
HALT_POLL_TEXT=
if [ -r "$HALT_POLL" ]; then
	HALT_POLL_TEXT="; guest halt polling $(cat "$HALT_POLL") ns"
	[ -n "$HALT_POLL_BEFORE" ] && HALT_POLL_TEXT+=" (this run only; the machine has $HALT_POLL_BEFORE)"
fi
echo
echo "wrk -t$THREADS -c$CONNECTIONS, $ROUNDS rounds of ${ROUND_SECONDS}s per row, GET /api/hello -> microsoup-hello on a Unix socket; $(nproc) CPUs${ROUTE_AUTH:+; gateway route: $ROUTE_AUTH (Basic)}$HALT_POLL_TEXT"
printf '%-10s %10s %10s %10s %14s %9s\n' proxy 'req/s' 'p50 ms' 'p99 ms' 'CPU-us/req' 'timeouts'
for name in "${ROWS[@]}"; do
	printf '%-10s %10s %10s %10s %14s %9s\n' "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" \
		"${CPU[$name]}" "${TIMEOUTS[$name]}"
done
echo "(direct: microsoup-hello itself over TCP, its own CPU; bare: a SoupServer alone, the same bytes;"
echo " bare+: the same server kept busy $CALIBRATION_NS ns more per request;"
echo " -x2: two hello replicas on two Unix sockets behind the one route, least outstanding/least_conn;"
echo " req/s, CPU and timeouts over all rounds; p50 and p99 the median of the rounds';"
echo " timeouts: requests wrk gave up on after 2 s, which its latencies leave out)"
awk -v dr="${RPS[direct]}" -v br="${RPS[bare]}" -v dc="${CPU[direct]}" -v bc="${CPU[bare]}" 'BEGIN {
	rr = dr / br; cr = dc / bc
	printf "hello / bare: req/s %.2fx, CPU per request %.2fx (target <= 1.10: %s)\n",
		rr, cr, (cr <= 1.1 ? "met" : "NOT met") }'
# A known amount of added work, as this run reads it: how finely the run tells
# one server's CPU per request from another's, next to the 10% the target allows
awk -v mc="${CPU[bare+]}" -v bc="${CPU[bare]}" -v ns="$CALIBRATION_NS" 'BEGIN {
	printf "calibration: %.1f us more work per request read as %+.1f us (bare+ / bare %.2fx; 10%% of bare is %.1f us)\n",
		ns / 1000, mc - bc, mc / bc, bc / 10 }'
awk -v gr="${RPS[gateway]}" -v nr="${RPS[nginx]}" -v gc="${CPU[gateway]}" -v nc="${CPU[nginx]}" 'BEGIN {
	rr = gr / nr; cr = gc / nc
	printf "gateway / nginx: req/s %.2fx (target >= 0.90: %s), CPU per request %.2fx (target <= 1.30: %s)\n",
		rr, (rr >= 0.9 ? "met" : "NOT met"), cr, (cr <= 1.3 ? "met" : "NOT met") }'
awk -v gr="${RPS[gateway-x2]}" -v nr="${RPS[nginx-x2]}" -v gc="${CPU[gateway-x2]}" -v nc="${CPU[nginx-x2]}" \
	-v g1="${CPU[gateway]}" 'BEGIN {
	printf "with two replicas: gateway / nginx req/s %.2fx, CPU per request %.2fx; gateway x2 / x1 CPU per request %.2fx\n",
		gr / nr, gc / nc, gc / g1 }'
steal_report

# --- hello and bare at the same rate ---------------------------------------------------
# Saturated, each server answers as fast as it can, and the slower one more often finds
# wrk asleep: waking it makes the server's send dearer, so CPU per request at
# saturation also weighs how busy each server is. Here both get the same paced load,
# each connection pausing between requests so that the rate is about half the bare
# server's saturated one, and CPU per request compares the same work at about the same
# rate (the pause fixes it only roughly: the rates are printed).
PACE_MS=$(awk -v c="$CONNECTIONS" -v r="${RPS[bare]}" 'BEGIN { p = c / (r / 2) * 1000; printf "%d", p < 1 ? 1 : p + 0.5 }')
echo "function delay() return $PACE_MS end" >"$T/paced.lua"
PACE=(-s "$T/paced.lua")
take_turns -paced direct bare
PACE=()
awk -v dr="${RPS[direct-paced]}" -v br="${RPS[bare-paced]}" -v dc="${CPU[direct-paced]}" \
	-v bc="${CPU[bare-paced]}" -v ms="$PACE_MS" 'BEGIN {
	printf "hello / bare paced (%d ms between a connection'"'"'s requests; %d and %d req/s): CPU per request %.1f / %.1f us, %.2fx\n",
		ms, dr, br, dc, bc, dc / bc }'

# --- idle keep-alive connections (IDLE="1000 10000") ------------------------------------
# For each proxy and each count: a run with none held, then tests/bench/idle-clients.py
# opens that many keep-alive connections, has one request answered on each and leaves
# them idle while wrk runs the same load as above; the proxy's RSS is read before they
# open and once they are idle. Each ratio is to the run with none held just before it,
# a minute apart at most: runs further apart differ by more than what is measured.
[ -n "$IDLE" ] || exit 0

source "$(dirname "$(realpath "$0")")/idle-lib.sh"
declare -A HELD RSS_PER

rss_kib() {
	local total=0
	for pid in $(tree_pids "$1"); do
		total=$((total + $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)))
	done
	echo "$total"
}

idle_run() {
	local name=$1 port=$2 url=$3 pid=$4 n=$5 before after
	# after the same pause as the run with them held: a machine left idle for seconds
	# is slower for a while (the host gave its CPUs away meanwhile), which would
	# weigh on that run alone
	sleep 6
	run "$name/$n/none" "$url" "$pid"
	before=$(rss_kib "$pid")
	idle_open "$port" /api/hello "$n"
	after=$(rss_kib "$pid")
	# the gateway's upstream connections that their requests opened leave its pool
	# after 5 s idle: what is measured is the idle client connections alone
	sleep 6
	run "$name/$n" "$url" "$pid"
	# those the proxy closed while wrk ran do not count as held
	idle_close
	HELD[$name/$n]=$((n - IDLE_CLOSED))
	RSS_PER[$name/$n]=$(awk -v b="$before" -v a="$after" -v n="$n" \
		'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
}

COUNTS=()
for n in $IDLE; do [ "$n" -gt 0 ] && COUNTS+=("$n"); done
for n in "${COUNTS[@]}"; do
	idle_run gateway "$P_GATEWAY" "http://127.0.0.1:$P_GATEWAY/api/hello" "$GATEWAY_PID" "$n"
	idle_run nginx "$P_NGINX" "http://127.0.0.1:$P_NGINX/api/hello" "$NGINX_PID" "$n"
	# past its maxconn, haproxy would leave the helper's connections in the backlog
	if [ $((n + CONNECTIONS)) -le "$HAPROXY_MAXCONN" ]; then
		idle_run haproxy "$P_HAPROXY" "http://127.0.0.1:$P_HAPROXY/api/hello" "$HAPROXY_PID" "$n"
	fi
done

echo
echo "idle keep-alive connections held open while wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s runs; each ratio to the same proxy with none held, just before"
printf '%-10s %7s %7s %16s %8s %18s %8s %12s\n' proxy idle held 'req/s none/idle' ratio \
	'CPU-us/req none/idle' ratio 'RSS B/idle'
for name in gateway nginx haproxy; do
	for n in "${COUNTS[@]}"; do
		[ -n "${RPS[$name/$n]:-}" ] || { printf '%-10s %7d  (skipped: over maxconn %s, RLIMIT_NOFILE %s)\n' \
			"$name" "$n" "$HAPROXY_MAXCONN" "$(ulimit -n)"; continue; }
		awk -v name="$name" -v n="$n" -v held="${HELD[$name/$n]}" \
			-v r="${RPS[$name/$n]}" -v r0="${RPS[$name/$n/none]}" \
			-v c="${CPU[$name/$n]}" -v c0="${CPU[$name/$n/none]}" -v m="${RSS_PER[$name/$n]}" \
			'BEGIN { printf "%-10s %7d %7d %16s %7.2fx %18s %7.2fx %12s\n",
				name, n, held, r0 "/" r, r / r0, c0 "/" c, c / c0, m }'
	done
done
echo "(held: idle connections still open when wrk ended; RSS B/idle: the proxy's RSS with them open minus before they opened, per connection)"
