"""Program deconstruction: classify every statement of an ASP program with clingo.ast.

Classes: fact and #const (the instance), choice and disjunctive rules (the generator), definitions
(rules with a body), integrity constraints (hard), weak constraints and penalty definitions
(soft), #minimize/#maximize statements (the objective), #show (its own optional slot) and other
directives. Each statement keeps its exact source text and the comment block directly above it.

A definition is generator-side when a choice rule, or another generator-side rule, uses it, when
nothing else uses it, or when several constraints (hard, weak or penalty) use it, directly or
through other definitions: a derived predicate belongs to the generator once, not to each answer.
A definition whose head feeds the objective is a soft constraint (the seed's
`penalty(...) :- ...` form); a definition that exactly one constraint uses travels with it as
support.

This parses with clingo in-process; the engine runs it inside a worker (`Engine.deconstruct`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import itemgetter, not_
from typing import NamedTuple

from asp_ft_tui.asp.diagnostics import parse_messages
from asp_ft_tui.asp.facts import Positions, Split, agrees, blank, split
from asp_ft_tui.asp.guard import code_only

_OBJECTIVE_KEYWORD = re.compile(r"#(minimi[sz]e|maximi[sz]e)\b")
# `% --- Generator ---`, `%%%%%%`, `% ==== Instance ====`: section banners, not descriptions.
_BANNER = re.compile(r"^%+\s*([-=*#~]{2,}.*[-=*#~]{2,}|[-=*#~%]*)\s*$")
SLOTS = ("instance", "generator", "hard", "soft", "objective", "show", "directives")
_KIND_CODES = {"fact": "f", "const": "k", "choice": "c", "disjunction": "d", "definition": "r", "constraint": "h",
               "weak": "w", "objective": "o", "show": "s", "directive": "x"}
_KINDS = {code: kind for kind, code in _KIND_CODES.items()}


class Statement(NamedTuple):
    """One statement. A named tuple, not a dataclass: a large instance has ~100,000 of them, made
    in the worker and again in the caller, and a tuple is built several times faster."""

    index: int
    kind: str
    """fact, const, choice, disjunction, definition, constraint, weak, objective, show, directive."""
    text: str
    comment: str = ""
    line: int = 0
    end_line: int = 0
    heads: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """The comment above the statement without its comment markers."""
        lines = []
        for raw in self.comment.splitlines():
            line = raw.strip()
            line = line.removeprefix("%*").removesuffix("*%").lstrip("%").strip()
            if line:
                lines.append(line)
        return " ".join(lines)

    def with_comment(self) -> str:
        return f"{self.comment}\n{self.text}" if self.comment else self.text


@dataclass(frozen=True)
class Component:
    statement: Statement
    support: tuple[Statement, ...] = ()

    @property
    def code(self) -> str:
        return "\n".join(s.text for s in (*self.support, self.statement))


class Repeats(NamedTuple):
    repeated: int
    placed: int
    """Statements in all components together, repeats included."""

    def __add__(self, other: "Repeats") -> "Repeats":
        return Repeats(self.repeated + other.repeated, self.placed + other.placed)

    @property
    def share(self) -> float:
        return self.repeated / self.placed if self.placed else 0.0


@dataclass
class Deconstruction:
    statements: list[Statement] = field(default_factory=list)
    instance: list[Statement] = field(default_factory=list)
    generator: list[Statement] = field(default_factory=list)
    hard: list[Component] = field(default_factory=list)
    soft: list[Component] = field(default_factory=list)
    objective: list[Statement] = field(default_factory=list)
    show: list[Statement] = field(default_factory=list)
    directives: list[Statement] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    """Diagnostics (as dicts) when the program does not parse."""
    spans: list[tuple[int, int]] = field(default_factory=list, repr=False, compare=False)
    """Where each statement's text lies in the program (character offsets): the wire form sends
    these instead of the texts."""

    def slot_of(self, statement: Statement) -> list[str]:
        """Which slots hold a statement (a list: a deconstruction built elsewhere may repeat one)."""
        slots = []
        for name in ("instance", "generator", "objective", "show", "directives"):
            if any(s.index == statement.index for s in getattr(self, name)):
                slots.append(name)
        for name in ("hard", "soft"):
            for comp in getattr(self, name):
                if comp.statement.index == statement.index:
                    slots.append(name)
                elif any(s.index == statement.index for s in comp.support):
                    slots.append(f"{name}-support")
        return slots

    def repeats(self) -> "Repeats":
        """How many statements the components hold more than once: a statement placed in several
        components counts beyond its first placement (a definition shared as support, say)."""
        placed = [*self.instance, *self.generator, *self.objective, *self.show, *self.directives]
        for comp in (*self.hard, *self.soft):
            placed += [*comp.support, comp.statement]
        return Repeats(len(placed) - len({s.index for s in placed}), len(placed))

    def recombine(self) -> str:
        """The program again, from its slots, each statement once."""
        seen: set[int] = set()
        out: list[str] = []

        def emit(statements) -> None:
            for s in statements:
                if s.index not in seen:
                    seen.add(s.index)
                    out.append(s.text)

        emit(self.instance)
        emit(self.generator)
        for comp in (*self.hard, *self.soft):
            emit(comp.support)
            emit([comp.statement])
        emit(self.objective)
        emit(self.show)
        emit(self.directives)
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict:
        """The wire form, built to decode fast for 100,000 statements: one column per field
        (made column-wise in C), texts as spans of the program the caller holds, repeated head
        and dependency lists once in a table, comments only where there are some, slots as
        statement indexes."""
        statements = self.statements
        heads = list(map(itemgetter(6), statements))
        deps = list(map(itemgetter(7), statements))
        table = {names: index for index, names in enumerate(dict.fromkeys(heads + deps))}
        comments = list(map(itemgetter(3), statements))
        starts, ends = (list(column) for column in zip(*self.spans)) if self.spans else ([], [])
        columns = {
            "kind": "".join(map(_KIND_CODES.__getitem__, map(itemgetter(1), statements))),
            "start": starts,
            "end": ends,
            "line": list(map(itemgetter(4), statements)),
            "end_line": list(map(itemgetter(5), statements)),
            "heads": list(map(table.__getitem__, heads)),
            "deps": list(map(table.__getitem__, deps)),
            "comment": {str(index): comments[index] for index in compress(range(len(comments)), comments)},
            "table": [" ".join(names) for names in table],
        }
        out: dict = {"columns": columns, "errors": self.errors,
                     "hard": [[c.statement.index, [s.index for s in c.support]] for c in self.hard],
                     "soft": [[c.statement.index, [s.index for s in c.support]] for c in self.soft]}
        for name in ("instance", "generator", "objective", "show", "directives"):
            out[name] = [s.index for s in getattr(self, name)]
        return out

    @classmethod
    def from_dict(cls, data: dict, program: str) -> "Deconstruction":
        """From the wire form of a deconstruction of `program`."""
        columns = data.get("columns") or {"kind": "", "start": [], "end": [], "line": [], "end_line": [], "heads": [],
                                          "deps": [], "comment": {}, "table": []}
        kinds = list(map(_KINDS.__getitem__, columns["kind"]))
        starts, ends = columns["start"], columns["end"]
        table = [tuple(names.split()) for names in columns["table"]]
        comments = [""] * len(kinds)
        for index, comment in columns["comment"].items():
            comments[int(index)] = comment
        statements = list(map(tuple.__new__, repeat(Statement), zip(
            range(len(kinds)), kinds, map(program.__getitem__, map(slice, starts, ends)), comments, columns["line"],
            columns["end_line"], map(table.__getitem__, columns["heads"]), map(table.__getitem__, columns["deps"]))))

        def comps(rows: list) -> list[Component]:
            return [Component(statements[i], tuple(statements[j] for j in support)) for i, support in rows]

        result = cls(statements=statements, hard=comps(data.get("hard", [])), soft=comps(data.get("soft", [])),
                     errors=list(data.get("errors", [])), spans=list(zip(starts, ends)))
        for name in ("instance", "generator", "objective", "show", "directives"):
            setattr(result, name, [statements[i] for i in data.get(name, [])])
        return result


def _atoms(node) -> set[str]:
    """name/arity of every symbolic atom below an AST node."""
    from clingo.ast import ASTType

    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)) or type(item).__name__ == "ASTSequence":
            stack.extend(item)
            continue
        if not hasattr(item, "ast_type"):
            continue
        if item.ast_type == ASTType.SymbolicAtom:
            terms = [item.symbol]
            while terms:  # `p(a;b)` is a pool of atoms, `-p(a)` a negated one
                term = terms.pop()
                if term.ast_type == ASTType.Function:
                    found.add(f"{term.name}/{len(term.arguments)}")
                elif term.ast_type == ASTType.SymbolicTerm and term.symbol.type.name == "Function":
                    found.add(f"{term.symbol.name}/{len(term.symbol.arguments)}")
                elif term.ast_type == ASTType.Pool:
                    terms.extend(term.arguments)
                elif term.ast_type == ASTType.UnaryOperation:
                    terms.append(term.argument)
            continue
        for key in item.child_keys:
            stack.append(getattr(item, key))
    return found


def _head_atoms(rule) -> set[str]:
    from clingo.ast import ASTType

    head = rule.head
    if head.ast_type == ASTType.Literal:
        return _atoms(head.atom)
    if head.ast_type in (ASTType.Aggregate, ASTType.Disjunction):
        return set().union(*(_atoms(e.literal) for e in head.elements)) if head.elements else set()
    if head.ast_type == ASTType.HeadAggregate:
        return set().union(*(_atoms(e.condition.literal) for e in head.elements)) if head.elements else set()
    return _atoms(head)


def _byte_mask(program: str) -> bytes:
    """`code_only` in bytes, each blanked character as many spaces as it has UTF-8 bytes, so
    clingo's byte columns index it exactly like the program."""
    out = bytearray()
    for original, masked in zip(program, code_only(program)):
        encoded = original.encode("utf-8")
        out += encoded if masked == original else b" " * len(encoded)
    return bytes(out)


