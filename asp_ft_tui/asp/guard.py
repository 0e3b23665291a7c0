"""Lexical checks made before clingo sees a text.

`#include "path".` reads arbitrary files (their content shows up in models and error messages)
and `#script` runs code where scripting is enabled: both are refused, wherever they appear in
code. Comments and strings are blanked first so that `% never #include here` is fine.
"""

from __future__ import annotations

import re

from asp_ft_tui.asp.diagnostics import Diagnostic

_FORBIDDEN = re.compile(r"#\s*(include|script)\b")


def code_only(text: str) -> str:
    """`text` with comments and string contents replaced by spaces (same length, newlines kept)."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "%":
            if text.startswith("%*", i):
                end = text.find("*%", i + 2)
                end = n if end < 0 else end + 2
            else:
                end = text.find("\n", i)
                end = n if end < 0 else end
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out)


def forbidden_directives(text: str, *, in_context: bool = False) -> list[Diagnostic]:
    found = []
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
