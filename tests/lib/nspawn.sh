# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# What the tests that boot a real systemd in a throw-away systemd-nspawn container
# share (sourced by tests/system/system-test.sh and tests/package/package-test.sh):
# TAP output (tap.sh), a canary in the host's /tmp that must survive the test, the
# container's boot and its stop, and running a command inside it.

# shellcheck source=tap.sh
. "${BASH_SOURCE[0]%/*}/tap.sh"

# ---------------------------------------------------------------------------------
# the host must be untouched: a canary in its /tmp survives the test unchanged

canary_plant()
{
	canary=$(mktemp /tmp/microsoup-canary.XXXXXX)
	canary_text="microsoup canary $$ $RANDOM"
	echo "$canary_text" >"$canary"
}

canary_check()
{
	if [ "$(cat "$canary" 2>/dev/null)" != "$canary_text" ]; then
		not_ok "the host's /tmp canary $canary is gone or changed"
	else
		ok "the host's /tmp is untouched (canary $canary)"
	fi
	rm -f "$canary"
}

# ---------------------------------------------------------------------------------
# the container

nspawn_pid=
pid1=

# container_boot LOG NSPAWN_ARG...: boots systemd with systemd-nspawn NSPAWN_ARG...
# (the root, and the kernel command line after -b) on a private network, its
# console in LOG, and waits until $deadline for it to be up
container_boot()
{
	local log=$1 state child i
	shift
	systemd-nspawn --register=no --keep-unit -q --private-network --console=passive "$@" \
		>"$log" 2>&1 </dev/null &
	nspawn_pid=$!

	# PID 1 of the container is the child of systemd-nspawn that runs systemd in a
	# new PID namespace
	for i in $(seq 200); do
		for child in $(pgrep -P "$nspawn_pid"); do
			if [ "$(readlink /proc/$child/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] &&
				[ "$(cat /proc/$child/comm 2>/dev/null)" = systemd ]; then
				pid1=$child
			fi
		done
		[ -n "$pid1" ] && break
		kill -0 "$nspawn_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$pid1" ]; then
		echo "Bail out! the container did not start"
		diag <"$log"
		exit 1
	fi

	state=
	while [ "$(date +%s)" -lt "$deadline" ]; do
		state=$(c systemctl is-system-running 2>/dev/null)
		case $state in running | degraded) break ;; esac
		sleep 0.2
	done
	case $state in
	running) ok "systemd booted in the container (PID $pid1 on the host)" ;;
	*)
		not_ok "systemd booted in the container: $state"
		c systemctl --failed --no-pager 2>&1 | diag
		;;
	esac
}

# powers the container off, and ends it if it does not go
container_stop()
{
	local i
	[ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null || return 0
	[ -n "$pid1" ] && timeout 10 nsenter -t "$pid1" -a -- systemctl poweroff --no-block </dev/null >/dev/null 2>&1
	for i in $(seq 100); do
		kill -0 "$nspawn_pid" 2>/dev/null || break
		sleep 0.2
	done
	# a second SIGTERM makes systemd-nspawn end the container at once
	kill -0 "$nspawn_pid" 2>/dev/null && kill -TERM "$nspawn_pid" 2>/dev/null && sleep 1 &&
		kill -TERM "$nspawn_pid" 2>/dev/null && sleep 2
	kill -0 "$nspawn_pid" 2>/dev/null && kill -KILL "$nspawn_pid" 2>/dev/null
	wait "$nspawn_pid" 2>/dev/null
}

# runs a command inside the container
c()
{
	timeout 60 nsenter -t "$pid1" -a -- env SYSTEMD_COLORS=0 SYSTEMD_PAGER= "$@" </dev/null
}

# writes stdin to a file inside the container
c_write()
{
	timeout 60 nsenter -t "$pid1" -a -- tee "$1" >/dev/null
}
