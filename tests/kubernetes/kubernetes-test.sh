#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# deploy/kubernetes checked offline, as no cluster runs here:
#   1. kubectl kustomize renders it;
#   2. every object against the Kubernetes API's schema (validate.mjs schema);
#   3. no field the API does not know, at any depth (validate.mjs fields);
#   4. every pod non-root, read-only, without capabilities, with requests, probes
#      and an image the Containerfile builds (validate.mjs policy);
#   5. microsoup-gateway --check-config accepts the ConfigMap's gateway.conf;
#   6. every upstream in it is http://SERVICE:PORT of a Service of the manifests.
# Then each check is shown to fail once, on a copy of the manifests broken for it.
# The npm packages validate.mjs uses (package.json pins them, package-lock.json
# their integrity) are installed under BUILD_ROOT/tests/kubernetes, not committed.
#
# usage: kubernetes-test.sh SOURCE_ROOT BUILD_ROOT GATEWAY
#
# Skips (77) without kubectl or npm, unless MICROSOUP_REQUIRE_SYSTEM=1 (CI).
set -u
. "$(dirname "$0")/../lib/tap.sh"

source_root=$1
build_root=$2
gateway=$3
here=$source_root/tests/kubernetes
started=$(date +%s.%N)

for tool in kubectl node npm; do
	command -v $tool >/dev/null || skip "$tool is not installed (tools/deps.sh: MICROSOUP_KUBERNETES_PACKAGES)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/microsoup-kubernetes.XXXXXX")
trap 'echo "1..$n"; echo "# kubernetes suite took $(awk -v a="$started" -v b="$(date +%s.%N)" "BEGIN { printf \"%.1f\", b - a }") s"; rm -rf "$work"' EXIT

