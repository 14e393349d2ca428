#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs the Debian 12 packages microsoup needs to build, run and test, if missing.
# Sourced by run-dev.sh and test.sh; uses sudo when not root.
set -euo pipefail

# what builds the binaries (also the container images' build stage)
MICROSOUP_BUILD_PACKAGES=(
	build-essential meson ninja-build pkg-config gettext
	libglib2.0-dev libglib2.0-dev-bin libsoup-3.0-dev libjson-glib-dev libsystemd-dev
	libsqlite3-dev libcrypt-dev
)
MICROSOUP_PACKAGES=("${MICROSOUP_BUILD_PACKAGES[@]}" systemd systemd-container curl)
MICROSOUP_TEST_PACKAGES=(clang clang-format libclang-rt-14-dev valgrind python3 gcovr man-db
	iproute2)
# the container suite: Debian 12's podman (rootful, run with runc: see
# tests/container/container-test.sh), a base image made with debootstrap, and
# name resolution between containers (the CNI dnsname plugin)
MICROSOUP_CONTAINER_PACKAGES=(podman runc debootstrap containernetworking-plugins
	golang-github-containernetworking-plugin-dnsname iptables)
# the kubernetes suite: kubectl for `kubectl kustomize`, node and npm for the schema
# checker; a kubectl or node already on PATH (another vendor's package) is used as it is
MICROSOUP_KUBERNETES_PACKAGES=()
command -v kubectl >/dev/null || MICROSOUP_KUBERNETES_PACKAGES+=(kubernetes-client)
command -v npm >/dev/null || MICROSOUP_KUBERNETES_PACKAGES+=(nodejs npm)
# the package suite: dpkg-buildpackage (debhelper, with its installsysusers sequence),
# lintian, and mmdebstrap for the minimal Debian root it installs the package in
MICROSOUP_PACKAGE_TEST_PACKAGES=(git dpkg-dev debhelper lintian mmdebstrap)

microsoup_install_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "microsoup: installing ${missing[*]}" >&2
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
