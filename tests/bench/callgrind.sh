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

source "$(dirname "$(realpath "$0")")/bench-lib.sh"
trap bench_cleanup EXIT

P_HELLO=$(free_port)
echo "hello $(callgrind_command hello "$P_HELLO" /hello "$BUILD/src/cmd/microsoup-hello" \
	--listen="tcp:127.0.0.1:$P_HELLO" --idle-timeout=0) instructions/request"
P_BARE=$(free_port)
echo "bare $(callgrind_command bare "$P_BARE" /hello "$BUILD/tests/bench/bare-hello" "$P_BARE") instructions/request"
