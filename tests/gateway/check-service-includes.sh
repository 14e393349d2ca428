#!/bin/bash
# No circles in src/gateway/service: no .c file needs itself, a file needing another
# when it includes that one's header, directly or through other headers (the compiler
# lists what each includes).
# Usage: check-service-includes.sh SOURCE_ROOT CC
set -u
cd "$1" || exit 1
cc=$2
service=src/gateway/service
declare -A uses

# the service .c files whose header @1 includes, itself left out
service_files_included_by() {
	"$cc" -MM -MG -I src "$1" | tr -d '\\' | tr ' ' '\n' | grep "^$service/.*\.h$" |
		sed 's/\.h$/.c/' | grep -vx "$1" | sort -u | while read -r c; do
		[ -f "$c" ] && printf '%s ' "$c"
	done
}

files=$(find "$service" -name '*.c' | sort)
for c in $files; do
	uses[$c]=$(service_files_included_by "$c")
done
# the files @1 needs, directly or through the files it needs
reachable_from() {
	local todo=" ${uses[$1]} " seen=" " next
	while [ -n "${todo// /}" ]; do
		next=""
		for c in $todo; do
			case "$seen" in *" $c "*) continue ;; esac
			seen+="$c "
			next+=" ${uses[$c]}"
		done
		todo="$next "
	done
	printf '%s' "$seen"
}

bad=0
for a in $files; do
	case "$(reachable_from "$a")" in
	*" $a "*)
		echo "not ok: $a needs itself through: ${uses[$a]}"
		bad=1
		;;
	esac
done
[ $bad = 0 ] && echo "ok: no include circle in $service"
exit $bad
