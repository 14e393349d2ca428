#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's first command: install what is missing, build into build/, start the
# whole stack with the gateway on 127.0.0.1:8080.
#
#   tools/run-dev.sh                 pick the mode below
#   tools/run-dev.sh --foreground    always the foreground mode
#   tools/run-dev.sh --user          always the user manager
#
# Where it runs:
#   system  systemd is PID 1 and answers: `meson install` (prefix /usr/local, through
#           sudo when not root), systemd-sysusers (group microsoup), journalctl
#           --update-catalog, daemon-reload, restart of the services already running
#           (so they run the new build), `systemctl start microsoup.target gateway.socket`.
#           Undo: systemctl stop microsoup.target, then remove the files listed in
#           build/meson-logs/install-log.txt.
#   user    no system manager, but a user manager answers: socket + service units
#           for the built binaries go to $XDG_RUNTIME_DIR/systemd/user (gone at logout),
#           sockets under $XDG_RUNTIME_DIR/microsoup, then `systemctl --user start
#           microsoup-dev.target`. Undo: systemctl --user stop microsoup-dev.target.
#   foreground  neither (containers, CI machines): every binary under
#           systemd-socket-activate, sockets in a temporary directory, logs on this
#           terminal; Ctrl-C stops them all. systemd-socket-activate starts a binary once,
#           so here they never idle out (--idle-timeout=0).
#
# Each mode makes the user demo (password demo, role user) that the README's calculator
# examples use: in the system mode only when $sysconfdir/users does not exist yet.
#
# MICROSOUP_PORT changes the gateway's port in the user and foreground modes (default
# 8080; the system mode listens where gateway.socket says, 8080). A port another
# program holds is an error: nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
source_root=$PWD
build=$source_root/build
port=${MICROSOUP_PORT:-8080}

mode=
case ${1:-} in
--foreground) mode=foreground ;;
--user) mode=user ;;
"") ;;
*)
	echo "usage: $0 [--foreground|--user]" >&2
	exit 2
	;;
esac

. tools/deps.sh
microsoup_install_packages "${MICROSOUP_PACKAGES[@]}"

[ -f "$build/build.ninja" ] || meson setup "$build"
meson compile -C "$build"

# every component of components.txt, in its order (meson built them all)
components=()
while read -r name; do
	components+=("$name")
done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' components.txt)
backends=()
for name in "${components[@]}"; do
	[ "$name" = gateway ] || backends+=("$name")
done
have_gateway=false
[ -x "$build/src/cmd/microsoup-gateway" ] && have_gateway=true

if [ -z "$mode" ]; then
	mode=foreground
	if [ -d /run/systemd/system ] && systemctl show -P Version >/dev/null 2>&1; then
		mode=system
	elif systemctl --user show -P Version >/dev/null 2>&1; then
		mode=user
	fi
fi

say()
{
	printf '\n==> %s\n' "$*"
}

# what to try once the stack runs: through the gateway, or straight at the sockets
print_tour()
{
	local sockdir=$1 name
	echo
	if $have_gateway; then
		echo "The gateway listens on 127.0.0.1:$port:"
		echo "  curl 127.0.0.1:$port/api/hello"
		echo "  curl -H 'Accept-Language: th' '127.0.0.1:$port/api/hello?name=Ada'"
		[[ " ${components[*]} " = *" greeting "* ]] && echo "  curl 127.0.0.1:$port/api/greeting"
		[[ " ${components[*]} " = *" calculator "* ]] &&
			echo "  curl -u demo:demo -H 'Content-Type: application/json' -d '{\"expression\":\"2*(3+4)\"}' 127.0.0.1:$port/api/calc/eval"
		echo "Or straight at the services:"
	else
		echo "No gateway built yet; ask the services over their sockets:"
	fi
	for name in "${backends[@]}"; do
		case $name in
		calculator) echo "  curl --unix-socket $sockdir/$name.sock -H 'Content-Type: application/json' -d '{\"a\":1,\"b\":2}' http://localhost/calc/add" ;;
		world) echo "  curl --unix-socket $sockdir/$name.sock http://localhost/world" ;;
		*) echo "  curl --unix-socket $sockdir/$name.sock 'http://localhost/$name?name=Ada'" ;;
		esac
	done
}