# --- the checker's packages, installed again only when the lock file changed ----
node_dir=$build_root/tests/kubernetes/checker
mkdir -p "$node_dir"
if ! cmp -s "$here/package-lock.json" "$node_dir/package-lock.json" || [ ! -d "$node_dir/node_modules" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$node_dir/"
	if ! (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1; then
		echo "Bail out! npm ci of tests/kubernetes/package.json failed"
		diag <"$work/npm.log"
		exit 1
	fi
fi
cp "$here/validate.mjs" "$node_dir/"
ok "npm ci: $(cd "$node_dir" && npm ls --depth=0 2>/dev/null | grep -Eo '[a-z-]+@[0-9.]+' | tr '\n' ' ')"

# runs the six checks on the manifests in DIR; prints why the first failing one
# failed and returns its number, 0 when all pass
checks()
{
	local dir=$1 out=$2
	mkdir -p "$out"
	kubectl kustomize "$dir" >"$out/rendered.yaml" 2>"$out/kustomize.log" ||
		{ cat "$out/kustomize.log"; return 1; }
	node "$node_dir/validate.mjs" schema "$out/rendered.yaml" >"$out/schema.log" 2>&1 ||
		{ cat "$out/schema.log"; return 2; }
	node "$node_dir/validate.mjs" fields "$out/rendered.yaml" >"$out/fields.log" 2>&1 ||
		{ cat "$out/fields.log"; return 3; }
	node "$node_dir/validate.mjs" policy "$out/rendered.yaml" \
		"$source_root/deploy/container/Containerfile" >"$out/policy.log" 2>&1 ||
		{ cat "$out/policy.log"; return 4; }
	node "$node_dir/validate.mjs" gateway-conf "$out/rendered.yaml" "$out/gateway.conf" >/dev/null &&
		"$gateway" --check-config --config="$out/gateway.conf" >"$out/check-config.log" 2>&1 ||
		{ cat "$out/check-config.log"; return 5; }
	node "$node_dir/validate.mjs" upstreams "$out/rendered.yaml" "$out/gateway.conf" >"$out/upstreams.log" 2>&1 ||
		{ cat "$out/upstreams.log"; return 6; }
	return 0
}

names=("" "kubectl kustomize" "schema (kubernetes-models)" "unknown fields (kubernetes-types + tsc)"
	"pod policy" "microsoup-gateway --check-config" "upstreams are Services")

# --- the manifests as they are ---------------------------------------------------
good=$work/good
checks "$source_root/deploy/kubernetes" "$good" >"$work/why" 2>&1
result=$?
if [ $result = 0 ]; then
	ok "kubectl kustomize deploy/kubernetes: $(grep -c '^kind:' "$good/rendered.yaml") objects ($(grep '^kind:' "$good/rendered.yaml" | sort | uniq -c | awk '{ printf "%s%s %s", sep, $1, $3; sep = ", " }'))"
	ok "schema: $(grep -c '^schema ok' "$good/schema.log") objects valid"
	ok "fields: $(grep -c '^fields ok' "$good/fields.log") objects without an unknown field"
	ok "policy: $(grep -c '^policy ok' "$good/policy.log") workloads non-root, read-only, no capability, requests, probes, built images"
	ok "--check-config on the ConfigMap's gateway.conf: $(cat "$good/check-config.log")"
	ok "upstreams: $(grep -c '^upstream ok' "$good/upstreams.log") match a Service and its port"
	diag <"$good/upstreams.log"
else
	not_ok "deploy/kubernetes fails check $result (${names[$result]})"
	diag <"$work/why"
fi

# --- each check fails once, on manifests broken for it ---------------------------
# break NUMBER WHAT FILE SED-EXPRESSION EXPECTED: a copy with FILE edited must fail
# check NUMBER, saying EXPECTED
break_once()
{
	local number=$1 what=$2 file=$3 expression=$4 expected=$5 copy result
	copy=$work/broken-$((n + 1))
	cp -r "$source_root/deploy/kubernetes" "$copy"
	sed -i "$expression" "$copy/$file"
	if cmp -s "$copy/$file" "$source_root/deploy/kubernetes/$file"; then
		not_ok "broken $what: the edit of $file changed nothing"
		return
	fi
	checks "$copy" "$copy.out" >"$copy.why" 2>&1
	result=$?
	if [ $result = "$number" ] && grep -q -- "$expected" "$copy.why"; then
		ok "broken $what: ${names[$number]} refuses it: $(grep -m1 -- "$expected" "$copy.why" | cut -c1-160)"
	else
		not_ok "broken $what: expected check $number (${names[$number]}) to fail with “$expected”, got check $result"
		diag <"$copy.why"
	fi
}
break_once 1 "a resource that is not there" kustomization.yaml \
	's/^  - world.yaml$/  - wrold.yaml/' "wrold.yaml"
break_once 2 "a port that is not a number" hello.yaml \
	's/containerPort: 8080/containerPort: eighty/' "containerPort must be integer"
break_once 3 "a misspelt field (readOnlyRootFileSystem)" gateway.yaml \
	's/readOnlyRootFilesystem:/readOnlyRootFileSystem:/' "readOnlyRootFileSystem\"' does not exist in type 'SecurityContext'"
break_once 4 "a container that may escalate privileges" calculator.yaml \
	's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/' "allowPrivilegeEscalation is not false"
break_once 4 "an image no target of the Containerfile builds" world.yaml \
	's/image: microsoup-world/image: microsoup-wrold/' "image microsoup-wrold is not microsoup-TARGET"
break_once 5 "an unknown key in gateway.conf" gateway.conf \
	's/^timeout_ms = 5000$/timeout_ms = 5000\nretries = 3/' "retries"
break_once 6 "an upstream with no Service" gateway.conf \
	's|^upstream = http://world:8080$|upstream = http://wrold:8080|' "no Service named wrold"
break_once 6 "an upstream on a port its Service lacks" gateway.conf \
	's|^upstream = http://hello:8080$|upstream = http://hello:9090|' "has no port 9090"
break_once 6 "a unix: upstream" gateway.conf \
	's|^upstream = http://goodbye:8080$|upstream = unix:/run/microsoup/goodbye.sock|' "not http://SERVICE:PORT"

exit $failed
