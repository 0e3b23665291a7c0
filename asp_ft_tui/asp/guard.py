"""Lexical checks made before clingo sees a text.

`#include "path".` reads arbitrary files (their content shows up in models and error messages)
and `#script` runs code where scripting is enabled: both are refused, wherever they appear in
code. Comments and strings are blanked first so that `% never #include here` is fine.
"""

from __future__ import annotations

import re
from functools import lru_cache

from asp_ft_tui.asp.diagnostics import Diagnostic

_FORBIDDEN = re.compile(r"#\s*(include|script)\b")


_COMMENT_OR_STRING = re.compile(r'%\*.*?(?:\*%|\Z)|%[^\n]*|"(?P<inner>(?:\\.|[^"\\\n])*)(?P<close>"?)', re.DOTALL)
_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank(match: re.Match) -> str:
    if match.group("inner") is not None:
        return '"' + _NOT_NEWLINE.sub(" ", match.group("inner")) + match.group("close")
    return _NOT_NEWLINE.sub(" ", match.group(0))


@lru_cache(maxsize=2048)
def code_only(text: str) -> str:
    """`text` with comments and string contents replaced by spaces (same length, newlines kept)."""
    return _COMMENT_OR_STRING.sub(_blank, text)


def forbidden_directives(text: str, *, in_context: bool = False) -> list[Diagnostic]:
    found = []
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        column = nul - (text.rfind("\n", 0, nul) + 1) + 1
        # clingo stops reading at a NUL: whatever follows would go unchecked.
        found.append(Diagnostic("error", "forbidden", "a NUL character: clingo would ignore everything after it",
                                line, column, line, column + 1, in_context=in_context))
    code = code_only(text)
    for match in _FORBIDDEN.finditer(code):
        line = code.count("\n", 0, match.start()) + 1
        column = match.start() - (code.rfind("\n", 0, match.start()) + 1) + 1
        name = match.group(1)
        found.append(
            Diagnostic(
                severity="error",
                kind="forbidden",
                message=f"#{name} is not allowed: asp-ft checks self-contained programs only",
                line=line,
                column=column,
                end_line=line,
                end_column=column + match.end() - match.start(),
                in_context=in_context,
            )
        )
    return found
