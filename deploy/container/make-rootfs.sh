#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make-rootfs.sh STAGE OUT NAME...
#
# For each NAME, OUT/NAME becomes the whole root file system of microsoup-NAME's
# image: the binary from STAGE (a `meson install --destdir` of a /usr build),
# every shared library it loads (as ldd finds them), the translations, and the
# few files of /etc a process expects (passwd and group with the user microsoup,
# uid 65532; nsswitch.conf). No shell and no package manager: what is not there
# cannot be used by an intruder, and the image stays a few MiB.
set -euo pipefail

stage=$1 out=$2
shift 2
bindir=usr/libexec/microsoup
uid=65532

# copies FILE (following links) to the same place under ROOT, its directory as
# the loader sees it: /lib is usr/lib on a merged-/usr system
copy_resolved()
{
	local root=$1 file=$2 dir
	dir=$(realpath "$(dirname "$file")")
	mkdir -p "$root$dir"
	cp -L "$file" "$root$dir/$(basename "$file")"
}

for name in "$@"; do
	root=$out/$name
	binary=$stage/$bindir/microsoup-$name
	[ -x "$binary" ] || { echo "make-rootfs.sh: no $binary" >&2; exit 1; }
	rm -rf "$root"
	mkdir -p "$root/$bindir" "$root/usr/lib" "$root/usr/lib64" "$root/etc" "$root/tmp"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	cp "$binary" "$root/$bindir/"
	# "libx.so => /path (0x...)" and the loader's own "/path (0x...)"
	libraries=$(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
	[ -n "$libraries" ] || { echo "make-rootfs.sh: ldd found no library for $binary" >&2; exit 1; }
	for library in $libraries; do
		copy_resolved "$root" "$library"
	done
	[ -d "$stage/usr/share/locale" ] && mkdir -p "$root/usr/share" &&
		cp -a "$stage/usr/share/locale" "$root/usr/share/"
	printf 'root:x:0:0:root:/root:/sbin/nologin\nmicrosoup:x:%s:%s:microsoup:/nonexistent:/sbin/nologin\n' \
		$uid $uid >"$root/etc/passwd"
	printf 'root:x:0:\nmicrosoup:x:%s:\n' $uid >"$root/etc/group"
	printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
	chmod 1777 "$root/tmp"
	# the calculator's history: a volume mounted here, writable by its user
	if [ "$name" = calculator ]; then
		mkdir -p "$root/var/lib/microsoup"
		chown $uid:$uid "$root/var/lib/microsoup"
		chmod 0700 "$root/var/lib/microsoup"
	fi
done
