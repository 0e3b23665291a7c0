"""Diagnostics from clingo, mapped onto the snippet's own lines, and the one canonical error text.

clingo reports every problem through its logger (or stderr) as
`<block>:L:C1-C2: error: message` (columns are 1-based byte offsets, end exclusive), with
continuation lines and `note:` lines. `parse_messages` turns that into `Diagnostic`s whose lines
and columns count in the snippet (context lines prepended for validation are subtracted, byte
columns become character columns). `canonical_error_text` is the text that `asp-ft check`
prints, that the teacher's repair prompt gets and that repair samples store.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")

# clingo says "info" for these; for generated code they nearly always mean a typo or a slip.
_WARNING_KINDS = {
    "atom does not occur in any rule head": "atom-undefined",
    "operation undefined": "operation-undefined",
    "global variable in tuple of aggregate element": "global-variable",
}
_HEADER = re.compile(
    r"^<(?:block|string)>:(?P<line>\d+):(?P<col>\d+)(?:-(?:(?P<end_line>\d+):)?(?P<end_col>\d+))?: "
    r"(?P<severity>error|warning|info|note): (?P<message>.*)$"
)


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    """error, warning or info."""
    kind: str
    """lexer, syntax, unsafe, atom-undefined, operation-undefined, global-variable, forbidden,
    resource-limit, context, worker, encoding (a byte that is not UTF-8), other."""
    message: str
    """clingo's message; continuation lines joined with newlines."""
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Follow-up lines (clingo's `note:` lines), already in canonical form."""
    in_context: bool = False
    """The problem is in the context that was prepended, not in the snippet."""

    def to_dict(self) -> dict:
        return {"severity": self.severity, "kind": self.kind, "message": self.message, "line": self.line,
                "column": self.column, "end_line": self.end_line, "end_column": self.end_column,
                "notes": list(self.notes), "in_context": self.in_context}

    @classmethod
    def from_dict(cls, data: dict) -> "Diagnostic":
        return cls(**{**data, "notes": tuple(data.get("notes", ()))})

    def canonical(self) -> str:
        where = f"{self.line}:{self.column}: " if self.line else ""
        if self.in_context:
            where = f"context:{where}"
        head = f"{where}{self.severity}: {self.message}"
        return "\n".join([head, *self.notes])


def canonical_error_text(diagnostics: list[Diagnostic]) -> str:
    """clingo's own error lines, located in the snippet's lines: the one text used everywhere."""
    return "\n".join(d.canonical() for d in diagnostics if d.severity == "error")


def _kind_of(severity: str, message: str) -> str:
    if message.startswith("lexer error"):
        return "lexer"
    if message.startswith("syntax error"):
        return "syntax"
    if message.startswith("unsafe variables"):
        return "unsafe"
    for prefix, kind in _WARNING_KINDS.items():
        if message.startswith(prefix):
            return kind
    return "other"


def _char_column(line_text: bytes | None, byte_col: int) -> int:
    if line_text is None or byte_col <= 1:
        return byte_col
    return len(line_text[: byte_col - 1].decode("utf-8", "replace")) + 1


def describe_char(char: str) -> str:
    return f"{char} (U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED CHARACTER')})"


def parse_messages(raw: list[bytes], program: bytes, offset: int) -> list[Diagnostic]:
    """clingo messages (raw bytes: they may hold partial UTF-8) -> diagnostics in snippet lines.

    `program` is the full text clingo saw; its first `offset` lines were context.
    """
    if not raw:
        return []
    lines = program.split(b"\n")
    entries: list[dict] = []
    for message in raw:
        for text in message.decode("utf-8", "replace").rstrip("\n").split("\n"):
            match = _HEADER.match(text)
            if match:
                entries.append({**match.groupdict(), "rest": []})
            elif entries and text.strip():
                entries[-1]["rest"].append(text)
    entries = _collapse_progressive(entries)
    out: list[Diagnostic] = []
    for entry in entries:
        line = int(entry["line"])
        end_line = int(entry["end_line"] or line)
        line_bytes = lines[line - 1] if 0 < line <= len(lines) else None
        end_bytes = lines[end_line - 1] if 0 < end_line <= len(lines) else None
        column = _char_column(line_bytes, int(entry["col"]))
        end_column = _char_column(end_bytes, int(entry["end_col"] or entry["col"]))
        message = entry["message"]
        if message.startswith("lexer error, unexpected") and line_bytes is not None:
            message = _name_bad_characters(message, line_bytes, int(entry["col"]), int(entry["end_col"] or 0))
        in_context = line <= offset
        line, end_line = (line, end_line) if in_context else (line - offset, end_line - offset)
        if entry["severity"] == "note" and out:
            prev = out[-1]
            note = f"{line}:{column}: note: {message}"
            out[-1] = Diagnostic(**{**prev.__dict__, "notes": (*prev.notes, note, *entry["rest"])})
            continue
        severity = entry["severity"]
        kind = _kind_of(severity, message)
        if severity == "info":
            severity = "warning" if kind in _WARNING_KINDS.values() else "info"
        full = "\n".join([message, *entry["rest"]])
        out.append(Diagnostic(severity, "context" if in_context and severity == "error" else kind, full,
                              line, column, end_line, end_column, (), in_context))
    return out


def _collapse_progressive(entries: list[dict]) -> list[dict]:
    """clingo reports an unexpected multi-byte token one byte longer each time
    (`1:7-8`, `1:7-9`, `1:7-10`); keep only the longest report of each."""
    out: list[dict] = []
    for entry in entries:
        prev = out[-1] if out else None
        if (
            prev is not None
            and entry["message"].startswith("lexer error")
            and prev["message"].startswith("lexer error")
            and (prev["line"], prev["col"]) == (entry["line"], entry["col"])
        ):
            out[-1] = entry
        else:
            out.append(entry)
    return out


def _name_bad_characters(message: str, line_bytes: bytes, col: int, end_col: int) -> str:
    token = line_bytes[col - 1 : end_col - 1] if end_col > col else b""
    text = token.decode("utf-8", "replace")
    odd = [c for c in text if ord(c) > 127 and c != "\ufffd"]
    if not odd:
        return message
    return f"lexer error, unexpected {', '.join(describe_char(c) for c in odd)}"
