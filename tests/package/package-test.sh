#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Debian package as an administrator gets it: builds it with dpkg-buildpackage
# from a copy of the source tree (the tree itself is left as it was), checks it with
# lintian, makes a minimal Debian root with mmdebstrap (with the package's
# dependencies in its apt cache: the container has no network), boots systemd in it
# in a throw-away systemd-nspawn container and there runs apt-get install, remove and
# purge, checking what each promises: the sockets listen and nothing else runs,
# the gateway answers, remove stops everything, purge leaves no file behind.
#
# usage: package-test.sh SOURCE_ROOT OUT_DIR VERSION
#   VERSION is the project's (meson.build); the built packages are left in OUT_DIR.
#
# Skips (77) when not root or without the tools, unless MICROSOUP_REQUIRE_SYSTEM=1.
set -u

source_root=$1
out=$2
version=$3

# shellcheck source=../lib/nspawn.sh
. "$(dirname "$0")/../lib/nspawn.sh"

started=$(date +%s.%N)

[ "$(id -u)" = 0 ] || skip "needs root to build the root and boot systemd in systemd-nspawn"
for tool in git dpkg-buildpackage lintian mmdebstrap systemd-nspawn nsenter; do
	command -v $tool >/dev/null ||
		skip "$tool is not installed (tools/deps.sh installs MICROSOUP_PACKAGE_TEST_PACKAGES)"
done
git -C "$source_root" rev-parse --git-dir >/dev/null 2>&1 ||
	skip "$source_root is not a git checkout: which files are the source is git's answer"

work=$(mktemp -d "${TMPDIR:-/tmp}/microsoup-package.XXXXXX")
root=$work/root
canary_plant

cleanup()
{
	container_stop
	canary_check
	echo "1..$n"
	echo "# package suite took $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# runs a shell command line inside the container, its output as TAP comments
c_sh()
{
	c sh -c "$1" 2>&1 | diag
	return "${PIPESTATUS[0]}"
}

# ---------------------------------------------------------------------------------
# the package

# the files git knows and the new ones it does not ignore, as they are now: never a
# build directory
tree=$work/microsoup-$version
mkdir -p "$tree"
git -C "$source_root" ls-files -z --cached --others --exclude-standard |
	tar -C "$source_root" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$tree" -xf -

# a clean environment: nothing of the calling meson test's may reach the package's
# own build and tests
step=$(date +%s)
if (cd "$tree" && env -i PATH="$PATH" HOME="$work" LANG=C.UTF-8 \
	dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - step)) s)"
else
	echo "Bail out! dpkg-buildpackage -us -uc -b failed"
	tail -n 60 "$work/build.log" | diag
	exit 1
fi
grep -E '^(Ok|Fail|Skipped|Timeout): ' "$work/build.log" | diag
check "dh_auto_test ran the unit and integration suites, and only those" \
	grep -q 'meson test --suite unit --suite integration$' "$work/build.log"

