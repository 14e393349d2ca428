#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every reference the documentation makes must resolve inside this repository.

In README.md, docs/ (the guide in every language, docs/architecture.md and the
notes) and src/gateway/README.md:
- a relative Markdown link names a file that exists, and its #anchor a heading
  of that file;
- a repository path written out (src/..., tests/..., `README.md`) exists; a
  path with a placeholder (NAME, <name>, {a,b}) is a pattern and is skipped, a
  glob (units/*.conf.in) must match something;
- every `meson test` command names suites and tests that exist, and never both
  (meson would run only the tests that are named and in the suite: usually none).
A file or test an exercise has the reader create is declared in the document
with <!-- new: PATH ... --> or <!-- new-tests: NAME ... --> (tests or suites)
and is not checked.

In the whole source tree: no comment or document points outside the
repository. A relative path (../x) leads, from its file, to something in the
tree; the one thing outside it a file may name is what dpkg-buildpackage writes
beside the tree (../microsoup_*.deb). No design-document section is cited, and
no "issue N".

usage: check-doc-references.py SOURCE_ROOT BUILD_ROOT
Prints TAP.
"""

import glob
import json
import os
import re
import shlex
import sys
import unicodedata

SOURCE_ROOT, BUILD_ROOT = sys.argv[1], sys.argv[2]

DOC_GLOBS = ["README.md", "docs/**/*.md", "src/gateway/README.md"]
# what a written-out repository path starts with
TOP_DIRS = ("src", "tests", "tools", "units", "docs", "data", "po", "debian", ".ci")
TOP_FILES = ("README.md", "meson.build", "meson_options.txt", "COPYING", ".clang-format",
             "components.txt")
PATH_RE = re.compile(
    r"(?<![\w./@~$-])((?:%s)/[\w.@*+-]+(?:/[\w.@*+-]+)*/?|(?:%s)(?![\w.-]))"
    % ("|".join(re.escape(d) for d in TOP_DIRS), "|".join(re.escape(f) for f in TOP_FILES))
)
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
NEW_RE = re.compile(r"<!--\s*new:\s*(.*?)-->", re.S)
NEW_TESTS_RE = re.compile(r"<!--\s*new-tests:\s*(.*?)-->", re.S)
MESON_TEST_RE = re.compile(r"meson test\b([^`\n]*)")
# meson test options that take a value
VALUE_OPTIONS = {"-C", "--suite", "--no-suite", "--setup", "--num-processes", "-j",
                 "--repeat", "--wrapper", "--timeout-multiplier", "-t", "--test-args",
                 "--logbase", "--max-lines"}
# where the whole tree must not point outside itself
FORBIDDEN = [
    (re.compile(r"\bDESIGN(?:\.md|\s*§|\b)"), "cites a DESIGN document outside the repository"),
    (re.compile(r"\b[Ii]ssues?\s+#?\d+"), "cites an issue number"),
]
# a relative path climbing from its file, not part of a longer path or a variable
RELATIVE_RE = re.compile(r"(?<![\w./$@~%-])((?:\.\./)+[A-Za-z_][\w.@+-]*(?:/[\w.@+-]+)*)")
# what dpkg-buildpackage writes in the directory above the tree
BESIDE_TREE_RE = re.compile(r"\.\./microsoup[\w.+~-]*\.(?:deb|changes|buildinfo)")
SCAN_DIRS = ("src", "tests", "tools", "units", "docs", "data", "po", "debian", ".ci")
SCAN_SUFFIXES = (".c", ".h", ".md", ".py", ".sh", ".in", ".build", ".txt", ".conf",
                 ".socket", ".service", ".target", ".catalog", ".supp", ".po", ".pot",
                 ".1", ".5", ".7", ".8", "")

results = []


def report(ok, what, detail=None):
    results.append((ok, what, detail))


def slug(heading):
    """GitHub's anchor for a heading: letters, marks, digits, - and _ kept, spaces to -."""
    heading = re.sub(r"[`*_]{1,2}(?=\S)|(?<=\S)[`*_]{1,2}", "", heading.strip()).lower()
    kept = []
    for ch in heading:
        cat = unicodedata.category(ch)
        if ch in " -_" or cat[0] in "LMN":
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        seen = {}
        found = set()
        in_code = False
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("```"):
                    in_code = not in_code
                m = None if in_code else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
                if m:
                    s = slug(m.group(1))
                    n = seen.get(s, 0)
                    seen[s] = n + 1
                    found.add(s if n == 0 else "%s-%d" % (s, n))
        cache[path] = found
    return cache[path]


def is_pattern(path):
    return bool(re.search(r"[<>{}]|\.\.\.|\b[A-Z]{2,}[A-Z0-9_]*\b", path)) and not any(
        path == f or path.endswith("/" + f) for f in TOP_FILES
    )


def repo_path_exists(path):
    full = os.path.join(SOURCE_ROOT, path)
    if "*" in path:
        return bool(glob.glob(full))
    return os.path.exists(full)


def load_tests():
    with open(os.path.join(BUILD_ROOT, "meson-info", "intro-tests.json")) as f:
        tests = json.load(f)
    names = {t["name"] for t in tests}
    suites = set()
    for t in tests:
        for s in t["suite"]:
            suites.add(s)
            suites.add(s.split(":", 1)[-1])
            suites.update(s.split(":", 1)[-1].split("+"))
    return names, suites


def join_inline_code(text):
    """An inline code span may wrap in the Markdown source: one line each, for the regexes."""
    parts = re.split(r"(^```.*?^```[^\n]*$)", text, flags=re.S | re.M)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"`[^`]+`", lambda m: m.group(0).replace("\n", " "), parts[i])
    return "".join(parts)