# the gateway's configuration with every upstream socket moved to $1
write_gateway_config()
{
	sed "s#unix:/run/microsoup/#unix:$1/#" "$source_root/data/gateway.conf" >"$2"
}

# a users file $1 with demo:demo (role user) for the calc routes
write_users()
{
	local hash
	hash=$(printf 'demo\n' | "$build/src/cmd/microsoup-gateway" --hash-password)
	(umask 077 && printf 'demo:user:%s\n' "$hash" >"$1")
}

# stops here when something else already listens on 127.0.0.1:$port
require_free_port()
{
	if ! python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; then
		echo "$0: 127.0.0.1:$port is in use: stop what listens there" \
			"(ss -ltnp 'sport = :$port') or choose another port with MICROSOUP_PORT=" >&2
		exit 1
	fi
}

run_system()
{
	local sudo=() units=() running=() name
	[ "$(id -u)" = 0 ] || sudo=(sudo)
	local prefix
	prefix=$(meson introspect --buildoptions "$build" |
		python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')

	say "installing into $prefix and starting under the system manager"
	"${sudo[@]}" meson install -C "$build" --no-rebuild --quiet
	"${sudo[@]}" systemd-sysusers
	local sysconfdir
	# the configured one, as the binaries have it
	sysconfdir=$(sed -n 's/^#define SYSCONFDIR "\(.*\)"$/\1/p' "$build/config.h")
	if [ ! -e "$sysconfdir/users" ]; then
		say "making the user demo (password demo) in $sysconfdir/users"
		write_users "$build/users.demo"
		"${sudo[@]}" install -m 0600 "$build/users.demo" "$sysconfdir/users"
		rm -f "$build/users.demo"
	fi
	"${sudo[@]}" journalctl --update-catalog || true
	"${sudo[@]}" systemctl daemon-reload
	for name in "${components[@]}"; do
		units+=("$name.socket")
		[ "$(systemctl is-active "$name.service" 2>/dev/null)" = active ] && running+=("$name.service")
	done
	# a service already running keeps the old binary until it restarts
	[ ${#running[@]} -gt 0 ] && "${sudo[@]}" systemctl restart "${running[@]}"
	"${sudo[@]}" systemctl start microsoup.target "${units[@]}"
	systemctl --no-pager list-units 'microsoup.target' "${units[@]}"
	print_tour /run/microsoup
	echo
	echo "Logs: journalctl -f -u 'gateway.service' -u 'hello.service' ...;" \
		"stop: systemctl stop microsoup.target"
}

run_user()
{
	local dir=$XDG_RUNTIME_DIR/systemd/user sockdir=$XDG_RUNTIME_DIR/microsoup name args wants=()
	say "starting under the user manager (units in $dir)"
	mkdir -p "$dir" "$sockdir"
	for name in "${components[@]}"; do
		args="--idle-timeout=30"
		case $name in
		greeting) args+=" --hello=unix:%t/microsoup/hello.sock --world=unix:%t/microsoup/world.sock" ;;
		calculator) args+=" --database=$sockdir/calculator.db" ;;
		gateway)
			write_gateway_config "$sockdir" "$sockdir/gateway.conf"
			args+=" --config=$sockdir/gateway.conf"
			mkdir -p -m 0700 "$sockdir/credentials"
			write_users "$sockdir/credentials/users"
			;;
		esac
		if [ "$name" = gateway ]; then
			printf '[Socket]\nListenStream=127.0.0.1:%s\n' "$port" >"$dir/microsoup-dev-$name.socket"
		else
			printf '[Socket]\nListenStream=%%t/microsoup/%s.sock\nSocketMode=0600\n' "$name" \
				>"$dir/microsoup-dev-$name.socket"
		fi
		printf '[Service]\nType=notify\nExecStart=%s %s\nEnvironment=MICROSOUP_LOCALEDIR=%s\n' \
			"$build/src/cmd/microsoup-$name" "$args" "$build/po" >"$dir/microsoup-dev-$name.service"
		[ "$name" = gateway ] && printf 'Environment=CREDENTIALS_DIRECTORY=%s\n' "$sockdir/credentials" \
			>>"$dir/microsoup-dev-$name.service"
		wants+=("microsoup-dev-$name.socket")
	done
	printf '[Unit]\nDescription=microsoup from %s\nWants=%s\n' "$build" "${wants[*]}" \
		>"$dir/microsoup-dev.target"
	systemctl --user daemon-reload
	systemctl --user stop "${components[@]/#/microsoup-dev-}" 2>/dev/null || true
	# the port may be held by this run's own socket from before, but by nothing else
	if $have_gateway && [ "$(systemctl --user is-active microsoup-dev-gateway.socket)" != active ]; then
		require_free_port
	fi
	systemctl --user start microsoup-dev.target
	for name in "${components[@]}"; do
		if [ "$(systemctl --user is-active "microsoup-dev-$name.socket")" != active ]; then
			echo "$0: microsoup-dev-$name.socket did not start:" >&2
			systemctl --user --no-pager status "microsoup-dev-$name.socket" >&2 || true
			exit 1
		fi
	done
	print_tour "$sockdir"
	echo
	echo "Logs: journalctl -f --user-unit='microsoup-dev-*'; stop: systemctl --user stop microsoup-dev.target"
}

