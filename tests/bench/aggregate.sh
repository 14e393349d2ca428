#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An aggregation route against its parts: microsoup-hello and microsoup-world on
# Unix sockets behind the gateway, each route driven by wrk on one connection
# (latency, not throughput: one request at a time), then the aggregation route
# "hello, world" that asks both at once. Prints each route's p50/p99 and the
# aggregation's p50 as a ratio of its slowest part's. Never part of `meson test`.
#
# A latency of 0.2 ms moves by half with what else the machine runs, and three
# routes measured one after the other see different machines: the run is ROUNDS
# rounds of the three routes back to back, each round gives its own ratio, and
# the run's ratio is the median of those.
#
#   tests/bench/aggregate.sh [BUILD_DIR]   (env: DURATION=2 (per route and round)
#                                           ROUNDS=5 CONNECTIONS=1)
set -euo pipefail

BUILD=$(realpath "${1:-${MICROSOUP_BUILD_ROOT:-build}}")
DURATION=${DURATION:-2}
ROUNDS=${ROUNDS:-5}
CONNECTIONS=${CONNECTIONS:-1}
GATEWAY=$BUILD/src/cmd/microsoup-gateway
T=$(mktemp -d /tmp/microsoup-aggregate.XXXXXX)
source "$(dirname "$(realpath "$0")")/bench-lib.sh"
trap bench_cleanup EXIT

for tool in wrk curl "$GATEWAY"; do
	command -v "$tool" >/dev/null || { echo "aggregate: $tool is missing" >&2; exit 1; }
done

for service in hello world; do
	"$BUILD/src/cmd/microsoup-$service" --listen="unix:$T/$service.sock" --idle-timeout=0 \
		2>/dev/null &
	PIDS+=($!)
done
PORT=$(free_port)
{
	printf '[route hello]\nprefix = /api/hello\nupstream = unix:%s\n\n' "$T/hello.sock"
	aggregate_routes "$T"
} >"$T/gateway.conf"
"$GATEWAY" --config="$T/gateway.conf" --listen="tcp:127.0.0.1:$PORT" --idle-timeout=0 \
	2>"$T/gateway.log" &
PIDS+=($!)
for path in hello world hello-world; do
	for _ in $(seq 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/$path" && break
		sleep 0.1
	done
done

# PATH: "p50 p99" in ms, from wrk's latency distribution
latency() {
	wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/api/$1" | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
				 if (v ~ /s$/) return v * 1000; return v }
		$1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
		END { printf "%.3f %.3f\n", p50, p99 }'
}

# a warm-up fills the pool's connections to both services
for path in hello world hello-world; do
	wrk -t1 -c"$CONNECTIONS" -d1s "http://127.0.0.1:$PORT/api/$path" >/dev/null 2>&1
done

echo "wrk -t1 -c$CONNECTIONS, $ROUNDS rounds of ${DURATION}s per route, through the gateway; $(nproc) CPUs"
printf '%-6s %-24s %-24s %-24s %8s\n' round "hello p50/p99 ms" "world p50/p99 ms" \
	"hello-world p50/p99 ms" ratio
RATIOS=()
steal_start
for round in $(seq "$ROUNDS"); do
	declare -A P50 P99
	for path in hello world hello-world; do
		read -r "P50[$path]" "P99[$path]" < <(latency "$path")
	done
	ratio=$(awk -v a="${P50[hello-world]}" -v h="${P50[hello]}" -v w="${P50[world]}" \
		'BEGIN { printf "%.2f", a / (h > w ? h : w) }')
	RATIOS+=("$ratio")
	printf '%-6s %-24s %-24s %-24s %7sx\n' "$round" "${P50[hello]} / ${P99[hello]}" \
		"${P50[world]} / ${P99[world]}" "${P50[hello-world]} / ${P99[hello-world]}" "$ratio"
done
awk -v m="$(median "${RATIOS[@]}")" -v n="${#RATIOS[@]}" 'BEGIN {
	printf "aggregation / slowest part, p50, median of %d rounds: %.2fx (target <= 1.20: %s)\n",
		n, m, m <= 1.20 ? "met" : "NOT met" }'
steal_report
