#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every string a client reads is marked for translation.

A problem's title and detail, and the message of an error that becomes a detail,
reach the client in its language only when the English text is marked with N_()
(xgettext collects it, po/th.po translates it) and looked up for the request's
language. An English literal passed straight in is English in every language, and
check-po.sh, which only sees marked strings, cannot tell. This finds them:

- the title and detail arguments of the problem builders (ms_problem_*), and the
  message of ms_i18n_set_error(), must not be bare string literals;
- a .title or .detail field must not be set to a bare literal;
- in src/core and src/handlers, whose errors are what handlers answer with,
  g_set_error(), g_set_error_literal() and g_task_return_new_error() must not be
  given a literal message: use ms_i18n_set_error() with N_().

usage: check-marked.py SOURCE_ROOT [FILE...]   (default: every src/**/*.c)
"""
import pathlib
import re
import sys

# function → the 0-based positions of its arguments a client reads
CLIENT_TEXT = {
    "ms_problem_new": (2, 3),
    "ms_problem_new_for_request": (3, 4),
    "ms_problem_new_translated": (3, 4),
    "ms_problem_send": (3, 4),
    "ms_problem_sendf": (3, 4),
    "ms_i18n_set_error": (4,),
}
# function → the position of its message, in the layers whose errors clients read
ERROR_TEXT = {
    "g_set_error": 3,
    "g_set_error_literal": 3,
    "g_task_return_new_error": 3,
}
CLIENT_FACING = ("src/core/", "src/handlers/")


def literal_end(text, start):
    """Just past the string or character literal that starts at start."""
    quote = text[start]
    i = start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return i + 1


def strip_comments(text):
    """Comments become spaces (line numbers stay); strings stay as they are."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = literal_end(text, i)
            out.append(text[i:j])
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = len(text) if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = len(text) if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_arguments(text, start):
    """The top-level arguments of the call whose "(" is at start, or None."""
    depth = 0
    args = []
    current = start + 1
    i = start
    while i < len(text):
        c = text[i]
        if c in "\"'":
            i = literal_end(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[current:i].strip())
                return args
        elif c == "," and depth == 1:
            args.append(text[current:i].strip())
            current = i + 1
        i += 1
    return None


def is_literal(argument):
    """A bare string literal, or several pasted together: English, never translated."""
    return re.fullmatch(r'(\s*"(?:[^"\\]|\\.)*"\s*)+', argument) is not None


def check(root, path):
    rel = path.relative_to(root).as_posix()
    text = strip_comments(path.read_text(encoding="utf-8"))
    found = []
    wanted = dict((name, positions) for name, positions in CLIENT_TEXT.items())
    if rel.startswith(CLIENT_FACING):
        wanted.update((name, (position,)) for name, position in ERROR_TEXT.items())
    # tables of problems set by field
    for match in re.finditer(r'\.(title|detail)\s*=\s*("(?:[^"\\]|\\.)*")', text):
        line = text.count("\n", 0, match.start()) + 1
        found.append(f"{rel}:{line}: .{match.group(1)} = {match.group(2)} is unmarked: "
                     "mark it with N_()")
    for match in re.finditer(r"\b(\w+)\s*\(", text):
        positions = wanted.get(match.group(1))
        if positions is None:
            continue
        args = call_arguments(text, match.end() - 1)
        if args is None:
            continue
        for position in positions:
            if position < len(args) and is_literal(args[position]):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{rel}:{line}: {match.group(1)}() is given {args[position]}, "
                             "which no client reads in its language: mark it with N_()"
                             + (" and set it with ms_i18n_set_error()"
                                if match.group(1) in ERROR_TEXT else ""))
    return found


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    files = ([pathlib.Path(f).resolve() for f in sys.argv[2:]] or
             sorted((root / "src").rglob("*.c")))
    found = [problem for path in files for problem in check(root, path)]
    for problem in found:
        print("not ok:", problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
