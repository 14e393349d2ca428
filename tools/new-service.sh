#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Adds a service to microsoup, every layer of it, from the templates in
# tools/new-service/: a port (the interface), the service that implements it, the
# HTTP handler, the binary's main, its systemd units, its Thai translations, its
# tests and its gateway route. The new service answers GET /NAME[?name=N] with
# {"message": "Hello from NAME, N!"} (in Thai with Accept-Language: th) and builds
# and passes `meson test` as it is: change it from there.
#
# usage: tools/new-service.sh NAME
#   NAME  lower case letters and digits, words joined by "-" (e.g. farewell,
#         good-night), at most 32 characters, not a component already
#
# Nothing is written unless everything can be: the files are made in a temporary
# directory first, and an existing file is never overwritten.
set -euo pipefail

usage()
{
	echo "usage: $0 NAME   (e.g. $0 farewell)" >&2
	exit 2
}

die()
{
	echo "$0: $*" >&2
	exit 1
}

[ $# -eq 1 ] || usage
case $1 in -h | --help) usage ;; esac
name=$1
cd "$(dirname "$0")/.."
root=$PWD
templates=$root/tools/new-service

[[ $name =~ ^[a-z][a-z0-9]*(-[a-z0-9]+)*$ ]] ||
	die "“$name” is not a service name: use lower case letters and digits, words joined by “-”"
[ ${#name} -le 32 ] || die "“$name” is longer than 32 characters"
case $name in common | lib | lint | po | units) die "“$name” is a directory name the tree already uses" ;; esac
if sed -e 's/#.*//' -e 's/[[:space:]]//g' components.txt | grep -qxF -- "$name"; then
	die "$name is already a component (components.txt)"
fi

# the spellings the templates use: good-night → good_night, GoodNight, GOOD_NIGHT
name_c=${name//-/_}
Name=$(sed -E 's/(^|-)([a-z])/\U\2/g' <<<"$name")
NAME=${name_c^^}

stage=$(mktemp -d "${TMPDIR:-/tmp}/new-service.XXXXXX")
trap 'rm -rf "$stage"' EXIT

substitute()
{
	sed -e "s/@name_c@/$name_c/g" -e "s/@Name@/$Name/g" -e "s/@NAME@/$NAME/g" \
		-e "s/@name@/$name/g" "$1"
}

# the new files: each template's path with NAME replaced and .in dropped
created=()
while IFS= read -r template; do
	rel=${template#"$templates"/}
	rel=${rel//NAME/$name}
	rel=${rel%.in}
	[ ! -e "$rel" ] || die "$rel exists already; nothing was written"
	mkdir -p "$stage/new/$(dirname "$rel")"
	substitute "$template" >"$stage/new/$rel"
	created+=("$rel")
done < <(find "$templates" -type f -name '*.in' | LC_ALL=C sort)

# laid out as the rest of the tree is (.clang-format): parameter alignment depends
# on the length of the name
if command -v clang-format >/dev/null; then
	(cd "$stage/new" && find . -name '*.[ch]' -exec clang-format --style="file:$root/.clang-format" -i {} +)
else
	echo "$0: clang-format is not installed: the new C files keep the templates' layout" >&2
fi

# the shared files, changed in $stage/edit and moved in place at the end
changed=()
edit()
{
	mkdir -p "$stage/edit/$(dirname "$1")"
	changed+=("$1")
}

# FILE LIST ENTRY...: ENTRY lines added to the meson files() list that starts with
# "LIST = files(", kept sorted
add_sources()
{
	local file=$1 list=$2
	shift 2
	grep -q "^$list = files($" "$file" || die "$file has no “$list = files(” list"
	edit "$file"
	# the lines up to the list's opening, its entries, and the rest
	awk -v list="$list" -v out="$stage/part" '
		part == 0 { print > (out ".head"); if ($0 == list " = files(") part = 1; next }
		part == 1 && $0 == ")" { part = 2 }
		part == 1 { print > (out ".list"); next }
		{ print > (out ".tail") }' "$file"
	{
		cat "$stage/part.head"
		{
			cat "$stage/part.list"
			printf "  '%s',\n" "$@"
		} | LC_ALL=C sort
		cat "$stage/part.tail"
	} >"$stage/edit/$file"
	rm -f "$stage"/part.*
}

# the development run starts components in this order: the gateway stays last
edit components.txt
awk -v name="$name" '
	!done && $1 == "gateway" { print name; done = 1 }
	{ print }
	END { if (!done) print name }' components.txt >"$stage/edit/components.txt"

add_sources src/core/meson.build core_sources "ports/ms-$name.c" "services/ms-$name-service.c"
add_sources src/handlers/meson.build handlers_sources "ms-$name-handler.c"

grep -qx "subdir('fuzz')" tests/meson.build || die "tests/meson.build has no subdir('fuzz') line"
edit tests/meson.build
sed "s/^subdir('fuzz')\$/subdir('$name')\n&/" tests/meson.build >"$stage/edit/tests/meson.build"

edit po/POTFILES.in
{
	cat po/POTFILES.in
	printf '%s\n' "src/core/services/ms-$name-service.c" "src/handlers/ms-$name-handler.c"
} | LC_ALL=C sort >"$stage/edit/po/POTFILES.in"

edit po/th.po
{
	cat po/th.po
	printf '\n#: src/core/services/ms-%s-service.c\nmsgid "Hello from %s!"\nmsgstr "สวัสดีจาก %s!"\n' \
		"$name" "$name" "$name"
	printf '\n#: src/core/services/ms-%s-service.c\n#, c-format\nmsgid "Hello from %s, %%s!"\nmsgstr "สวัสดีจาก %s, %%s!"\n' \
		"$name" "$name" "$name"
} >"$stage/edit/po/th.po"

if grep -qE "^\[route $name\]|^prefix = /api/$name\$" data/gateway.conf; then
	die "data/gateway.conf already has a route $name or the prefix /api/$name"
fi
edit data/gateway.conf
{
	cat data/gateway.conf
	printf '\n[route %s]\nprefix = /api/%s\nupstream = unix:/run/microsoup/%s.sock\nmethods = GET, HEAD\ntimeout_ms = 5000\n' \
		"$name" "$name" "$name"
} >"$stage/edit/data/gateway.conf"

# everything is ready: only now is the tree touched
for rel in "${created[@]}"; do
	mkdir -p "$(dirname "$rel")"
	cp "$stage/new/$rel" "$rel"
done
for rel in "${changed[@]}"; do
	cat "$stage/edit/$rel" >"$rel"
done

echo "Added the $name service."
echo "Created:"
printf '  %s\n' "${created[@]}"
echo "Changed:"
printf '  %s\n' "${changed[@]}"
cat <<EOF
Next:
  meson setup build (or meson compile -C build, which picks the change up)
  meson test -C build --suite $name
  meson devenv -C build microsoup-$name --listen=tcp:127.0.0.1:8090 &
  curl -H 'Accept-Language: th' '127.0.0.1:8090/$name?name=Ada'
EOF
