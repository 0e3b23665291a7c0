"""Lexical checks made before clingo sees a text.

`#include "path".` reads arbitrary files (their content shows up in models and error messages)
and `#script` runs code where scripting is enabled: both are refused, wherever clingo could see
them as code. What is code is decided by lexing comments and strings exactly as clingo 5.8 does
(libgringo/src/input/nongroundlexer.xch), so `% never #include here` is fine while a form that
only looks like a comment or a string to a naive reader is not:

- `%*` opens a block comment and block comments nest; inside one, a `%` that does not open a
  nested block starts a line comment, so a `*%` later on that line does not close anything.
- `%` and `#!` start a line comment that ends at `\\n` only (`\\r` is ordinary whitespace).
- A string is `"` followed by characters other than `\\`, `"` and newline, or the escapes
  `\\"`, `\\\\`, `\\n`, up to a closing `"` on the same line. Any other backslash, or a missing
  close, makes the opening `"` a lone (erroneous) character and what follows it code.
- Inside `#theory` definitions clingo has no strings at all, and how long that mode lasts after a
  syntax error depends on the parser: `#theory` is refused too (asp-ft checks plain ASP).

Whatever is not provably a comment or a string counts as code, so any spelling that might become
a directive (`#include`, `# INCLUDE`, `#include` before a non-ASCII letter) is refused.
"""

from __future__ import annotations

import re
from functools import lru_cache

from asp_ft_tui.asp.diagnostics import Diagnostic

_FORBIDDEN = re.compile(r"#\s*(include|script|theory)", re.IGNORECASE)
_REASONS = {
    "include": "asp-ft checks self-contained programs only",
    "script": "asp-ft checks self-contained programs only",
    "theory": "asp-ft checks plain ASP only",
}

# Where something other than code may start, in clingo's normal lexing: `%*` before `%`, as
# clingo takes the longest match.
_OPENERS = re.compile(r'%\*|%|#!|"')
_STRING = re.compile(r'"(?:[^\\"\n]|\\["\\n])*"')
# Inside a block comment: a nested open, a close, or a line comment (again longest match first).
_IN_BLOCK = re.compile(r"%\*|\*%|%")
_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank(text: str) -> str:
    return _NOT_NEWLINE.sub(" ", text)


def _block_end(text: str, start: int) -> int:
    """Where the block comment opened at `start` ends (after its `*%`); -1 if it never does."""
    depth, pos = 1, start + 2
    while True:
        found = _IN_BLOCK.search(text, pos)
        if found is None:
            return -1
        token = found.group()
        if token == "%*":
            depth, pos = depth + 1, found.end()
        elif token == "*%":
            depth, pos = depth - 1, found.end()
            if depth == 0:
                return pos
        else:
            newline = text.find("\n", found.end())
            if newline < 0:
                return -1
            pos = newline + 1


@lru_cache(maxsize=2048)
def _lex(text: str) -> tuple[str, bool]:
    """(`text` with comments and string contents blanked, whether a block comment is left open)."""
    out: list[str] = []
    pos = 0
    while True:
        found = _OPENERS.search(text, pos)
        if found is None:
            out.append(text[pos:])
            return "".join(out), False
        start = found.start()
        out.append(text[pos:start])
        token = found.group()
        if token == '"':
            string = _STRING.match(text, start)
            if string is None:  # a lone quote: clingo reports it and lexes on right after it
                out.append('"')
                pos = start + 1
            else:
                out.append('"' + _blank(text[start + 1 : string.end() - 1]) + '"')
                pos = string.end()
            continue
        if token == "%*":
            end = _block_end(text, start)
            if end < 0:
                out.append(_blank(text[start:]))
                return "".join(out), True
        else:
            end = text.find("\n", start)
            if end < 0:
                end = len(text)
        out.append(_blank(text[start:end]))
        pos = end


def code_only(text: str) -> str:
    """`text` with comments and string contents replaced by spaces (same length, newlines kept),
    as clingo lexes them."""
    return _lex(text)[0]


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def forbidden_directives(text: str, *, in_context: bool = False) -> list[Diagnostic]:
    """Errors for everything clingo must not see. With `in_context`, `text` is a context that a
    snippet will follow: one that ends inside a block comment is refused, since clingo would lex
    the snippet's start as comment and the snippet, checked on its own, was not lexed that way."""
    found = []
    nul = text.find("\x00")
    if nul >= 0:
        line, column = _position(text, nul)
        # clingo stops reading at a NUL: whatever follows would go unchecked.
        found.append(Diagnostic("error", "forbidden", "a NUL character: clingo would ignore everything after it",
                                line, column, line, column + 1, in_context=in_context))
    code, open_block = _lex(text)
    for match in _FORBIDDEN.finditer(code):
        line, column = _position(code, match.start())
        name = match.group(1).lower()
        found.append(Diagnostic("error", "forbidden", f"#{name} is not allowed: {_REASONS[name]}",
                                line, column, line, column + match.end() - match.start(), in_context=in_context))
    if in_context and open_block:
        line, column = _position(text, len(text))
        found.append(Diagnostic("error", "forbidden", "the context ends inside a block comment (%* without *%)",
                                line, column, line, column, in_context=True))
    return found
