#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The container images, built and run as a user would: a Debian 12 base made
# here with debootstrap (no registry is reachable), every target of
# deploy/container/Containerfile built with podman, then hello, world, goodbye,
# greeting, calculator and the gateway run on one podman network, each with a
# read-only root and no capability, the gateway reaching the services by their
# container names. Checks /healthz of each, requests through the gateway, the
# calculator's history across a restart, the user and capabilities of every
# process, and prints each image's size and how long each part took.
#
# usage: container-test.sh SOURCE_ROOT BUILD_ROOT
#
# Podman as Debian 12 ships it (4.3), rootful, in a state of its own under
# BUILD_ROOT/tests/container (or MICROSOUP_CONTAINER_CACHE), kept as a cache for
# the next run (the debootstrap base as a tarball, podman's layers; its run and
# tmp directories too, since podman refuses a store whose paths changed); every
# container, the network and the volume are removed at the end.
# What it needs on a host where podman is not otherwise set up:
#   - runtime = "runc" (the engine's own choice when crun is not installed);
#   - cgroup_manager = "cgroupfs" and events_logger = "file": systemd is not
#     always PID 1 (CI runs in a container);
#   - default_ulimits that the caller may set: podman's own are nofile=1048576
#     and an nproc of its choosing, and runc fails with "error setting rlimit
#     type 7 (nofile) or 6 (nproc): operation not permitted" for a value the
#     caller may not set. Observed here: nofile up to the hard limit (20000)
#     works, nproc above 32768 (kernel.pid_max) fails whatever the hard limit
#     (96367) says. So nofile is the hard limit, at most 65536, and nproc 4096.
#
# Skips (77) when not root or without podman, runc or debootstrap, unless
# MICROSOUP_REQUIRE_SYSTEM=1 (CI), as the system suite does.
set -u
. "$(dirname "$0")/../lib/tap.sh"

source_root=$1
build_root=$2
started=$(date +%s.%N)

[ "$(id -u)" = 0 ] || skip "needs root for rootful podman"
for tool in podman runc debootstrap curl; do
	command -v $tool >/dev/null || skip "$tool is not installed (tools/deps.sh: MICROSOUP_CONTAINER_PACKAGES)"
done

