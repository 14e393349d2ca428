#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The installed stack under a real systemd: installs the build into
# a staging tree, boots systemd in a throw-away systemd-nspawn container (volatile
# root, private network, the host's /usr read-only, the staged prefix bound over
# its path) and checks what a user would see: socket activation, the journal, idle
# exit, restarts under load without a lost request, dynamic users without
# capabilities. Prints cold-start and restart latencies; asserts no timing.
#
# usage: system-test.sh MESON BUILD_ROOT PREFIX LIBEXECDIR UNITDIR COMPONENT...
#
# Skips (77) when not root or without systemd-nspawn, unless MICROSOUP_REQUIRE_SYSTEM=1.
set -u

meson=$1
build_root=$2
prefix=$3
libexecdir=$4
unitdir=$5
shift 5
components=("$@")

# shellcheck source=../lib/nspawn.sh
. "$(dirname "$0")/../lib/nspawn.sh"

started=$(date +%s.%N)
deadline=$(($(date +%s) + ${MICROSOUP_SYSTEM_TIMEOUT:-280}))

[ "$(id -u)" = 0 ] || skip "needs root to boot systemd in systemd-nspawn"
for tool in systemd-nspawn nsenter curl; do
	command -v $tool >/dev/null || skip "$tool is not installed (package systemd-container, util-linux, curl)"
done
[ -d /usr/lib/systemd ] || skip "no systemd in /usr to boot"
case $prefix in
/usr | /usr/ | /) skip "prefix $prefix cannot be bound over the host's; configure with the default /usr/local" ;;
esac
case $unitdir/ in
"$prefix"/*) ;;
*) skip "unit dir $unitdir is not under the prefix $prefix" ;;
esac

# ---------------------------------------------------------------------------------
# the container

work=$(mktemp -d "${TMPDIR:-/tmp}/microsoup-system.XXXXXX")
stage=$work/stage
canary_plant

cleanup()
{
	container_stop
	canary_check
	echo "1..$n"
	echo "# system suite took $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! out=$("$meson" install -C "$build_root" --no-rebuild --quiet --destdir "$stage" 2>&1); then
	echo "Bail out! meson install --destdir failed"
	diag <<<"$out"
	exit 1
fi
ok "meson install --destdir $stage"

# --- security: a users credential for the gateway, no api-keys file ----------------
if [[ " ${components[*]} " == *" gateway "* ]]; then
	hash=$(echo "system-test-pw" | "$stage$libexecdir/microsoup-gateway" --hash-password)
	mkdir -p "$stage$prefix/etc/microsoup"
	printf 'ada:user:%s\n' "$hash" >"$stage$prefix/etc/microsoup/users"
	chmod 0600 "$stage$prefix/etc/microsoup/users"
fi

# a sanitizer build gets the test's options; LeakSanitizer cannot stop the world
# inside the sandbox (no ptrace in @system-service), so leaks are the e2e suite's job
sanitizer_env=()
[ -n "${ASAN_OPTIONS:-}" ] && sanitizer_env+=("ASAN_OPTIONS=${ASAN_OPTIONS//detect_leaks=1/detect_leaks=0}:detect_leaks=0")
[ -n "${UBSAN_OPTIONS:-}" ] && sanitizer_env+=("UBSAN_OPTIONS=$UBSAN_OPTIONS")

# the host's /usr (read-only) with the staged prefix over its path: binaries, units
# (prefix/lib/systemd/system is in systemd's search path), sysusers.d, locale
container_boot "$work/console.log" -D / --volatile=yes --bind-ro="$stage$prefix:$prefix" \
	-b systemd.unit=basic.target systemd.firstboot=off

# ---------------------------------------------------------------------------------
# checks

# curl over a service's unix socket, prints "STATUS SECONDS" and keeps headers and body
request()
{
	local name=$1 path=$2
	c curl -s --max-time 10 -D /run/last-headers -o /run/last-body -w '%{http_code} %{time_total}\n' \
		--unix-socket /run/microsoup/$name.sock "http://localhost$path"
}

service_pids()
{
	local name pid
	for name in "${components[@]}"; do
		pid=$(c systemctl show -P MainPID "$name.service")
		[ -n "$pid" ] && [ "$pid" != 0 ] && echo "$name.service:$pid"
	done
}

wait_inactive()
{
	local unit=$1 until=$(($(date +%s) + $2))
	while [ "$(date +%s)" -lt "$until" ]; do
		[ "$(c systemctl is-active "$unit")" = inactive ] && return 0
		sleep 0.1
	done
	return 1
}

# the X-Request-ID of the last response
last_request_id()
{
	c sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: *\([^[:space:]]*\).*/\1/p' /run/last-headers
}

