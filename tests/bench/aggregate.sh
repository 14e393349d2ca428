#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An aggregation route against its parts: microsoup-hello and microsoup-world on
# Unix sockets behind the gateway, each route driven by wrk on one connection
# (latency, not throughput: one request at a time), then the aggregation route
# "hello, world" that asks both at once. Prints each route's p50/p99 and the
# aggregation's p50 as a ratio of its slowest part's. Never part of `meson test`.
#
#   tests/bench/aggregate.sh [BUILD_DIR]   (env: DURATION=5 CONNECTIONS=1)
set -euo pipefail

BUILD=$(realpath "${1:-${MICROSOUP_BUILD_ROOT:-build}}")
DURATION=${DURATION:-5}
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
	local url="http://127.0.0.1:$PORT/api/$1"
	wrk -t1 -c"$CONNECTIONS" -d1s "$url" >/dev/null 2>&1
	wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
				 if (v ~ /s$/) return v * 1000; return v }
		$1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
		END { printf "%.3f %.3f\n", p50, p99 }'
}

declare -A P50
echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s through the gateway; $(nproc) CPUs"
printf '%-16s %10s %10s\n' route "p50 ms" "p99 ms"
for path in hello world hello-world; do
	read -r p50 p99 < <(latency "$path")
	P50[$path]=$p50
	printf '%-16s %10s %10s\n' "$path" "$p50" "$p99"
done
awk -v a="${P50[hello-world]}" -v h="${P50[hello]}" -v w="${P50[world]}" 'BEGIN {
	slowest = h > w ? h : w
	printf "aggregation / slowest part: p50 %.2fx (target <= 1.20: %s)\n",
		a / slowest, a / slowest <= 1.20 ? "met" : "NOT met" }'