class _Source:
    """Slices statement text out of the program by clingo's (line, byte column) locations."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.lines = program.encode("utf-8").split(b"\n")
        self._code_lines: list[bytes] | None = None
        self.positions = Positions(program)

    @property
    def code_lines(self) -> list[bytes]:
        """The masked lines, made only when an objective needs them."""
        if self._code_lines is None:
            masked = code_only(self.program).encode("utf-8") if self.program.isascii() else _byte_mask(self.program)
            self._code_lines = masked.split(b"\n")
        return self._code_lines

    def char_offset(self, at: tuple[int, int]) -> int:
        """The character offset of a 0-based (line, byte column)."""
        line, column = at
        start = self.positions.starts[line]
        return start + (column if self.positions.ascii else len(self.lines[line][:column].decode("utf-8", "replace")))

    def offset(self, line: int, column: int) -> tuple[int, int]:
        return line - 1, column - 1

    def slice(self, begin: tuple[int, int], end: tuple[int, int]) -> str:
        (bl, bc), (el, ec) = begin, end
        if bl == el:
            return self.lines[bl][bc:ec].decode("utf-8", "replace")
        parts = [self.lines[bl][bc:], *self.lines[bl + 1 : el], self.lines[el][:ec]]
        return b"\n".join(parts).decode("utf-8", "replace")

    def objective_bounds(self, begin: tuple[int, int], end: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """From an element's location to its whole `#minimize { ... }.` statement."""
        bl, bc = begin
        start = begin
        for line in range(bl, -1, -1):
            text = self.code_lines[line].decode("utf-8", "replace")
            limit = len(self.code_lines[line][:bc].decode("utf-8", "replace")) if line == bl else len(text)
            hits = list(_OBJECTIVE_KEYWORD.finditer(text[:limit]))
            if hits:
                start = (line, len(text[: hits[-1].start()].encode("utf-8")))
                break
        el, ec = end
        seen_brace = False
        for line in range(el, len(self.code_lines)):
            raw = self.code_lines[line]
            for col in range(ec if line == el else 0, len(raw)):
                char = raw[col : col + 1]
                if char == b"}":
                    seen_brace = True
                elif char == b"." and seen_brace:
                    return start, (line, col + 1)
        return start, end


