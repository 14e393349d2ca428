#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Line coverage of src/ by the unit, integration and e2e suites, in a build dir of its
# own (instrumented objects would slow every other build). Not part of tools/test.sh:
# CI time goes to the sanitizer and valgrind runs, and coverage is read, not asserted.
#   tools/coverage.sh [BUILD_DIR]     default build-coverage
# Prints lines covered by directory of src/ and in total; the per-file HTML report is
# BUILD_DIR/coverage/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh
microsoup_install_packages "${MICROSOUP_PACKAGES[@]}" "${MICROSOUP_TEST_PACKAGES[@]}"

build=${1:-build-coverage}
# -O0: with optimisation, gcov folds and moves lines and the counts say less
if [ -f "$build/build.ninja" ]; then
	meson configure "$build" -Db_coverage=true -Doptimization=0
else
	meson setup "$build" -Db_coverage=true -Doptimization=0
fi
meson compile -C "$build"

# counters from an earlier run would be added to this one's
find "$build" -name '*.gcda' -delete
# the e2e children write their counters when they exit: a child that ends by SIGTERM
# (ms_test_process_free and ms_test_process_stop_cleanly send it) counts, one killed
# by SIGKILL does not. A failing test still leaves a report of what ran.
status=0
meson test -C "$build" --print-errorlogs --suite unit --suite integration --suite e2e ||
	status=$?

mkdir -p "$build/coverage"
gcovr --root . --object-directory "$build" --filter 'src/' -j 2 \
	--html-details "$build/coverage/index.html" \
	--json-summary "$build/coverage/summary.json" >/dev/null

python3 - "$build/coverage/summary.json" <<'EOF'
import json, sys

dirs = ['src/common', 'src/core', 'src/adapters', 'src/handlers', 'src/gateway', 'src/cmd']
totals = {d: [0, 0] for d in dirs + ['src/']}
for f in json.load(open(sys.argv[1]))['files']:
    name = f['filename']
    for d in dirs:
        if name.startswith(d + '/'):
            totals[d][0] += f['line_covered']
            totals[d][1] += f['line_total']
    totals['src/'][0] += f['line_covered']
    totals['src/'][1] += f['line_total']

print(f"{'directory':<14} {'lines':>7} {'covered':>8} {'%':>7}")
for d, (covered, total) in totals.items():
    pct = 100.0 * covered / total if total else 0.0
    print(f"{d:<14} {total:>7} {covered:>8} {pct:>6.1f}%")
EOF
echo "per-file report: $build/coverage/index.html"
exit $status