# a unit's access entry for a request id, waiting a little for journald
journal_entry()
{
	local unit=$1 id=$2 entry i
	for i in $(seq 50); do
		entry=$(c journalctl -u "$unit" -o verbose "REQUEST_ID=$id")
		grep -q HTTP_STATUS= <<<"$entry" && break
		sleep 0.1
	done
	echo "$entry"
}

backends=()
for name in "${components[@]}"; do
	case $name in gateway) ;; *) backends+=("$name") ;; esac
done

check "group microsoup exists (sysusers.d)" c getent group microsoup

if [ ${#sanitizer_env[@]} -gt 0 ]; then
	for name in "${components[@]}"; do
		c mkdir -p /run/systemd/system/$name.service.d
		printf '[Service]\n' | c_write /run/systemd/system/$name.service.d/40-sanitizer.conf
		printf 'Environment="%s"\n' "${sanitizer_env[@]}" |
			timeout 60 nsenter -t "$pid1" -a -- tee -a /run/systemd/system/$name.service.d/40-sanitizer.conf >/dev/null
	done
	c systemctl daemon-reload
fi

# as the README has it: listening now, and again after every boot
c systemctl enable --now microsoup.target
check "microsoup.target is active" [ "$(c systemctl is-active microsoup.target)" = active ]
check "microsoup.target is enabled" [ "$(c systemctl is-enabled microsoup.target)" = enabled ]
boot_deps=$(c systemctl list-dependencies --plain --no-pager multi-user.target)
for name in "${components[@]}"; do
	check "a boot to multi-user.target starts $name.socket" grep -qw "$name.socket" <<<"$boot_deps"
done
for name in "${components[@]}"; do
	check "$name.socket is listening" [ "$(c systemctl is-active "$name.socket")" = active ]
done
running=$(service_pids)
if [ -z "$running" ]; then
	ok "no service runs before the first request"
else
	not_ok "no service runs before the first request: $running"
fi

if [ -n "$(c ls -l /run/microsoup/hello.sock | grep -E '^srw-rw---- .* root microsoup ')" ]; then
	ok "hello.sock is srw-rw---- root:microsoup"
else
	not_ok "hello.sock mode and group: $(c ls -l /run/microsoup/hello.sock)"
fi

# the first request starts hello and nothing else
read -r status _ < <(request hello '/hello?name=Ada')
body=$(c cat /run/last-body)
if [ "$status" = 200 ] && [ "$body" = '{"message":"Hello, Ada!"}' ]; then
	ok "the first request starts hello.service and is answered: $body"
else
	not_ok "the first request: status $status body $body"
fi
status_text=$(c systemctl show -P StatusText hello.service)
check "Type=notify: hello.service is active with STATUS=\"$status_text\"" \
	[ "$(c systemctl is-active hello.service)" = active -a "${status_text#serving}" != "$status_text" ]
running=$(service_pids)
check "only hello.service runs after it ($running)" [ "${running%%:*}" = hello.service \
	-a "$(wc -l <<<"$running")" = 1 ]

# the request's entry in hello's journal, found by its id
request_id=$(last_request_id)
entry=$(journal_entry hello.service "$request_id")
if [ -n "$request_id" ] && grep -q "HTTP_PATH=/hello" <<<"$entry" &&
	grep -q HTTP_STATUS=200 <<<"$entry"; then
	ok "journalctl -u hello.service REQUEST_ID=$request_id finds the request"
else
	not_ok "journalctl -u hello.service REQUEST_ID=$request_id finds the request"
	c journalctl -u hello.service -o verbose -n 20 | diag
fi

for name in "${backends[@]}"; do
	[ "$name" = hello ] && continue
	path=/$name
	[ "$name" = calculator ] && path=/calc/history
	read -r status _ < <(request "$name" "$path")
	check "GET $path over $name.sock answers 200" [ "$status" = 200 ]
done

# through the gateway: the first request starts it and the service, both log it
gateway=
for name in "${components[@]}"; do
	[ "$name" = gateway ] && gateway=yes
done
if [ -n "$gateway" ]; then
	c systemctl stop hello.service
	status=$(c curl -s --max-time 10 -D /run/last-headers -o /run/last-body -w '%{http_code}' \
		'http://127.0.0.1:8080/api/hello?name=Ada')
	body=$(c cat /run/last-body)
	if [ "$status" = 200 ] && [ "$body" = '{"message":"Hello, Ada!"}' ]; then
		ok "GET 127.0.0.1:8080/api/hello starts gateway.service and hello.service: $body"
	else
		not_ok "GET 127.0.0.1:8080/api/hello: status $status body $body"
		c journalctl -u gateway.service -n 20 | diag
	fi
	request_id=$(last_request_id)
	entry=$(journal_entry gateway.service "$request_id")
	if [ -n "$request_id" ] && grep -q '^ *HTTP_STATUS=200' <<<"$entry" &&
		grep -q '^ *DURATION_USEC=[0-9]' <<<"$entry" && grep -q '^ *ROUTE=hello' <<<"$entry"; then
		ok "journalctl -u gateway.service REQUEST_ID=$request_id: HTTP_STATUS, DURATION_USEC, ROUTE"
	else
		not_ok "journalctl -u gateway.service REQUEST_ID=$request_id: HTTP_STATUS, DURATION_USEC, ROUTE"
		diag <<<"$entry"
	fi
	check "hello's journal has the same REQUEST_ID=$request_id" \
		[ -n "$(c journalctl -u hello.service -o cat "REQUEST_ID=$request_id")" ]

	# an upstream that is not there: 502 problem+json, explained by journalctl -x
	c journalctl --update-catalog
	c systemctl stop goodbye.socket
	status=$(c curl -s --max-time 10 -o /run/last-body -w '%{http_code}' http://127.0.0.1:8080/api/goodbye)
	check "GET /api/goodbye with goodbye.socket stopped answers 502 (got $status)" [ "$status" = 502 ]
	explained=
	for i in $(seq 50); do
		explained=$(c journalctl -x -u gateway.service --no-pager -p warning)
		grep -q 'Check that the service.s socket unit is listening' <<<"$explained" && break
		sleep 0.1
	done
	if grep -q 'Check that the service.s socket unit is listening' <<<"$explained"; then
		ok "journalctl -x shows the catalog text for the upstream failure"
		# the installed config, not a hard-coded /etc/microsoup
		check "the catalog text names $prefix/etc/microsoup/gateway.conf" \
			grep -qF "$prefix/etc/microsoup/gateway.conf" <<<"$explained"
	else
		not_ok "journalctl -x shows the catalog text for the upstream failure"
		diag <<<"$explained"
	fi
	c systemctl start goodbye.socket
	read -r status _ < <(request goodbye /goodbye)
	check "goodbye answers again once its socket is back" [ "$status" = 200 ]

	# an aggregation route: hello and world at once, socket-activated
	body=$(c curl -s --max-time 10 'http://127.0.0.1:8080/api/hello-world?hello.name=Ada')
	check "GET /api/hello-world aggregates hello and world: $body" \
		[ "${body#*\"complete\":true}" != "$body" -a "${body#*Hello, Ada}" != "$body" ]
fi

# every service: a dynamic user without capabilities
for entry in $(service_pids); do
	unit=${entry%%:*}
	pid=${entry#*:}
	st=$(c cat /proc/$pid/status)
	uid=$(awk '/^Uid:/ { print $2 }' <<<"$st")
	caps=$(awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ { printf "%s=%s ", $1, $2 }' <<<"$st")
	if [ -n "$uid" ] && [ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] &&
		! grep -qE '[1-9a-f]' <<<"$(awk '/^Cap(Prm|Eff|Bnd|Amb):/ { print $2 }' <<<"$st")"; then
		ok "$unit runs as dynamic uid $uid with no capabilities"
	else
		not_ok "$unit: uid $uid, $caps"
	fi
done

# /readyz starts nothing: a monitor polling it must leave every idle service stopped
# (a connect to a service's socket would make systemd start it)
if [ -n "$gateway" ]; then
	c systemctl stop "${backends[@]/%/.service}"
	codes=()
	for i in $(seq 20); do
		codes+=("$(c curl -s --max-time 10 -o /run/readyz-body -w '%{http_code}' http://127.0.0.1:8080/readyz)")
	done
	# 503 is fair: goodbye's refused request above is still recent traffic
	answered=$(printf '%s\n' "${codes[@]}" | grep -cE '^(200|503)$')
	body=$(c cat /run/readyz-body)
	check "20 polls of /readyz are answered (${codes[*]})" [ "$answered" = 20 ]
	check "/readyz reports hello's socket or traffic: $body" \
		grep -qE '"route":"hello","upstream":"unix:/run/microsoup/hello.sock","state":"(activatable|up)"' <<<"$body"
	for name in "${backends[@]}"; do
		state=$(c systemctl is-active "$name.service")
		check "$name.service is still inactive after 20 polls of /readyz ($state)" [ "$state" = inactive ]
	done
fi

# a short idle timeout through a drop-in, as an administrator would write it
for name in "${backends[@]}"; do
	c mkdir -p /run/systemd/system/$name.service.d
	printf '[Service]\nExecStart=\nExecStart=%s/microsoup-%s --idle-timeout=2\n' "$libexecdir" "$name" |
		c_write /run/systemd/system/$name.service.d/50-idle.conf
done
# world: never idle, and a 1 s watchdog that its pings (every 0.5 s) must satisfy
printf '[Service]\nExecStart=\nExecStart=%s/microsoup-world --idle-timeout=0\nWatchdogSec=1s\n' \
	"$libexecdir" | c_write /run/systemd/system/world.service.d/60-watchdog.conf
c systemctl daemon-reload
c systemctl stop "${backends[@]/%/.service}"
read -r status _ < <(request world /world)
world_pid=$(c systemctl show -P MainPID world.service)

read -r status _ < <(request hello /hello)
check "hello answers with a 2 s idle timeout" [ "$status" = 200 ]
invocation=$(c systemctl show -P InvocationID hello.service)
if wait_inactive hello.service 15; then
	ok "hello.service exits when idle"
else
	not_ok "hello.service exits when idle: $(c systemctl is-active hello.service)"
	c systemctl status --no-pager -n 0 hello.service 2>&1 | diag
	c journalctl -u hello.service -n 40 --no-pager 2>&1 | diag
	c ls -l /proc/"$(c systemctl show -P MainPID hello.service)"/fd 2>&1 | diag
fi
check "hello.socket still listens after the idle exit" [ "$(c systemctl is-active hello.socket)" = active ]
check "hello's idle exit was clean (Result=success)" [ "$(c systemctl show -P Result hello.service)" = success ]
# inactive and successful is also what a stop or a SIGTERM leaves: it was the idle timer
main_status=$(c systemctl show -P ExecMainStatus hello.service)
check "hello exited with status 0 by itself, not by a signal (ExecMainCode $(c systemctl show -P ExecMainCode hello.service), ExecMainStatus $main_status)" \
	[ "$(c systemctl show -P ExecMainCode hello.service)" = 1 -a "$main_status" = 0 ]
idle_lines=
for i in $(seq 50); do
	idle_lines=$(c journalctl -o cat "_SYSTEMD_INVOCATION_ID=$invocation")
	grep -q '(idle)$' <<<"$idle_lines" && break
	sleep 0.1
done
if [ -n "$invocation" ] && grep -q '^idle for 2 s, exiting' <<<"$idle_lines" &&
	grep -q '^exiting after [0-9]* request(s) (idle)$' <<<"$idle_lines"; then
	ok "hello's journal says it exited because it was idle for 2 s"
else
	not_ok "hello's journal says it exited because it was idle for 2 s (invocation $invocation)"
	diag <<<"$idle_lines"
fi
read -r status _ < <(request hello /hello)
check "the next request starts hello again" [ "$status" = 200 \
	-a "$(c systemctl is-active hello.service)" = active ]
# hello's idle exit took more than 2 s: world lived through several watchdog periods
if [ "$(c systemctl show -P MainPID world.service)" = "$world_pid" ] &&
	[ "$(c systemctl show -P NRestarts world.service)" = 0 ]; then
	ok "world.service pings its 1 s watchdog (same PID $world_pid, no restart)"
else
	not_ok "world.service pings its 1 s watchdog"
	c journalctl -u world.service -n 20 --no-pager | diag
fi

# cold start: service not running -> first response, 10 tries; $1 names the way in,
# the rest are curl's arguments
cold_start()
{
	local label=$1 times=() status t sorted
	shift
	for i in $(seq 10); do
		c systemctl stop hello.service
		read -r status t < <(c curl -s --max-time 10 -o /dev/null -w '%{http_code} %{time_total}\n' "$@")
		[ "$status" = 200 ] && times+=("$t")
	done
	sorted=$(printf '%s\n' "${times[@]}" | sort -n)
	check "cold start $label answered ${#times[@]}/10" [ ${#times[@]} = 10 ]
	echo "# cold start $label (hello.service stopped -> first response): p50 $(sed -n 5p <<<"$sorted") s," \
		"min $(head -1 <<<"$sorted") s, max $(tail -1 <<<"$sorted") s"
}

# restarts under load: 4 clients x 100 requests while hello restarts again and again
load_with_restarts()
{
	local label=$1 load_pid restarts=0 load sent lost worst
	shift
	c systemctl reset-failed hello.service hello.socket
	c rm -f /run/load.out
	c bash -c 'for j in 1 2 3 4; do
		(for i in $(seq 100); do
			curl -s --max-time 10 -o /dev/null -w "%{http_code} %{time_total}\n" "$@"
		done >/run/load.$j) &
	done; wait; cat /run/load.[1-4] >/run/load.out' load "$@" &
	load_pid=$!
	sleep 0.2
	while kill -0 $load_pid 2>/dev/null && [ $restarts -lt 20 ]; do
		c systemctl restart hello.service && restarts=$((restarts + 1))
		sleep 0.2
	done
	wait $load_pid
	load=$(c cat /run/load.out)
	sent=$(grep -c . <<<"$load")
	lost=$(grep -vc '^200 ' <<<"$load")
	worst=$(awk '{ print $2 }' <<<"$load" | sort -n | tail -1)
	echo "# restarts under load $label: $restarts x systemctl restart, $sent requests sent," \
		"$lost lost, worst latency $worst s"
	if [ "$sent" = 400 ] && [ "$lost" = 0 ] && [ "$restarts" -ge 3 ]; then
		ok "$restarts restarts under load $label lose no request ($sent sent, $lost lost)"
	else
		not_ok "$restarts restarts under load $label lose no request ($sent sent, $lost lost)"
		grep -v '^200 ' <<<"$load" | sort | uniq -c | diag
	fi
	check "the restarts did not trip the start limit (hello.socket active)" \
		[ "$(c systemctl is-active hello.socket)" = active ]
	read -r status _ < <(request hello /hello)
	check "hello answers after the restarts" [ "$status" = 200 ]
}

cold_start "over hello.sock" --unix-socket /run/microsoup/hello.sock http://localhost/hello
load_with_restarts "over hello.sock" --unix-socket /run/microsoup/hello.sock http://localhost/hello
if [ -n "$gateway" ]; then
	cold_start "through the gateway" "http://127.0.0.1:8080/api/hello"
	load_with_restarts "through the gateway" "http://127.0.0.1:8080/api/hello"
fi

# --- bursts of restarts: no service may hit its start limit ---------------------
# Every restart counts towards a service's start limit, and a service that hits it
# fails and takes its socket down: the endpoint stops listening until an operator
# runs reset-failed. Each service is restarted 40 times as fast as systemctl goes
# (one loop inside the container, so nsenter does not pace it); its socket must
# still listen and a request that needs the service must still be answered.
# reset-failed first: the starts of the sections above must not share this burst's
# 10 s window, or the result would depend on how fast they ran.
burst_request()
{
	local name=$1 path=/$1 auth=()
	case $name in
	gateway) path=/hello ;;
	calculator) path=/calc/history auth=(-u ada:system-test-pw) ;;
	esac
	if [ -z "$gateway" ]; then
		request "$name" "$path" | cut -d' ' -f1
		return
	fi
	c curl -s --max-time 10 -o /dev/null -w '%{http_code}\n' "${auth[@]}" "http://127.0.0.1:8080/api$path"
}
burst=40
for name in "${components[@]}"; do
	c systemctl reset-failed "$name.service" "$name.socket"
	read -r restarted ms < <(c bash -c 'start=$(date +%s%N) restarted=0
		for i in $(seq "$2"); do
			systemctl restart "$1" 2>/dev/null && restarted=$((restarted + 1))
		done
		echo "$restarted $(( ($(date +%s%N) - start) / 1000000 ))"' burst "$name.service" "$burst")
	socket_state=$(c systemctl is-active "$name.socket")
	result=$(c systemctl show -P Result "$name.service")
	status=$(burst_request "$name")
	echo "# burst: $restarted/$burst x systemctl restart $name.service in $ms ms," \
		"$name.socket $socket_state, $name.service Result=$result, then a request: $status"
	if [ "$restarted" = "$burst" ] && [ "$socket_state" = active ] && [ "$status" = 200 ]; then
		ok "$burst restarts of $name.service in a burst: $name.socket still listens, a request answers 200"
	else
		not_ok "$burst restarts of $name.service in a burst: $restarted restarted, $name.socket $socket_state, Result=$result, request $status"
		c systemctl status --no-pager -n 5 "$name.socket" "$name.service" 2>&1 | diag
	fi
done

# --- security: users reach the gateway through its staged configuration set -----------
if [[ " ${components[*]} " == *" gateway "* ]]; then
	gw() { c curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$@"; }
	check "the gateway starts without an api-keys file (none of that kind)" \
		[ "$(gw http://127.0.0.1:8080/api/hello)" = 200 ]
	check "an auth route answers 401 without credentials" \
		[ "$(gw http://127.0.0.1:8080/api/calc/history)" = 401 ]
	check "an auth route answers 401 to a wrong password" \
		[ "$(gw -u ada:wrong http://127.0.0.1:8080/api/calc/history)" = 401 ]
	status=$(gw -u ada:system-test-pw http://127.0.0.1:8080/api/calc/history)
	check "a user of the users credential gets past authentication ($status)" \
		[ "$status" != 401 -a "$status" != 000 ]
	# the metrics' text, not only their status: counters the requests above moved
	metrics() { c curl -s --max-time 10 -o /run/metrics -w '%{http_code}' http://127.0.0.1:8080/metrics; }
	sample() { c cat /run/metrics | awk -v s="$1" '$1 == s { print $2 }'; }
	hello_ok='microsoup_gateway_requests_total{route="hello",method="GET",status="2xx"}'
	calc_refused='microsoup_gateway_requests_total{route="calc",method="GET",status="4xx"}'
	check "GET /metrics from loopback" [ "$(metrics)" = 200 ]
	check "/metrics counts the two refused calc requests ($calc_refused $(sample "$calc_refused"))" \
		[ "$(sample "$calc_refused")" -ge 2 ]
	check "/metrics counts the wrong password ($(sample 'microsoup_gateway_auth_failures_total{reason="wrong"}'))" \
		[ "$(sample 'microsoup_gateway_auth_failures_total{reason="wrong"}')" -ge 1 ]
	before=$(sample "$hello_ok")
	for i in 1 2 3; do gw http://127.0.0.1:8080/api/hello >/dev/null; done
	# a request is counted when the worker is done with it, just after its answer
	for i in $(seq 50); do
		metrics >/dev/null
		[ "$(sample "$hello_ok")" -ge $((${before:-0} + 3)) ] 2>/dev/null && break
		sleep 0.1
	done
	after=$(sample "$hello_ok")
	check "/metrics counts each of 3 more GET /api/hello: $hello_ok went from ${before:-none} to ${after:-none}" \
		[ -n "$before" -a "$((${after:-0} - ${before:-0}))" = 3 ]
fi

# --- reload: a changed route applies without a failed request; a broken
# config is refused and the gateway keeps serving with the old one
if [[ " ${components[*]} " == *" gateway "* ]]; then
	conf="$stage$prefix/etc/microsoup/gateway.conf"
	cp "$conf" "$work/gateway.conf.orig"
	gw() { c curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$@"; }
	check "before the reload /api/goodbye needs no credentials" \
		[ "$(gw http://127.0.0.1:8080/api/goodbye)" = 200 ]
	c rm -f /run/reload-load.out
	c bash -c 'for j in 1 2; do
		(for i in $(seq 150); do
			curl -s --max-time 10 -o /dev/null -w "%{http_code}\n" http://127.0.0.1:8080/api/hello
		done >/run/reload-load.$j) &
	done; wait; cat /run/reload-load.[12] >/run/reload-load.out' &
	reload_load=$!
	sleep 0.2
	# the changed route: goodbye now needs a user (the staged tree is bound in read-only
	# from this host, so the file is changed here)
	sed -i '/^\[route goodbye\]/a auth = user' "$conf"
	check "systemctl reload gateway.service applies a changed config" \
		c systemctl reload gateway.service
	wait $reload_load
	load=$(c cat /run/reload-load.out)
	sent=$(wc -l <<<"$load")
	lost=$(grep -vc '^200$' <<<"$load")
	echo "# during the reload: $sent requests sent, $lost failed"
	check "no request failed during the reload ($sent sent, $lost failed)" [ "$sent" = 300 -a "$lost" = 0 ]
	check "after the reload /api/goodbye needs credentials (401)" \
		[ "$(gw http://127.0.0.1:8080/api/goodbye)" = 401 ]
	printf '[route broken]\nprefix = /api/broken\nupstream = unix:/run/microsoup/hello.sock\nbogus = 1\n' >>"$conf"
	if c systemctl reload gateway.service; then
		not_ok "a reload with a broken config is refused"
	else
		ok "a reload with a broken config is refused"
	fi
	check "the journal says why, with the line: $(c journalctl -u gateway.service -o cat | grep -m1 'bogus')" \
		bash -c "nsenter -t $pid1 -a -- journalctl -u gateway.service -o cat | grep -q 'gateway.conf:[0-9]*: .*bogus: unknown key'"
	check "after the refused reload the gateway still serves (200)" \
		[ "$(gw http://127.0.0.1:8080/api/hello)" = 200 ]
	check "after the refused reload the previous config still holds (goodbye 401)" \
		[ "$(gw http://127.0.0.1:8080/api/goodbye)" = 401 ]
	check "the gateway kept running through the refused reload" \
		[ "$(c systemctl is-active gateway.service)" = active ]
	cp "$work/gateway.conf.orig" "$conf"
	check "the restored config reloads" c systemctl reload gateway.service
fi

# --- the front door never goes dark: a broken gateway.conf or users file, with the
# gateway running, stopped (as after an idle exit: the next request starts it) and
# restarted, never closes port 8080; the operator is told which file and line, and
# the fixed file is picked up by the next reload
if [[ " ${components[*]} " == *" gateway "* ]]; then
	conf="$stage$prefix/etc/microsoup/gateway.conf"
	users="$stage$prefix/etc/microsoup/users"
	cp "$conf" "$work/gateway.conf.good"
	cp "$users" "$work/users.good"
	gw() { c curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$@"; }
	status_text() { c systemctl show -p StatusText --value gateway.service; }
	refused_entries() {
		c journalctl -o cat MESSAGE_ID=a2a9bc68c8f84295bbb812f3fdef5890 "CONFIG_FILE=$1" | grep -c .
	}
	check "gateway.service stays resident (no idle exit)" \
		[ "$(c systemctl show -p ExecMainStartTimestampMonotonic --value gateway.service)" != 0 ]
	for broken in gateway.conf users; do
		case $broken in
		gateway.conf)
			file=$conf
			printf '[route broken]\nprefix = /api/broken\nupstream = unix:/x.sock\nbogus = 1\n' >>"$file"
			;;
		users) file=$users; echo 'not a users line' >>"$file" ;;
		esac
		path=$prefix/etc/microsoup/$broken
		before=$(refused_entries "$path")
		# what the operator reads, printed for the record
		c systemctl reload gateway.service 2>&1 | sed 's/^/# $ systemctl reload gateway.service: /'
		c systemctl status gateway.service --no-pager 2>&1 | grep -E 'Status:|Active:' | sed 's/^/# $ systemctl status gateway.service: /'
		c curl -s http://127.0.0.1:8080/readyz | cut -c1-300 | sed 's/^/# $ curl -s localhost:8080\/readyz: /'
		c journalctl -x --no-pager -n 1 MESSAGE_ID=a2a9bc68c8f84295bbb812f3fdef5890 | sed 's/^/# $ journalctl -x: /'
		if c systemctl reload gateway.service; then
			not_ok "broken $broken, gateway running: systemctl reload fails"
		else
			ok "broken $broken, gateway running: systemctl reload fails"
		fi
		check "broken $broken, gateway running: port 8080 still answers 200" \
			[ "$(gw http://127.0.0.1:8080/api/hello)" = 200 ]
		check "broken $broken: the journal names $path and its line (MESSAGE_ID, CONFIG_LINE)" \
			bash -c "[ $(refused_entries "$path") -gt $before ] && nsenter -t $pid1 -a -- journalctl -o export MESSAGE_ID=a2a9bc68c8f84295bbb812f3fdef5890 CONFIG_FILE=$path | grep -q '^CONFIG_LINE=[0-9]'"
		check "broken $broken: journalctl -x explains it (the catalog text)" \
			bash -c "nsenter -t $pid1 -a -- journalctl -x --no-pager MESSAGE_ID=a2a9bc68c8f84295bbb812f3fdef5890 | grep -q 'keeps answering with the last'"
		check "broken $broken: systemctl status says degraded ($(status_text | cut -c1-60)...)" \
			bash -c "nsenter -t $pid1 -a -- systemctl show -p StatusText --value gateway.service | grep -q '^degraded.*$broken'"
		c systemctl stop gateway.service
		check "broken $broken, gateway stopped: the next request starts it and gets 200" \
			[ "$(gw http://127.0.0.1:8080/api/hello)" = 200 ]
		check "broken $broken: systemctl restart succeeds" c systemctl restart gateway.service
		check "broken $broken, after the restart: 200" [ "$(gw http://127.0.0.1:8080/api/hello)" = 200 ]
		check "broken $broken, after the restart: still degraded" \
			bash -c "nsenter -t $pid1 -a -- systemctl show -p StatusText --value gateway.service | grep -q '^degraded'"
		check "broken $broken: gateway.socket has not failed" \
			[ "$(c systemctl is-failed gateway.socket)" != failed ]
		cp "$work/gateway.conf.good" "$conf"
		cp "$work/users.good" "$users"
		check "fixed $broken: systemctl reload succeeds" c systemctl reload gateway.service
		check "fixed $broken: no longer degraded" \
			bash -c "! nsenter -t $pid1 -a -- systemctl show -p StatusText --value gateway.service | grep -q '^degraded'"
		check "fixed $broken: 200" [ "$(gw http://127.0.0.1:8080/api/hello)" = 200 ]
	done
fi

exit $failed
