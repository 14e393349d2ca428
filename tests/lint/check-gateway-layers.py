#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The gateway's dependency rule, checked on its #include lines.

A file under src/gateway/<layer>/ may include the gateway's own headers only from the
layers its rule allows (RULES below), and no two files may need each other: a file's
includes of the gateway's headers name the .c files it calls, and that graph has no
cycle. Prints each breach and exits 1 when there is one.
"""
import os
import re
import sys

# layer → the layers its files may include: dependencies point inward, and one adapter
# uses no other but the HTTP/1.1 parser and the events; first match wins
RULES = [
    ("core", ["core"]),
    ("ports", ["core", "ports"]),
    ("service", ["core", "ports", "service"]),
    ("adapters/http1", ["core", "adapters/http1"]),
    # a worker's epoll events: the client and the upstream connections share one set
    ("adapters/events", ["adapters/events"]),
    ("adapters/front", ["core", "ports", "service", "adapters/front", "adapters/http1", "adapters/events"]),
    ("adapters/upstream", ["core", "ports", "service", "adapters/upstream", "adapters/http1", "adapters/events"]),
    ("adapters/telemetry", ["core", "ports", "service", "adapters/telemetry"]),
    ("adapters/config", ["core", "ports", "service", "adapters/config"]),
]
# what core may use from outside the gateway: GLib-only headers
CORE_OUTSIDE = {"common/ms-i18n.h", "common/ms-http-header.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^">]+)[">]', re.M)


def layer_of(rel):
    for layer, _ in RULES:
        if rel == layer or rel.startswith(layer + "/"):
            return layer
    return None


def main(root):
    gateway = os.path.join(root, "src", "gateway")
    breaches = []
    graph = {}
    for dirpath, _, names in os.walk(gateway):
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, gateway)
            layer = layer_of(os.path.dirname(rel))
            if layer is None:
                continue
            allowed = dict(RULES)[layer]
            with open(path, encoding="utf-8") as f:
                includes = INCLUDE.findall(f.read())
            unit = rel[:-2]
            for inc in includes:
                if inc.startswith("gateway/"):
                    target = inc[len("gateway/"):]
                    target_layer = layer_of(os.path.dirname(target))
                    if target_layer is None or not any(
                        target_layer == a or target_layer.startswith(a + "/") for a in allowed
                    ):
                        breaches.append(f"{rel}: includes {inc} ({target_layer} is not below {layer})")
                    if target[:-2] != unit:
                        graph.setdefault(unit, set()).add(target[:-2])
                elif layer == "core" and (
                    inc.startswith("libsoup/") or inc.startswith("json-glib/")
                    or inc.startswith("gio/gunix") or inc.startswith("glib-unix")
                    or (inc.startswith("common/") and inc not in CORE_OUTSIDE)
                ):
                    breaches.append(f"{rel}: core includes {inc}")
    # a header and its .c are one unit: fold foo.h's edges into foo
    cycles = find_cycles(graph)
    for cycle in cycles:
        breaches.append("cycle: " + " -> ".join(cycle))
    for breach in breaches:
        print(breach)
    return 1 if breaches else 0


def find_cycles(graph):
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif state.get(nxt) is None:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node)
    return cycles


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
