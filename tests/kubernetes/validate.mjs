// SPDX-License-Identifier: LGPL-2.1-or-later
//
// node validate.mjs CHECK RENDERED.yaml [ARG]
//
// Checks the output of `kubectl kustomize deploy/kubernetes` offline, with the
// packages package.json pins (kubernetes-test.sh installs them):
//   schema      every object against the Kubernetes API's schema (kubernetes-models:
//               types, required fields, formats)
//   fields      no field the API does not know: each object becomes a TypeScript
//               literal of its kubernetes-types type, and tsc rejects an unknown
//               property at any depth (a schema's additionalProperties: false)
//   policy      every pod as the README promises (the restricted Pod Security
//               profile and more): non-root, seccomp RuntimeDefault, read-only root,
//               no privilege escalation, ALL capabilities dropped, resource requests,
//               liveness and readiness probes, and an image that is a target of the
//               Containerfile ARG (microsoup-TARGET)
//   gateway-conf  writes the gateway ConfigMap's gateway.conf to ARG
//   upstreams   every http:// upstream in that gateway.conf (ARG) names a Service
//               of the manifests and one of its ports; no unix: upstream
// Prints one line per object or upstream checked; exits 1 at the first check
// that finds something wrong, with what and where.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const [check, renderedPath, arg] = process.argv.slice(2);
const objects = parseAllDocuments(readFileSync(renderedPath, "utf8"))
	.map((document) => {
		if (document.errors.length > 0)
			fail(`${renderedPath}: ${document.errors[0].message}`);
		return document.toJS();
	})
	.filter((object) => object !== null);

function fail(message) {
	console.error(message);
	process.exit(1);
}

function label(object) {
	return `${object.kind}/${object.metadata?.name}`;
}

// "apps/v1" → "apps/v1", "v1" → "v1": where both packages keep a kind
function groupVersion(object) {
	return object.apiVersion.includes("/") ? object.apiVersion : `v1`;
}