seconds_since()
{
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# MICROSOUP_CONTAINER_CACHE: a directory that outlives the build tree (a CI
# machine's), so that a clean clone skips debootstrap and reuses podman's layers
cache=${MICROSOUP_CONTAINER_CACHE:-$build_root/tests/container}
work=$(mktemp -d "${TMPDIR:-/tmp}/microsoup-container.XXXXXX")
mkdir -p "$cache" "$work/cni"
tag=test
net=microsoup-test-$$
volume=microsoup-test-history-$$
components=(hello world goodbye greeting calculator gateway)

nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
nproc=$(ulimit -Hu)
[ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$cache/libpod-tmp"
[network]
network_config_dir = "$work/cni"
CONF
export CONTAINERS_CONF=$work/containers.conf
pm()
{
	podman --root "$cache/storage" --runroot "$cache/run" --storage-driver overlay "$@"
}

cleanup()
{
	local name
	for name in "${components[@]}"; do
		pm rm -f -t 0 "microsoup-test-$$-$name" >/dev/null 2>&1
	done
	pm network rm -f "$net" >/dev/null 2>&1
	# the dnsname plugin's dnsmasq for the network, should it outlive it: it
	# would keep the network's gateway address from the next run's network
	dnsname=/run/containers/cni/dnsname/$net
	[ -s "$dnsname/pidfile" ] && kill "$(cat "$dnsname/pidfile")" 2>/dev/null
	rm -rf "$dnsname"
	pm volume rm -f "$volume" >/dev/null 2>&1
	echo "1..$n"
	echo "# container suite took $(seconds_since "$started") s"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the base: Debian 12 from Debian's packages, made once and kept -------------
base=localhost/microsoup-debian:12
base_tar=$cache/debian-12-minbase.tar
mirror=${MICROSOUP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
t=$(date +%s.%N)
if [ ! -s "$base_tar" ]; then
	if ! debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
		echo "Bail out! debootstrap bookworm from $mirror failed"
		tail -20 "$work/debootstrap.log" | diag
		exit 1
	fi
	tar -C "$work/rootfs" -cf "$base_tar.part" . && mv "$base_tar.part" "$base_tar"
	rm -rf "$work/rootfs"
	echo "# debootstrap --variant=minbase bookworm: $(seconds_since "$t") s"
else
	echo "# debootstrap base from the cache $base_tar"
fi
if ! pm image exists "$base"; then
	pm import -q "$base_tar" "$base" >/dev/null
fi
check "the base image $base exists" pm image exists "$base"

# --- the images: every target of the Containerfile ------------------------------
containerfile=$source_root/deploy/container/Containerfile
for name in "${components[@]}"; do
	t=$(date +%s.%N)
	if pm build -q -f "$containerfile" --build-arg DEBIAN="$base" --target "$name" \
		-t "localhost/microsoup-$name:$tag" "$source_root" >"$work/build-$name.log" 2>&1; then
		ok "podman build --target $name ($(seconds_since "$t") s)"
	else
		not_ok "podman build --target $name"
		tail -30 "$work/build-$name.log" | diag
	fi
done
for name in "${components[@]}"; do
	size=$(pm image inspect -f '{{.Size}}' "localhost/microsoup-$name:$tag" 2>/dev/null)
	echo "# image microsoup-$name: $(awk -v s="${size:-0}" 'BEGIN { printf "%.1f MiB", s / 1048576 }')"
	check "microsoup-$name's image is under 40 MiB (${size:-none} bytes)" [ "${size:-999999999}" -lt 41943040 ]
	check "microsoup-$name's image runs as 65532:65532" \
		[ "$(pm image inspect -f '{{.Config.User}}' "localhost/microsoup-$name:$tag")" = 65532:65532 ]
done
check "the images have no shell (podman run --entrypoint /bin/sh fails)" \
	bash -c "! podman --root '$cache/storage' --runroot '$cache/run' run --rm --entrypoint /bin/sh localhost/microsoup-hello:$tag -c true 2>/dev/null"

# --- running: one network, names for addresses ----------------------------------
pm network create "$net" >/dev/null
credentials=$work/credentials
mkdir -p "$credentials"
hash=$(echo container-test-pw | "$build_root/src/cmd/microsoup-gateway" --hash-password)
printf 'ada:user:%s\n' "$hash" >"$credentials/users"
chown -R 65532:65532 "$credentials"
chmod 0500 "$credentials"
chmod 0400 "$credentials/users"

run()
{
	local name=$1
	shift
	# as the Kubernetes manifests have it: read-only root, no capability
	pm run -d --name "microsoup-test-$$-$name" --network "$net" --network-alias "$name" \
		--read-only --cap-drop=ALL --security-opt=no-new-privileges "$@" \
		"localhost/microsoup-$name:$tag" >/dev/null
}
t=$(date +%s.%N)
for name in hello world goodbye greeting; do
	run $name
done
run calculator -v "$volume:/var/lib/microsoup"
run gateway -p 127.0.0.1::8080 -v "$credentials:/run/secrets/microsoup:ro"
gateway_port=$(pm port "microsoup-test-$$-gateway" 8080/tcp | sed 's/.*://')

address_of()
{
	pm inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "microsoup-test-$$-$1"
}
# curl -s with a status line, for a component's own port or the gateway's
status_of()
{
	curl -s -m 10 -o "$work/body" -w '%{http_code}' "$@"
}
wait_healthy()
{
	local url=$1 i
	for i in $(seq 100); do
		[ "$(status_of "$url")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

for name in "${components[@]}"; do
	url=http://$(address_of "$name"):8080/healthz
	if wait_healthy "$url" && [ "$(cat "$work/body")" = '{"status":"ok"}' ]; then
		ok "$name answers GET /healthz itself at $url"
	else
		not_ok "$name answers GET /healthz at $url"
		pm logs "microsoup-test-$$-$name" 2>&1 | tail -10 | diag
	fi
done
echo "# all six containers answered /healthz $(seconds_since "$t") s after the first start"

gw=http://127.0.0.1:$gateway_port
check "GET /api/hello?name=Ada through the gateway (port $gateway_port): $(status_of "$gw/api/hello?name=Ada") $(cat "$work/body")" \
	grep -qx '{"message":"Hello, Ada!"}' "$work/body"
check "GET /api/greeting: greeting asks hello and world by name: $(status_of "$gw/api/greeting?name=Ada") $(cat "$work/body")" \
	grep -q '"complete":true' "$work/body"
check "GET /api/hello-world aggregates: $(status_of "$gw/api/hello-world") $(cut -c1-80 "$work/body")" \
	grep -q '"complete":true' "$work/body"
check "GET /api/goodbye: $(status_of "$gw/api/goodbye")" [ "$(status_of "$gw/api/goodbye")" = 200 ]
check "GET /api/calc/history without credentials: 401" [ "$(status_of "$gw/api/calc/history")" = 401 ]
status=$(status_of -u ada:container-test-pw -H 'Content-Type: application/json' -d '{"a":2,"b":3}' "$gw/api/calc/add")
check "POST /api/calc/add as ada (users from the mounted credentials directory): $status $(cat "$work/body")" \
	grep -q '"result":5' "$work/body"
check "GET /readyz: $(status_of "$gw/readyz")" [ "$(status_of "$gw/readyz")" = 200 ]
# asked directly: a restarted container may get another address, which a gateway
# that resolved the name once would not follow
pm restart -t 10 "microsoup-test-$$-calculator" >/dev/null
calculator=http://$(address_of calculator):8080
wait_healthy "$calculator/healthz"
status=$(status_of -H 'X-Microsoup-User: ada' "$calculator/calc/history")
check "the history survives a restart of the calculator (its volume): $status $(cut -c1-100 "$work/body")" \
	grep -q '"expression":"2 + 3"' "$work/body"
check "the gateway logs to stderr (podman logs): an access line for /api/hello" \
	bash -c "podman --root '$cache/storage' --runroot '$cache/run' logs microsoup-test-$$-gateway 2>&1 | grep -q 'GET /api/hello 200 .*route=hello upstream=http://hello:8080'"

# --- every process: its user, no capability, a read-only root -------------------
for name in "${components[@]}"; do
	container=microsoup-test-$$-$name
	pid=$(pm inspect -f '{{.State.Pid}}' "$container")
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	caps=$(awk '/^Cap(Prm|Eff|Amb):/ { printf "%s", $2 }' "/proc/$pid/status" 2>/dev/null)
	check "$name runs as uid $uid (not root) with no capability" \
		[ -n "$uid" -a "$uid" != 0 -a -n "$caps" -a -z "${caps//0/}" ]
	check "$name's root is read-only" \
		[ "$(pm inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$container")" = true ]
	check "$name's root is mounted read-only (/proc/$pid/mounts)" \
		grep -qE '^[^ ]+ / [^ ]+ ro[, ]' "/proc/$pid/mounts"
done

exit $failed
