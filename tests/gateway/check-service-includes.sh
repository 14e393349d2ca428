#!/bin/bash
# No circles in src/gateway/service: no two of its .c files include each other's
# header, directly or through other headers (the compiler lists what each includes).
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
bad=0
for a in $files; do
	for b in ${uses[$a]}; do
		case " ${uses[$b]} " in
		*" $a "*)
			if [[ $a < $b ]]; then
				echo "not ok: $a and $b include each other's header"
				bad=1
			fi
			;;
		esac
	done
done
[ $bad = 0 ] && echo "ok: no include circle in $service"
exit $bad