async function checkSchema() {
	for (let object of objects) {
		let module;
		try {
			module = await import(`kubernetes-models/${groupVersion(object)}/${object.kind}`);
		} catch {
			fail(`${label(object)}: no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
		}
		// kustomize wraps a Secret's base64 at 76 columns; the API server's decoder
		// skips the newlines, the schema's "byte" format does not
		if (object.kind === "Secret" && object.data)
			object = { ...object, data: Object.fromEntries(Object.entries(object.data)
				.map(([key, value]) => [key, value.replace(/\s/g, "")])) };
		try {
			new module[object.kind](object).validate();
		} catch (error) {
			fail(`${label(object)}: ${error.message}`);
		}
		console.log(`schema ok: ${label(object)}`);
	}
}

// kubernetes-types keeps core/v1 under core/, the others under their group
function typesModule(object) {
	const [group, version] = object.apiVersion.includes("/")
		? object.apiVersion.split("/")
		: ["core", object.apiVersion];
	return `kubernetes-types/${group.replace(/\.k8s\.io$/, "")}/${version}`;
}

function checkFields() {
	// beside node_modules, where tsc finds kubernetes-types
	const dir = mkdtempSync(join(dirname(fileURLToPath(import.meta.url)), "fields-"));
	const lines = [];
	const owner = []; // line number → object
	const modules = new Map();
	for (const object of objects) {
		const module = typesModule(object);
		if (!modules.has(module))
			modules.set(module, `m${modules.size}`);
	}
	for (const [module, alias] of modules)
		lines.push(`import type * as ${alias} from "${module}";`);
	objects.forEach((object, i) => {
		const text = `export const o${i}: ${modules.get(typesModule(object))}.${object.kind} = ${JSON.stringify(object, null, 2)};`;
		for (const line of text.split("\n")) {
			owner[lines.length] = object;
			lines.push(line);
		}
	});
	const file = join(dir, "manifests.ts");
	writeFileSync(file, lines.join("\n") + "\n");
	const require = createRequire(import.meta.url);
	const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
	try {
		execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--skipLibCheck", file],
			{ encoding: "utf8" });
	} catch (error) {
		// manifests.ts(LINE,COL): error TS...: the object that line belongs to
		const messages = `${error.stdout}`.split("\n").filter((l) => l.includes("error TS"));
		for (const message of messages) {
			const line = Number(/\((\d+),/.exec(message)?.[1] ?? 0) - 1;
			const object = owner[line];
			console.error(`${object ? label(object) : "?"}: ${message.replace(/^.*error /, "")}`);
		}
		rmSync(dir, { recursive: true });
		fail(`${messages.length} unknown or mistyped field(s)`);
	}
	rmSync(dir, { recursive: true });
	for (const object of objects)
		console.log(`fields ok: ${label(object)}`);
}

function checkPolicy() {
	const targets = [...readFileSync(arg, "utf8").matchAll(/^FROM scratch AS (\S+)$/gm)].map((m) => m[1]);
	const workloads = objects.filter((o) => ["Deployment", "StatefulSet"].includes(o.kind));
	if (workloads.length === 0)
		fail("no Deployment or StatefulSet");
	for (const workload of workloads) {
		const pod = workload.spec.template.spec;
		const problems = [];
		if (pod.securityContext?.runAsNonRoot !== true)
			problems.push("securityContext.runAsNonRoot is not true");
		if (pod.securityContext?.seccompProfile?.type !== "RuntimeDefault")
			problems.push("securityContext.seccompProfile.type is not RuntimeDefault");
		for (const container of pod.containers) {
			const where = `container ${container.name}`;
			const context = container.securityContext ?? {};
			if (context.readOnlyRootFilesystem !== true)
				problems.push(`${where}: readOnlyRootFilesystem is not true`);
			if (context.allowPrivilegeEscalation !== false)
				problems.push(`${where}: allowPrivilegeEscalation is not false`);
			if (!(context.capabilities?.drop ?? []).includes("ALL"))
				problems.push(`${where}: capabilities.drop lacks ALL`);
			if (!container.resources?.requests?.cpu || !container.resources?.requests?.memory)
				problems.push(`${where}: no cpu and memory requests`);
			if (!container.livenessProbe || !container.readinessProbe)
				problems.push(`${where}: no liveness or no readiness probe`);
			const image = /^microsoup-([a-z]+)(:[\w.-]+)?$/.exec(container.image);
			if (!image || !targets.includes(image[1]))
				problems.push(`${where}: image ${container.image} is not microsoup-TARGET for a target of ${arg} (${targets.join(", ")})`);
		}
		if (problems.length > 0)
			fail(`${label(workload)}: ${problems.join("; ")}`);
		console.log(`policy ok: ${label(workload)}`);
	}
}

function gatewayConfigMap() {
	const maps = objects.filter((o) => o.kind === "ConfigMap" && o.data?.["gateway.conf"] !== undefined);
	if (maps.length !== 1)
		fail(`expected one ConfigMap with a gateway.conf, found ${maps.length}`);
	return maps[0];
}

// http://NAME:PORT, NAME a Service's name alone or NAME.NAMESPACE.svc[.cluster.local]
function checkUpstreams() {
	const services = new Map(objects.filter((o) => o.kind === "Service")
		.map((o) => [o.metadata.name, o.spec.ports.map((p) => p.port)]));
	const text = readFileSync(arg, "utf8");
	let n = 0;
	text.split("\n").forEach((line, i) => {
		const match = /^\s*upstream\s*=\s*(.*?)\s*$/.exec(line);
		if (!match)
			return;
		for (const upstream of match[1].split(",").map((u) => u.trim())) {
			const where = `${arg}:${i + 1}: ${upstream}`;
			const http = /^http:\/\/([^/:]+):(\d+)\/?$/.exec(upstream);
			if (!http)
				fail(`${where}: not http://SERVICE:PORT (a pod shares no unix socket with the gateway)`);
			const name = http[1].replace(/\.[a-z0-9-]+\.svc(\.cluster\.local)?$/, "");
			if (!services.has(name))
				fail(`${where}: no Service named ${name} (Services: ${[...services.keys()].join(", ")})`);
			if (!services.get(name).includes(Number(http[2])))
				fail(`${where}: Service ${name} has no port ${http[2]} (ports: ${services.get(name).join(", ")})`);
			console.log(`upstream ok: ${upstream} is Service ${name} port ${http[2]}`);
			n++;
		}
	});
	if (n === 0)
		fail(`${arg}: no upstream`);
}

switch (check) {
case "schema":
	await checkSchema();
	break;
case "fields":
	checkFields();
	break;
case "policy":
	checkPolicy();
	break;
case "gateway-conf":
	writeFileSync(arg, gatewayConfigMap().data["gateway.conf"]);
	console.log(`ConfigMap/${gatewayConfigMap().metadata.name}: gateway.conf written to ${arg}`);
	break;
case "upstreams":
	checkUpstreams();
	break;
default:
	fail(`usage: validate.mjs schema|fields|policy|gateway-conf|upstreams RENDERED.yaml [FILE]`);
}
