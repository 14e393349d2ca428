#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The gateway in front of replicas on other hosts, made here from network
# namespaces: the gateway in one, two hello replicas in two others, each joined
# to the gateway's by a veth pair, with addresses only inside the namespaces and
# names through /etc/netns/NS/hosts (which `ip netns exec` binds over
# /etc/hosts). Proves what a user of replicas relies on:
#   - requests spread over both replicas
#   - one replica killed under load: not one GET fails
#   - the replica back: traffic returns to it
#   - a name whose address changes is followed without a reload
# The namespaces, their hosts files and every process are removed on exit,
# failed or not.
#
# usage: multihost-test.sh BUILD_ROOT
#
# Skips (77) where the kernel or the user may not make network namespaces,
# unless MICROSOUP_REQUIRE_SYSTEM=1 (CI sets it: there it must run).
set -u

build_root=$1
gateway_bin=$build_root/src/cmd/microsoup-gateway
hello_bin=$build_root/src/cmd/microsoup-hello

. "$(dirname "$0")/../lib/tap.sh"

[ "$(id -u)" = 0 ] || skip "needs root to make network namespaces"
for tool in ip ss curl; do
	command -v $tool >/dev/null || skip "$tool is not installed (packages iproute2, curl)"
done

note() { echo "# $*"; }

# ---------------------------------------------------------------------------------
# the hosts: unique names, so parallel runs and leftovers of a killed run never meet

tag=msmh$$
gw=$tag-gw
ra=$tag-a
rb=$tag-b
work=$(mktemp -d /tmp/microsoup-multihost.XXXXXX)
pids=()