def _parse(text: str) -> list:
    """clingo's nodes of `text`; a RuntimeError carrying clingo's own messages (with where) when
    it does not parse."""
    from clingo import ast

    nodes: list = []
    messages: list[str] = []
    try:
        ast.parse_string(text, nodes.append, logger=lambda code, msg: messages.append(msg))
    except RuntimeError as err:
        raise RuntimeError("\n".join(messages) or str(err)) from err
    return nodes


def _statement_nodes(program: str, positions: Positions) -> tuple[list, Split | None]:
    """clingo's nodes and the plain facts (see facts.py) of a program; raises RuntimeError when
    it does not parse."""
    from clingo.ast import ASTType

    found = split(code_only(program))
    if found is not None and found.starts:
        try:
            nodes = _parse(blank(program, found.starts, found.ends, found.alone))
        except RuntimeError:
            nodes = None  # the whole program's parse gives the real messages
        located = [((n.location.begin.line - 1, n.location.begin.column - 1),
                    (n.location.end.line - 1, n.location.end.column - 1))
                   for n in nodes or () if n.ast_type != ASTType.Comment and n.location.begin != n.location.end]
        if nodes is not None and agrees(located, found.rest, positions):
            return nodes, found
    return _parse(program), None


def deconstruct(program: str) -> Deconstruction:
    from clingo.ast import ASTType

    source = _Source(program)
    try:
        nodes, plain_facts = _statement_nodes(program, source.positions)
    except RuntimeError as err:
        found = [d.to_dict() for d in parse_messages([str(err).encode()], program.encode(), 0) if d.severity == "error"]
        return Deconstruction(errors=found or [{"severity": "error", "kind": "syntax", "message": str(err)}])

    comments = [n for n in nodes if n.ast_type == ASTType.Comment]
    raw: list[dict] = []
    objective_groups: dict[tuple[int, int], dict] = {}
    for node in nodes:
        kind_of = node.ast_type
        if kind_of == ASTType.Comment:
            continue
        if kind_of == ASTType.Program:
            if node.name != "base" or len(node.parameters):
                # Statements of other program parts are only grounded on request: moving them
                # into components would change the program's meaning.
                return Deconstruction(errors=[{
                    "severity": "error", "kind": "unsupported", "line": node.location.begin.line,
                    "message": f"program parts other than base are not supported (#program {node.name} at line "
                               f"{node.location.begin.line})"}])
            continue
        begin = source.offset(node.location.begin.line, node.location.begin.column)
        end = source.offset(node.location.end.line, node.location.end.column)
        heads: set[str] = set()
        deps: set[str] = set()
        if kind_of == ASTType.Rule:
            heads = _head_atoms(node)
            deps = _atoms(node.head) - heads | _atoms(list(node.body))
            head = node.head
            if head.ast_type == ASTType.Literal and head.atom.ast_type == ASTType.BooleanConstant:
                kind = "constraint"
            elif head.ast_type == ASTType.Literal:
                kind = "definition" if len(node.body) else "fact"
            elif head.ast_type == ASTType.Disjunction:
                kind = "disjunction"
            else:
                kind = "choice"
        elif kind_of == ASTType.Definition:
            kind = "const"
        elif kind_of == ASTType.Minimize:
            deps = _atoms(list(node.body))
            text = source.slice(begin, end)
            if text.lstrip().startswith(":~"):
                kind = "weak"
            else:
                start, stop = source.objective_bounds(begin, end)
                group = objective_groups.get(start)
                if group is None:
                    group = objective_groups[start] = {"kind": "objective", "begin": start, "end": stop, "heads": set(),
                                                       "deps": set()}
                    raw.append(group)
                group["deps"] |= deps
                group["end"] = max(group["end"], stop)
                continue
        elif kind_of in (ASTType.ShowSignature, ASTType.ShowTerm):
            kind = "show"
            deps = _atoms(node)
        else:
            kind = "directive"
        raw.append({"kind": kind, "begin": begin, "end": end, "heads": heads, "deps": deps})

    above, commented = _comments_above(comments, source)
    parsed = [
        (source.char_offset(item["begin"]), item["kind"], source.slice(item["begin"], item["end"]),
         item["begin"][0] + 1, item["end"][0] + 1, tuple(sorted(item["heads"])), tuple(sorted(item["deps"])),
         source.char_offset(item["end"]))
        for item in raw
    ]
    # Plain facts column-wise, in C: a fact is one line, found by bisecting the line starts.
    plain: list[tuple] = []
    if plain_facts is not None:
        lines = list(map(bisect_right, repeat(source.positions.starts), plain_facts.starts))
        one = {head: (head,) for head in set(plain_facts.heads)}
        plain = list(zip(plain_facts.starts, repeat("fact"), map(program.__getitem__, map(slice, plain_facts.starts,
                                                                                      plain_facts.ends)),
                         lines, lines, map(one.__getitem__, plain_facts.heads), repeat(()), plain_facts.ends))
    ordered = sorted(parsed + plain, key=itemgetter(0)) if parsed else plain
    if not ordered:
        return _place([], [])
    starts, kinds, texts, lines, end_lines, heads, deps, ends = zip(*ordered)
    notes = [""] * len(ordered)
    for index in compress(range(len(ordered)), map(commented.__contains__, lines)):
        notes[index] = above(lines[index])
    statements = list(map(tuple.__new__, repeat(Statement),
                          zip(range(len(ordered)), kinds, texts, notes, lines, end_lines, heads, deps)))
    spans = list(zip(starts, ends))
    return _place(statements, spans)