pids=()
rundir=

stop_all()
{
	set +e
	trap - INT TERM EXIT
	# Ctrl-C reached them too; a kill from elsewhere did not
	if [ ${#pids[@]} -gt 0 ]; then
		kill -TERM "${pids[@]}" 2>/dev/null
		wait "${pids[@]}" 2>/dev/null
	fi
	[ -n "$rundir" ] && rm -rf "$rundir"
	echo "microsoup: stopped"
}

run_foreground()
{
	local name args=()
	command -v systemd-socket-activate >/dev/null || {
		echo "systemd-socket-activate is missing (package systemd)" >&2
		exit 1
	}
	$have_gateway && require_free_port
	rundir=$(mktemp -d "${TMPDIR:-/tmp}/microsoup-dev.XXXXXX")
	trap stop_all EXIT
	trap 'exit 130' INT TERM
	say "running in the foreground (sockets in $rundir); Ctrl-C stops everything"
	for name in "${components[@]}"; do
		local listen=$rundir/$name.sock env=(-E MICROSOUP_LOCALEDIR="$build/po")
		args=(--idle-timeout=0)
		case $name in
		greeting) args+=(--hello="unix:$rundir/hello.sock" --world="unix:$rundir/world.sock") ;;
		calculator) args+=(--database="$rundir/calculator.db") ;;
		gateway)
			listen=127.0.0.1:$port
			write_gateway_config "$rundir" "$rundir/gateway.conf"
			args+=(--config="$rundir/gateway.conf")
			mkdir -m 0700 "$rundir/credentials"
			write_users "$rundir/credentials/users"
			env+=(-E CREDENTIALS_DIRECTORY="$rundir/credentials")
			;;
		esac
		systemd-socket-activate -l "$listen" "${env[@]}" "$build/src/cmd/microsoup-$name" "${args[@]}" &
		pids+=($!)
	done
	# systemd-socket-activate prints "Listening on ..." once bound, and exits when it
	# cannot bind: then nothing of this run goes on
	sleep 0.3
	for i in "${!pids[@]}"; do
		if ! kill -0 "${pids[$i]}" 2>/dev/null; then
			echo "$0: microsoup-${components[$i]} could not start (see above): stopping" >&2
			exit 1
		fi
	done
	print_tour "$rundir"
	echo
	wait
}

case $mode in
system) run_system ;;
user) run_user ;;
foreground) run_foreground ;;
esac
