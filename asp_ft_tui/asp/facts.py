"""Plain ground facts found from the text, so that large instances skip clingo.ast's per-node cost.

A large instance is mostly statements like `edge(12,34).`. clingo.ast hands each one to Python as
a node whose every attribute read crosses into C (about 15 µs a fact, where clingo's own parse and
ground of it costs about 8 µs). `split` walks the program's code (comments and string contents
blanked by the guard's lexer, which lexes as clingo does) statement by statement and recognizes
facts of the plainest form, `name.` or `name(t1,...,tn).` with integers, constants and strings as
arguments; every other statement is left to clingo.ast, which parses the program with those facts
taken out (`blank`). `agrees` then checks that clingo found its statements exactly inside the spans the
walk left to it: a walk that cut a statement in the wrong place shows up as a statement crossing
spans, an empty span or a syntax error, and the caller parses the whole program instead.

A single `.` is a statement's end everywhere in clingo's grammar outside theory atoms (`&`, not
walked) except in a weak constraint or heuristic, which the walk takes up to its `[weight]`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from operator import add, and_, methodcaller

# Only forms clingo surely reads as one fact: an identifier that is not the keyword `not`, its `(`
# right after it, integers of at most nine digits (clingo's are 32-bit), constants, and strings
# (blanked in the code the walk reads, so `"` and spaces only). No newline inside a fact.
_NAME = r"_*[a-z][A-Za-z0-9_']*"
_TERM = rf"(?:-?(?:0|[1-9][0-9]{{0,8}})(?![A-Za-z0-9_'])|(?!not\b){_NAME}|\"[ ]*\")"
_STATEMENT = re.compile(
    rf"(?P<lead>\s*)(?:(?P<fact>(?!not\b)(?P<name>{_NAME})"
    rf"(?:\((?P<args>[ \t]*{_TERM}(?:[ \t]*,[ \t]*{_TERM})*)[ \t]*\))?[ \t]*\.(?!\.))"
    # Weak constraints and heuristics end with their [weight] after the dot; all else at the dot.
    r"|(?P<rest>(?::~|#\s*heuristic\b)(?:[^.]|\.\.)*?\.(?!\.)\s*\[[^\]]*\]"
    r"|(?!:~|#\s*heuristic\b)(?:[^.\s]|\.\.)(?:[^.]|\.\.)*?\.(?!\.)))"
)
_TRAILING = re.compile(r"\s*\Z")


@dataclass(frozen=True)
class Split:
    """The plain facts (in columns, by character offset, in program order) and the rest."""

    starts: list[int]
    ends: list[int]
    names: list[str]
    heads: list[str]
    """name/arity"""
    alone: list[bool]
    """Whether a fact has its line to itself."""
    rest: list[tuple[int, int]]
    """(start, end) of every other statement."""

    @property
    def facts(self) -> list[tuple[int, int, str]]:
        """(start, end, name/arity) of each fact."""
        return list(zip(self.starts, self.ends, self.heads))

    def shifted(self, by: int) -> "Split":
        shift = by.__add__
        return Split(list(map(shift, self.starts)), list(map(shift, self.ends)), self.names, self.heads, self.alone,
                     [(start + by, end + by) for start, end in self.rest])

    def __add__(self, other: "Split") -> "Split":
        return Split(self.starts + other.starts, self.ends + other.ends, self.names + other.names,
                     self.heads + other.heads, self.alone + other.alone, self.rest + other.rest)


def split(code: str) -> Split | None:
    """The program's plain facts and the spans of its other statements; None when the walk
    cannot follow the program (theory atoms, a statement without its end)."""
    if "&" in code:
        return None
    starts: list[int] = []
    ends: list[int] = []
    names: list[str] = []
    arguments: list[str] = []
    rest: list[tuple[int, int]] = []
    pos = 0
    # A scanner matches statement after statement where the last one ended and stops at the
    # first place it cannot go on: linear even in hostile text (findall would search onwards).
    step = _STATEMENT.scanner(code).match
    while (match := step()) is not None:
        lead, fact, name, args, other = match.groups("")
        pos += len(lead)
        if fact:
            starts.append(pos)
            pos += len(fact)
            ends.append(pos)
            names.append(name)
            arguments.append(args)
        else:
            rest.append((pos, pos + len(other)))
            pos += len(other)
    if not _TRAILING.match(code, pos):
        return None
    # Column-wise in C from here. Strings are blanked, so every comma separates arguments:
    # arity = commas + 1, or 0.
    arities = map(add, map(methodcaller("count", ","), arguments), map(bool, arguments))
    starts_of_lines = set(line_starts(code))
    line_ends = set(map((-1).__add__, starts_of_lines))
    line_ends.add(len(code))
    alone = list(map(and_, map(starts_of_lines.__contains__, starts), map(line_ends.__contains__, ends)))
    return Split(starts, ends, names, list(map("{}/{}".format, names, arities)), alone, rest)


def blank(program: str, starts: list[int], ends: list[int], alone: list[bool]) -> str:
    """`program` without the facts at (starts, ends): clingo's (line, byte column) locations of
    everything else stay those of the program. A fact alone on its line is cut out (its line
    stays, empty); one sharing its line becomes spaces, one per UTF-8 byte."""
    if all(alone):
        return "".join(map(program.__getitem__, map(slice, [0, *ends], [*starts, len(program)])))
    pieces: list[str] = []
    pos = 0
    for start, end, cut in zip(starts, ends, alone):
        pieces.append(program[pos:start])
        if not cut:
            text = program[start:end]
            pieces.append(" " * (end - start if text.isascii() else len(text.encode("utf-8"))))
        pos = end
    pieces.append(program[pos:])
    return "".join(pieces)


def line_starts(text: str) -> list[int]:
    """The offset where each line of `text` starts (computed in C)."""
    return list(accumulate(map((1).__add__, map(len, text.split("\n")[:-1])), initial=0))


class Positions:
    """Character offsets to clingo's 0-based (line, byte column)."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.starts = line_starts(program)
        self.ascii = program.isascii()

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        return line, offset - start if self.ascii else len(self.program[start:offset].encode("utf-8"))


def agrees(located: list[tuple[tuple[int, int], tuple[int, int]]], rest: list[tuple[int, int]],
           positions: Positions) -> bool:
    """Does every (begin, end) clingo located lie inside one rest span, and every span hold one?"""
    spans = [(positions.at(start), positions.at(end)) for start, end in rest]
    begins = [begin for begin, _ in spans]
    used = [False] * len(spans)
    for begin, end in located:
        index = bisect_right(begins, begin) - 1
        if index < 0 or end > spans[index][1]:
            return False
        used[index] = True
    return all(used)