mkdir -p "$out"
rm -f "$out"/microsoup*_*.deb "$out"/microsoup_*.changes "$out"/microsoup_*.buildinfo
cp "$work"/microsoup*_*.deb "$work"/microsoup_*.changes "$work"/microsoup_*.buildinfo "$out"/
deb=$(echo "$work"/microsoup_"$version"_*.deb)
deb_name=${deb##*/}
if [ ! -f "$deb" ]; then
	echo "Bail out! no microsoup_${version}_*.deb but $(cd "$work" && echo *.deb):" \
		"debian/changelog's version is not meson.build's"
	exit 1
fi
ok "the package's version is the project's ($version): $deb_name"

contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
echo "# dpkg -c $deb_name:"
dpkg-deb -c "$deb" | diag
for path in /usr/libexec/microsoup/microsoup-gateway /usr/libexec/microsoup/microsoup-hello \
	/lib/systemd/system/gateway.socket /lib/systemd/system/gateway.service \
	/lib/systemd/system/microsoup.target /usr/lib/sysusers.d/microsoup.conf \
	/usr/lib/systemd/catalog/microsoup.catalog /usr/share/locale/th/LC_MESSAGES/microsoup.mo \
	/usr/share/doc/microsoup/copyright /usr/share/doc/microsoup/README.md.gz \
	/usr/share/man/man7/microsoup.7.gz /usr/share/man/man5/gateway.conf.5.gz; do
	check "the package holds $path" grep -qx "$path" <<<"$contents"
done
conffiles=$(dpkg-deb -I "$deb" conffiles)
check "the package's conffiles: $(echo $conffiles)" [ "$conffiles" = /etc/microsoup/gateway.conf ]

# lintian warns about running as root, which is all it says on stderr; its info
# tags are printed, only errors and warnings fail
lint=$(cd "$work" && lintian --fail-on error,warning --display-info "microsoup_${version}_"*.changes 2>&1)
status=$?
echo "# lintian --display-info microsoup_${version}_*.changes:"
grep -v 'running with root privileges is not recommended' <<<"$lint" | diag
check "lintian: no error, no warning" [ "$status" = 0 ]

# ---------------------------------------------------------------------------------
# a minimal Debian root, as the host's release and mirrors have it

. /etc/os-release
mirror=()
[ -f /etc/apt/sources.list.d/debian.sources ] && mirror=(/etc/apt/sources.list.d/debian.sources)
step=$(date +%s)
# The host's apt cache, hard-linked where it can be, saves downloads. The package's
# dependencies, with their recommends as apt-get install takes them, are fetched into
# the root's cache, which stays with apt's lists for the install in the container
# (which has no network); apt's copy of the package itself does not, so that the root
# starts without a single microsoup file.
if mmdebstrap --variant=minbase --include=systemd,curl --skip=cleanup/apt \
	--setup-hook='mkdir -p "$1"/var/cache/apt/archives && { cp -al /var/cache/apt/archives/*.deb "$1"/var/cache/apt/archives/ 2>/dev/null || true; }' \
	--customize-hook="copy-in $deb /root" \
	--customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only -o APT::Install-Recommends=true /root/$deb_name" \
	--customize-hook='rm -f "$1"/var/cache/apt/archives/microsoup_*.deb' \
	"$VERSION_CODENAME" "$root" "${mirror[@]}" >"$work/mmdebstrap.log" 2>&1; then
	ok "mmdebstrap: a minimal $VERSION_CODENAME root with systemd, curl and the package's dependencies in its apt cache ($(($(date +%s) - step)) s)"
else
	echo "Bail out! mmdebstrap failed"
	tail -n 40 "$work/mmdebstrap.log" | diag
	exit 1
fi

deadline=$(($(date +%s) + ${MICROSOUP_PACKAGE_BOOT_TIMEOUT:-120}))
container_boot "$work/console.log" -D "$root" -b systemd.unit=multi-user.target systemd.firstboot=off

# every file of the package's name or of one of its units' names, anywhere
units=$(grep -oE '^/lib/systemd/system/[^/]+$' <<<"$contents" | sed 's|.*/||')
leftovers()
{
	local names=(-name '*microsoup*') unit
	for unit in $units; do
		names+=(-o -name "$unit")
	done
	c find / \( -path /proc -o -path /sys -o -path /dev -o -path /root/"$deb_name" \) -prune \
		-o \( "${names[@]}" \) -print
}
before=$(leftovers)
check "no microsoup file in the root before the install" [ -z "$before" ]
sockets=$(grep -E '\.socket$' <<<"$units")
services=$(grep -E '\.service$' <<<"$units")

# ---------------------------------------------------------------------------------
# install: the sockets listen, nothing runs, the first request starts the gateway

if c_sh "cd /root && DEBIAN_FRONTEND=noninteractive apt-get install -y ./$deb_name"; then
	ok "apt-get install ./$deb_name"
else
	echo "Bail out! apt-get install ./$deb_name failed"
	exit 1
fi
for unit in $sockets microsoup.target; do
	state="$(c systemctl is-enabled "$unit") $(c systemctl is-active "$unit")"
	check "$unit is enabled and active after the install alone ($state)" [ "$state" = "enabled active" ]
done
for name in $sockets; do
	[ "$name" = gateway.socket ] && continue
	check "/run/microsoup/${name%.socket}.sock is a socket" c test -S "/run/microsoup/${name%.socket}.sock"
done
running=
for unit in $services; do
	[ "$(c systemctl is-active "$unit")" = inactive ] || running+=" $unit"
done
check "no service runs before the first request${running:+:$running}" [ -z "$running" ]
check "group microsoup exists" c getent group microsoup
conffiles=$(c dpkg-query -W -f='${Conffiles}' microsoup)
check "/etc/microsoup/gateway.conf is a conffile:$(echo $conffiles)" \
	grep -q '^ */etc/microsoup/gateway.conf [0-9a-f]\{32\}$' <<<"$conffiles"

status=$(c curl -s --max-time 10 -o /run/last-body -w '%{http_code}' http://localhost:8080/api/hello)
body=$(c cat /run/last-body)
check "curl localhost:8080/api/hello: $status $body" [ "$status" = 200 -a "$body" = '{"message":"Hello!"}' ]
body=$(c curl -s --max-time 10 -H 'Accept-Language: th' 'http://localhost:8080/api/hello?name=Ada')
check "the package's Thai translation answers: $body" grep -q 'สวัสดี' <<<"$body"
# the finders below must see what is there, or their empty answers after the purge
# would prove nothing
installed=$(leftovers)
check "the leftovers finder sees the installed package ($(grep -c . <<<"$installed") files)" \
	grep -qx /etc/systemd/system/sockets.target.wants/hello.socket <<<"$installed"
microsoup_procs()
{
	c find /proc -maxdepth 2 -name exe -lname '*/microsoup-*' 2>/dev/null
}
check "the process finder sees the gateway" grep -q . <<<"$(microsoup_procs)"
check "journalctl knows the package's catalog entries" \
	bash -c "nsenter -t $pid1 -a -- journalctl --list-catalog | grep -qi a2a9bc68c8f84295bbb812f3fdef5890"

# a user for the calculator, as README tells an administrator to add one; the reload
# takes the users file, and the calculator keeps its history in its state directory
c_sh 'cd /etc/microsoup && touch users && chmod 0600 users &&
	echo "ada:user:$(printf %s package-test-pw | /usr/libexec/microsoup/microsoup-gateway --hash-password)" >>users'
check "systemctl reload gateway.service" c systemctl reload gateway.service
status=$(c curl -s --max-time 10 -o /run/last-body -w '%{http_code}' -u ada:package-test-pw \
	-H 'Content-Type: application/json' -d '{"expression":"2*(3+4)"}' http://localhost:8080/api/calc/eval)
body=$(c cat /run/last-body)
check "after the reload ada may use the calculator: $status $body" [ "$status" = 200 -a "${body%\"result\":14\}}" != "$body" ]
check "the calculator's history is in /var/lib/private/microsoup/calculator.db" \
	c test -s /var/lib/private/microsoup/calculator.db

# an upgrade (here to the same version): the sockets keep listening, the gateway runs
# the new binary, the administrator's files stay
gateway_pid=$(c systemctl show -P MainPID gateway.service)
if c_sh "cd /root && DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall ./$deb_name"; then
	ok "apt-get install --reinstall ./$deb_name"
else
	not_ok "apt-get install --reinstall ./$deb_name"
fi
state=$(for unit in $sockets; do c systemctl is-active "$unit"; done | sort -u)
check "every socket still listens after the upgrade ($(echo $state))" [ "$state" = active ]
new_pid=$(c systemctl show -P MainPID gateway.service)
check "the gateway was restarted by the upgrade (PID $gateway_pid -> $new_pid)" \
	[ "$new_pid" != 0 -a "$new_pid" != "$gateway_pid" ]
status=$(c curl -s --max-time 10 -o /dev/null -w '%{http_code}' -u ada:package-test-pw \
	'http://localhost:8080/api/calc/history?limit=1')
check "after the upgrade the users file and the history are still there ($status)" [ "$status" = 200 ]

# ---------------------------------------------------------------------------------
# remove stops everything and keeps config and state; purge leaves nothing

if c_sh 'DEBIAN_FRONTEND=noninteractive apt-get remove -y microsoup'; then
	ok "apt-get remove microsoup"
else
	not_ok "apt-get remove microsoup"
fi
active=
for unit in $units; do
	[ "$(c systemctl is-active "$unit")" = inactive ] || active+=" $unit"
done
check "after remove every unit is stopped${active:+, not:$active}" [ -z "$active" ]
procs=$(microsoup_procs)
check "after remove no microsoup process runs${procs:+: $procs}" [ -z "$procs" ]
check "after remove /run/microsoup is gone" c test ! -e /run/microsoup
check "after remove the config and the calculator's history stay" \
	c test -f /etc/microsoup/gateway.conf -a -f /etc/microsoup/users -a -s /var/lib/private/microsoup/calculator.db

if c_sh 'DEBIAN_FRONTEND=noninteractive apt-get purge -y microsoup'; then
	ok "apt-get purge microsoup"
else
	not_ok "apt-get purge microsoup"
fi
left=$(leftovers)
check "after purge no microsoup file and no unit file or link is left${left:+: $(echo $left)}" [ -z "$left" ]
check "after purge group microsoup is gone" c sh -c '! getent group microsoup'
check "after purge there is no user microsoup" c sh -c '! getent passwd microsoup'
known=$(c systemctl show -P LoadState $units | grep . | sort -u)
check "after purge systemd finds none of the units (LoadState $(echo $known))" [ "$known" = not-found ]
check "after purge dpkg knows no microsoup" c sh -c '! dpkg-query -W microsoup 2>/dev/null'
check "after purge journalctl's catalog no longer has the package's entries" \
	bash -c "! nsenter -t $pid1 -a -- journalctl --list-catalog | grep -qi a2a9bc68c8f84295bbb812f3fdef5890"

exit $failed
