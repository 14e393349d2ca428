#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's second command: install what is missing, build, run the whole suite,
# then again under AddressSanitizer/UBSan and the fast suites under valgrind.
#   tools/test.sh            everything (what CI runs)
#   tools/test.sh --quick    one normal build and its suite
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh
microsoup_install_packages "${MICROSOUP_PACKAGES[@]}" "${MICROSOUP_TEST_PACKAGES[@]}" \
	"${MICROSOUP_CONTAINER_PACKAGES[@]}" "${MICROSOUP_KUBERNETES_PACKAGES[@]}" \
	"${MICROSOUP_PACKAGE_TEST_PACKAGES[@]}"

step() { printf '\n==> %s\n' "$*"; }

step "build (-Werror) and test"
# build/ may come from run-dev.sh: the test build is -Werror either way
if [ -f build/build.ninja ]; then meson configure build -Dwerror=true; else meson setup build -Dwerror=true; fi
meson compile -C build
meson test -C build --print-errorlogs --no-suite container

[ "${1:-}" = "--quick" ] && exit 0

step "container images: built and run with podman"
meson test -C build --print-errorlogs --suite container

step "AddressSanitizer + UBSan build and test"
[ -f build-asan/build.ninja ] ||
	meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-asan
meson test -C build-asan --print-errorlogs --no-suite system --no-suite package --no-suite scaffold --no-suite container --no-suite kubernetes

step "valgrind on the unit and integration suites"
meson test -C build --setup valgrind --print-errorlogs --suite unit --suite integration