def check_meson_tests(doc, text, test_names, suites, new_tests):
    for m in MESON_TEST_RE.finditer(join_inline_code(text)):
        args = m.group(1)
        args = re.split(r"\s(?:#|&&|\|\||\||;)", args)[0]
        try:
            words = shlex.split(args)
        except ValueError:
            words = args.split()
        i = 0
        has_suite = has_name = False
        while i < len(words):
            w = words[i]
            value = None
            if w in VALUE_OPTIONS:
                value = words[i + 1] if i + 1 < len(words) else ""
                i += 2
            elif w.startswith("--") and "=" in w:
                w, value = w.split("=", 1)
                i += 1
            else:
                i += 1
            if w in ("--suite", "--no-suite"):
                has_suite |= w == "--suite"
                if value in new_tests:
                    continue
                ok = value in suites or value.split(":", 1)[-1] in suites
                report(ok, "%s: meson test suite %s exists" % (doc, value))
            elif value is None and not w.startswith("-") and w not in ("build",):
                has_name = True
                name = w.split(":", 1)[-1] if ":" in w else w
                if name in new_tests:
                    continue
                report(name in test_names, "%s: meson test %s exists" % (doc, name))
        if has_suite and has_name:
            # meson runs the tests that are both named and in the suite: usually none
            report(False, "%s: `meson test%s` names tests and a --suite" % (doc, args.rstrip()))


def check_doc(doc, test_names, suites):
    path = os.path.join(SOURCE_ROOT, doc)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    new_paths = set()
    for m in NEW_RE.finditer(text):
        new_paths.update(m.group(1).split())
    new_tests = set()
    for m in NEW_TESTS_RE.finditer(text):
        new_tests.update(m.group(1).split())
    doc_dir = os.path.dirname(path)

    checked = set()
    for m in LINK_RE.finditer(text):
        target = m.group(1)
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # https:, man:, mailto:
        file_part, _, frag = target.partition("#")
        target_path = os.path.normpath(os.path.join(doc_dir, file_part)) if file_part else path
        rel = os.path.relpath(target_path, SOURCE_ROOT)
        if rel in new_paths or (doc, target) in checked:
            continue
        checked.add((doc, target))
        exists = os.path.exists(target_path) and not rel.startswith("..")
        report(exists, "%s: link %s resolves" % (doc, target), None if exists else rel)
        if exists and frag and target_path.endswith(".md"):
            report(frag in anchors(target_path), "%s: link %s names a heading" % (doc, target))

    # paths written out, outside links' targets
    prose = LINK_RE.sub(lambda m: m.group(0).split("](")[0], text)
    prose = NEW_RE.sub("", prose)
    for m in PATH_RE.finditer(prose):
        p = m.group(1).rstrip(".")
        if p in new_paths or p.rstrip("/") in new_paths or is_pattern(p) or (doc, p) in checked:
            continue
        checked.add((doc, p))
        report(repo_path_exists(p), "%s: path %s exists" % (doc, p))

    check_meson_tests(doc, text, test_names, suites, new_tests)


def relative_path_problem(rel, path):
    """Why @path, written in the file @rel, leads nowhere; None when it is fine."""
    target = os.path.normpath(os.path.join(os.path.dirname(rel), path))
    if target == ".." or target.startswith(".." + os.sep):
        if BESIDE_TREE_RE.fullmatch(path):
            return None
        return "points at %s, outside the repository" % path
    if not os.path.exists(os.path.join(SOURCE_ROOT, target)):
        return "points at %s, which is not in the repository" % path
    return None


def check_forbidden():
    # this file names what it looks for
    me = os.path.join("tests", "docs", os.path.basename(__file__))
    files = [f for f in TOP_FILES if os.path.isfile(os.path.join(SOURCE_ROOT, f))]
    for top in SCAN_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(SOURCE_ROOT, top)):
            dirnames[:] = [d for d in dirnames if d not in ("corpus", ".git")]
            for name in filenames:
                if os.path.splitext(name)[1] in SCAN_SUFFIXES:
                    files.append(os.path.relpath(os.path.join(dirpath, name), SOURCE_ROOT))
    bad = []
    for rel in sorted(files):
        if rel == me:
            continue
        try:
            with open(os.path.join(SOURCE_ROOT, rel), encoding="utf-8") as f:
                lines = f.readlines()
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(lines, 1):
            for rx, why in FORBIDDEN:
                if rx.search(line):
                    bad.append("%s:%d: %s: %s" % (rel, n, why, line.strip()))
            for m in RELATIVE_RE.finditer(line):
                why = relative_path_problem(rel, m.group(1).rstrip("."))
                if why is not None:
                    bad.append("%s:%d: %s: %s" % (rel, n, why, line.strip()))
    report(not bad, "no file points outside the repository (%d files)" % len(files),
           "\n".join(bad) if bad else None)


def main():
    test_names, suites = load_tests()
    docs = sorted({d for g in DOC_GLOBS
                   for d in (os.path.relpath(p, SOURCE_ROOT)
                             for p in glob.glob(os.path.join(SOURCE_ROOT, g), recursive=True))})
    for doc in docs:
        check_doc(doc, test_names, suites)
    check_forbidden()

    print("1..%d" % len(results))
    failed = False
    for i, (ok, what, detail) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
        if not ok and detail:
            for line in detail.splitlines():
                print("# " + line)
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
