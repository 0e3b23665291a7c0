"""Plain ground facts found from the text, so that large instances skip clingo.ast's per-node cost.

A large instance is mostly statements like `edge(12,34).`. clingo.ast hands each one to Python as
a node whose every attribute read crosses into C (about 10 µs a fact, where clingo's own parse and
ground of it costs about 8 µs). `split` walks the program's code (comments and string contents
blanked by the guard's lexer, which lexes as clingo does) statement by statement and recognizes
facts of the plainest form, `name.` or `name(t1,...,tn).` with integers, constants and strings as
arguments; every other statement is left to clingo.ast, which parses the program with those facts
blanked out. `agrees` then checks that clingo found its statements exactly inside the spans the
walk left to it: a walk that cut a statement in the wrong place shows up as a statement crossing
spans, an empty span or a syntax error, and the caller parses the whole program instead.

A single `.` is a statement's end everywhere in clingo's grammar outside theory atoms (`&`, not
walked) except before the `[weight@level]` of a weak constraint or heuristic, which the walk
takes along.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from itertools import accumulate, compress
from operator import add, and_, methodcaller, not_

from asp_ft_tui.asp.guard import code_only

_NAME = r"_*[a-z][A-Za-z0-9_']*"
_TERM = rf"(?:-?(?:0|[1-9][0-9]{{0,8}})(?![A-Za-z0-9_'])|(?!not\b){_NAME}|\"[ ]*\")"
_STATEMENT = re.compile(
    rf"(?P<lead>\s*)(?:(?P<fact>(?!not\b)(?P<name>{_NAME})"
    rf"(?:\((?P<args>[ \t]*{_TERM}(?:[ \t]*,[ \t]*{_TERM})*)[ \t]*\))?[ \t]*\.(?!\.))"
    r"|(?P<rest>(?:[^.\s]|\.\.)(?:[^.]|\.\.)*?\.(?!\.)(?:\s*\[[^\]]*\])?))"
)
_TRAILING = re.compile(r"\s*\Z")
_IDENTIFIER = re.compile(r"_*[a-z][A-Za-z0-9_']*")


@dataclass(frozen=True)
class Split:
    """The plain facts (in columns, by character offset, in program order) and the rest."""

    starts: list[int]
    ends: list[int]
    names: list[str]
    arguments: list[str]
    """Each fact's argument text ("" for none), strings blanked."""
    rest: list[tuple[int, int]]
    """(start, end) of every other statement."""

    @property
    def facts(self) -> list[tuple[int, int, str]]:
        """(start, end, name/arity) of each fact."""
        # Strings are blanked, so every comma separates arguments: arity = commas + 1, or 0.
        arities = map(add, map(methodcaller("count", ","), self.arguments), map(bool, self.arguments))
        return list(zip(self.starts, self.ends, map("{}/{}".format, self.names, arities)))


def split(code: str) -> Split | None:
    """The program's plain facts and the spans of its other statements; None when the walk
    cannot follow the program (theory atoms, a statement without its end)."""
    if "&" in code:
        return None
    found = Split([], [], [], [], [])
    starts, ends, names, arguments, rest = found.starts, found.ends, found.names, found.arguments, found.rest
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
    return found


_SPLITS_KEPT = 8
_splits: "OrderedDict[str, tuple[Split | None, str]]" = OrderedDict()
_WEIGHT_NEXT = re.compile(r"\s*\[")


def _split_text(text: str) -> tuple[Split | None, str]:
    """The split of a text and its code, remembered: one context accompanies many snippets, and
    a context often starts with an earlier one (the instance, then instance + generator), whose
    split is then reused and only the remainder walked."""
    known = _splits.get(text)
    if known is not None:
        _splits.move_to_end(text)
        return known
    code = code_only(text)
    found = None
    for earlier, (parsed, earlier_code) in reversed(_splits.items()):
        cut = len(earlier)
        # The walk of `earlier` ended on a statement's end (else no split): it goes on unchanged
        # where the code is the same and the next character cannot continue that statement.
        if (parsed is not None and len(text) > cut and text[cut].isspace() and text.startswith(earlier)
                and code.startswith(earlier_code) and not _WEIGHT_NEXT.match(code, cut)):
            tail = split(code[cut:])
            if tail is not None:
                shift = cut.__add__
                found = Split(parsed.starts + list(map(shift, tail.starts)), parsed.ends + list(map(shift, tail.ends)),
                              parsed.names + tail.names, parsed.arguments + tail.arguments,
                              parsed.rest + [(start + cut, end + cut) for start, end in tail.rest])
            break
    else:
        found = split(code)
    _splits[text] = (found, code)
    while len(_splits) > _SPLITS_KEPT:
        _splits.popitem(last=False)
    return found, code


def without_unused_facts(parts: list[tuple[int, str]], program: str) -> str:
    """`program`, made of the texts in `parts` at their offsets, with every plain fact blanked
    whose predicate name no other statement of any part mentions (see `blank`).

    Such a fact can change nothing clingo says about the rest: plain facts draw no message
    themselves, and only a statement naming the predicate can use it. What clingo would say
    about the program is said about the smaller one, at the same places, often many times
    faster (a large instance's tables each feed only some constraints)."""
    found = []
    mentioned: set[str] = set()
    for offset, text in parts:
        parsed, code = _split_text(text)
        if parsed is None:
            return program
        for start, end in parsed.rest:
            mentioned.update(_IDENTIFIER.findall(code, start, end))
        found.append((offset, parsed))
    # Column-wise, in C (map, compress): a large instance has 100,000 facts and this runs for
    # every component validated with it.
    starts: list[int] = []
    ends: list[int] = []
    for offset, parsed in found:
        unused = list(map(not_, map(mentioned.__contains__, parsed.names)))
        starts += map(offset.__add__, compress(parsed.starts, unused))
        ends += map(offset.__add__, compress(parsed.ends, unused))
    return blank(program, starts, ends) if starts else program


def blank(program: str, starts: list[int], ends: list[int]) -> str:
    """`program` without the facts at (starts, ends): clingo's (line, byte column) locations of
    everything else stay those of the program. A fact alone on its line is cut out (its line
    stays, empty); one sharing its line becomes spaces, one per UTF-8 byte."""
    line_starts = set(accumulate(map((1).__add__, map(len, program.split("\n")[:-1])), initial=0))
    line_ends = set(map((-1).__add__, line_starts))
    line_ends.add(len(program))
    alone = list(map(and_, map(line_starts.__contains__, starts), map(line_ends.__contains__, ends)))
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


class Positions:
    """Character offsets to clingo's 0-based (line, byte column)."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.starts = list(accumulate(map((1).__add__, map(len, program.split("\n")[:-1])), initial=0))
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