cleanup()
{
	local pid ns
	[ "$n" -gt 0 ] && echo "1..$n"
	for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
	wait 2>/dev/null
	for ns in "$gw" "$ra" "$rb"; do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$gw" 2>"$work/netns.err" || skip "the kernel refuses network namespaces: $(cat "$work/netns.err")"
ip netns add "$ra" && ip netns add "$rb" || { echo "Bail out! cannot make the replicas' namespaces"; exit 1; }

in_gw() { ip netns exec "$gw" "$@"; }

# gateway 10.201.1.1 <-> replica a 10.201.1.2; gateway 10.201.2.1 <-> replica b 10.201.2.2
link()
{
	local ns=$1 net=$2
	ip link add "${tag}g$net" netns "$gw" type veth peer name "${tag}r$net" netns "$ns" &&
		ip -n "$gw" addr add "10.201.$net.1/24" dev "${tag}g$net" &&
		ip -n "$ns" addr add "10.201.$net.2/24" dev "${tag}r$net" &&
		ip -n "$gw" link set "${tag}g$net" up &&
		ip -n "$ns" link set "${tag}r$net" up &&
		ip -n "$ns" link set lo up
}
link "$ra" 1 && link "$rb" 2 && ip -n "$gw" link set lo up ||
	{ echo "Bail out! cannot link the namespaces"; exit 1; }

mkdir -p "/etc/netns/$gw"
hosts=/etc/netns/$gw/hosts
# rewritten in place (cat >), never replaced: the bind mount holds the inode
write_hosts()
{
	cat >"$hosts" <<-EOT
		127.0.0.1 localhost
		10.201.1.2 hello-a
		10.201.2.2 hello-b
		$1 hello-moving
	EOT
}
write_hosts 10.201.1.2

# one hello on ADDR:PORT in namespace NS; its pid in $started
start_hello()
{
	ip netns exec "$1" "$hello_bin" --listen="tcp:$2:$3" --idle-timeout=0 \
		>/dev/null 2>>"$work/hello-$1-$3.log" </dev/null &
	started=$!
	pids+=("$started")
}
start_hello "$ra" 10.201.1.2 8080
hello_a=$started
start_hello "$rb" 10.201.2.2 8080
start_hello "$ra" 10.201.1.2 8081
moving_a=$started
start_hello "$rb" 10.201.2.2 8081

cat >"$work/gateway.conf" <<EOT
[gateway]
workers = 2
resolve_interval_s = 1

[route hello]
prefix = /api/hello
upstream = http://hello-a:8080, http://hello-b:8080
timeout_ms = 3000

[route moving]
prefix = /api/moving
upstream = http://hello-moving:8081
timeout_ms = 3000
EOT
ip netns exec "$gw" "$gateway_bin" --config="$work/gateway.conf" --listen=tcp:127.0.0.1:8080 \
	--idle-timeout=0 >/dev/null 2>"$work/gateway.log" </dev/null &
gateway=$!
pids+=("$gateway")

base=http://127.0.0.1:8080
for _ in $(seq 100); do
	in_gw curl -sf -o /dev/null "$base/healthz" && break
	sleep 0.1
done

check "the gateway answers in its namespace" in_gw curl -sf -o /dev/null "$base/healthz"

# a server's exchanges from /metrics: requests minus failures, i.e. those it answered
answered()
{
	in_gw curl -s "$base/metrics" | awk -v server="$1" '
		index($0, "server=\"" server "\"") == 0 { next }
		/^microsoup_gateway_upstream_server_requests_total/ { r = $NF }
		/^microsoup_gateway_upstream_server_failures_total/ { f = $NF }
		END { print r - f + 0 }'
}
# N GETs in one curl (keep-alive): prints each status on a line
get_many()
{
	local urls=() i
	for ((i = 0; i < $2; i++)); do urls+=(-o /dev/null "$base$1"); done
	in_gw curl -s --max-time 20 -w '%{http_code}\n' "${urls[@]}"
}

# ---------------------------------------------------------------------------------
# 1. spread

get_many /api/hello 40 >"$work/spread"
a=$(answered http://hello-a:8080)
b=$(answered http://hello-b:8080)
note "40 requests: hello-a answered $a, hello-b $b"
check "40 sequential requests all answered 200" [ "$(grep -c '^200$' "$work/spread")" = 40 ]
check "requests spread over both replicas (a $a, b $b, each at least 10)" \
	[ "$a" -ge 10 -a "$b" -ge 10 -a $((a + b)) = 40 ]

# ---------------------------------------------------------------------------------
# 2. a replica killed under load, then back

load()
{
	while [ ! -e "$work/stop" ]; do get_many /api/hello 25 >>"$work/load-$1"; done
}
for i in 1 2 3 4; do
	load "$i" </dev/null &
	pids+=($!)
	loaders+=($!)
done
sleep 1
kill -9 "$hello_a"
note "killed hello-a (pid $hello_a) under load"
sleep 3
start_hello "$ra" 10.201.1.2 8080
note "hello-a started again (pid $started)"
back_at=$(answered http://hello-a:8080)
# out after failures, back after a trial: the back-off is at most 10 s
for _ in $(seq 150); do
	[ "$(answered http://hello-a:8080)" -gt $((back_at + 20)) ] && break
	sleep 0.1
done
touch "$work/stop"
wait "${loaders[@]}"
cat "$work"/load-* >"$work/load"
total=$(wc -l <"$work/load")
bad=$(grep -vc '^200$' "$work/load")
returned=$(($(answered http://hello-a:8080) - back_at))
note "under load: $total GETs, $bad not 200 ($(grep -v '^200$' "$work/load" | sort | uniq -c | tr '\n' ' '))"
note "hello-a answered $returned after it came back"
check "a replica killed under load: $total GETs, 0 failed" [ "$bad" = 0 -a "$total" -gt 100 ]
check "the replica back: traffic returns to it ($returned answered)" [ "$returned" -gt 20 ]
in_gw curl -s "$base/metrics" | grep 'route="hello"' | sed 's/^/# /'
check "/metrics: both replicas up again" \
	[ "$(in_gw curl -s "$base/metrics" | grep -c '^microsoup_gateway_upstream_up{route="hello",server=.*} 1$')" = 2 ]

# ---------------------------------------------------------------------------------
# 3. a name whose address changes

# requests for /moving that the hello on PORT in NS logged: it answered them (404:
# hello has nothing at /moving, which is all this needs)
served() { grep -c 'GET /moving 404' "$work/hello-$1-$2.log"; }
# every status 404, i.e. from the service and not the gateway's 502 or 504
all_404() { [ "$(grep -c '^404$' "$1")" = "$2" ]; }

get_many /api/moving 5 >"$work/moving-before"
check "hello-moving is replica a's before the change (a served $(served "$ra" 8081), b $(served "$rb" 8081))" \
	eval 'all_404 "$work/moving-before" 5 && [ "$(served "$ra" 8081)" = 5 -a "$(served "$rb" 8081)" = 0 ]'
write_hosts 10.201.2.2
note "hello-moving now 10.201.2.2 in $hosts; no reload"
moved=0
for _ in $(seq 50); do
	get_many /api/moving 2 >/dev/null
	if [ "$(served "$rb" 8081)" -ge 1 ]; then
		moved=1
		break
	fi
	sleep 0.2
done
# every worker looks the name up on its own timer: within the interval (1 s) each has
# the new address
sleep 2.5
# the old address's server gone: answers now can only come from the new one
kill -9 "$moving_a"
before=$(served "$rb" 8081)
get_many /api/moving 20 >"$work/moving-after"
after=$(served "$rb" 8081)
check "the name change is followed without a reload (20 GETs after a's server is gone: $(grep -c '^404$' "$work/moving-after") answered by b, which logged $((after - before)))" \
	eval '[ "$moved" = 1 ] && all_404 "$work/moving-after" 20 && [ $((after - before)) = 20 ]'
check "the gateway is still running" kill -0 "$gateway"

# with its lookups' timers and kept-alive connections still open (under ASan: no leak)
kill -TERM "$gateway"
wait "$gateway"
status=$?
check "the gateway stops cleanly on SIGTERM (exit status $status)" [ "$status" = 0 ]

if [ "$failed" = 1 ]; then
	echo "# gateway log:"
	sed 's/^/#   /' "$work/gateway.log" | tail -50
fi
exit $failed