def _comments_above(comments: list, source: _Source):
    """(`above(line)`: the block of comments ending on the line directly above `line`, with no
    gap; the lines right below a comment, the only ones `above` finds anything for)."""
    by_end = {c.location.end.line: c for c in comments if c.location.begin.column == 1}

    def above(line: int) -> str:
        block = []
        current = line - 1
        while current in by_end:
            comment = by_end[current]
            begin = source.offset(comment.location.begin.line, comment.location.begin.column)
            end = source.offset(comment.location.end.line, comment.location.end.column)
            text = source.slice(begin, end)
            if _BANNER.match(text.strip()):
                break
            block.append(text)
            current = comment.location.begin.line - 1
        return "\n".join(reversed(block))

    return above, {line + 1 for line in by_end}


def _place(everything: list[Statement], spans: list[tuple[int, int]]) -> Deconstruction:
    result = Deconstruction(statements=everything, spans=spans)
    # Facts and constants are the instance, whatever else holds: the rest is placed below (a
    # large instance's facts never enter the loops).
    of_instance = list(map({"fact", "const"}.__contains__, map(itemgetter(1), everything)))
    result.instance = list(compress(everything, of_instance))
    statements = list(compress(everything, map(not_, of_instance)))
    definitions = [s for s in statements if s.kind == "definition"]
    defined_by: dict[str, list[Statement]] = {}
    for s in definitions:
        for head in s.heads:
            defined_by.setdefault(head, []).append(s)

    def closure(deps) -> list[Statement]:
        """Definitions that the given predicates rely on, transitively, in program order."""
        found: dict[int, Statement] = {}
        todo = list(deps)
        while todo:
            for d in defined_by.get(todo.pop(), []):
                if d.index not in found:
                    found[d.index] = d
                    todo.extend(d.deps)
        return sorted(found.values(), key=lambda s: s.index)

    seeds: set[str] = set()  # predicates whose definitions are generator-side
    for s in statements:
        if s.kind in ("choice", "disjunction"):
            seeds |= set(s.deps)
    objective_deps = set().union(*(set(s.deps) for s in statements if s.kind == "objective")) if statements else set()
    choice_side = {d.index for d in closure(seeds)}
    penalties = [d for d in definitions if d.index not in choice_side and set(d.heads) & objective_deps]
    penalty_ids = {p.index for p in penalties}
    users: dict[int, int] = {}  # definition -> how many constraints rely on it
    for s in statements:
        if s.kind in ("constraint", "weak") or s.index in penalty_ids:
            for d in closure(s.deps):
                users[d.index] = users.get(d.index, 0) + 1
    for d in definitions:
        if d.index in penalty_ids:
            continue
        if users.get(d.index, 0) != 1:
            # Used by several constraints (a derived predicate: repeating it in each answer would
            # make those answers hold more than they describe) or by none (part of the model).
            seeds |= set(d.heads)
    # Closed under dependencies, so the generator stands on the instance alone.
    generator_side = {d.index: d for d in closure(seeds) if d.index not in penalty_ids}

    for s in statements:
        if s.kind in ("choice", "disjunction") or s.index in generator_side:
            result.generator.append(s)
        elif s.kind == "constraint":
            result.hard.append(Component(s, _support(s, closure, generator_side, penalty_ids)))
        elif s.kind == "weak" or s.index in penalty_ids:
            result.soft.append(Component(s, _support(s, closure, generator_side, penalty_ids)))
        elif s.kind == "objective":
            result.objective.append(s)
        elif s.kind == "show":
            result.show.append(s)
        elif s.kind == "directive":
            result.directives.append(s)
    return result


def _support(statement: Statement, closure, generator_side: dict, penalty_ids: set[int]) -> tuple[Statement, ...]:
    return tuple(
        d for d in closure(statement.deps)
        if d.index not in generator_side and d.index not in penalty_ids and d.index != statement.index
    )
