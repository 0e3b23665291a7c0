"""What validation may leave out of a large context without changing a word clingo says.

Validating a component grounds it with its context, and a large instance makes every context
large. Yet plain facts (see facts.py) draw no message themselves, and only statements that name
a predicate can use its facts:

- facts of a predicate that no other statement names are left out;
- facts of a predicate that only *inert* statements reach keep one fact per name/arity. A
  statement is inert when it cannot compute with the values it binds: no arithmetic, interval,
  aggregate weight or external call over variables. What clingo says about such statements
  depends on which predicates have facts (`atom does not occur in any rule head`), never on
  how many or which; values reach a computation only through statements that name the
  predicate, or name a predicate defined from it, so "reach" follows shared names;
- all other facts stay.

Errors never depend on facts at all (syntax, safety, constants are checked before grounding).
The program clingo reads keeps every other statement at its place (see `facts.blank`).

Where only errors are wanted (a verdict: does clingo accept it, and if not, its error text),
`without_data` goes further and leaves out every ground fact of the context, pools and intervals
included (`edge(1,2; 2,3).`, `vertex(1..400).`): the snippet is then checked against the context's
rules alone, which grounds in a fraction of the time. A check that finds an error there is made
again on the whole program (see `checker.check`), so an error text is always clingo's own.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from itertools import compress
from operator import not_

from asp_ft_tui.asp.facts import Split, blank, split
from asp_ft_tui.asp.guard import code_only

_IDENTIFIER = re.compile(r"_*[a-z][A-Za-z0-9_']*")
_VARIABLE = re.compile(r"(?<![A-Za-z0-9_'])(?:_*[A-Z]|_(?![A-Za-z0-9_']))")
# Anything that computes, once `:-` and `:~` are set aside: arithmetic (and classical negation,
# to be safe), intervals, pools of conditions, weights, external calls, aggregates but #count.
_COMPUTES = re.compile(r"[-+*/\\^?&~|@\[;]|\.\.|#(?!count\b|show\b|const\b|external\b|defined\b)")
_WEIGHT_NEXT = re.compile(r"\s*\[")

# Remembered splits: a few texts, and at most a few megabytes of them (each costs about ten
# times its size in columns), within the worker's memory cap.
_SPLITS_KEPT, _SPLIT_CHARS_KEPT = 8, 4_000_000
_splits: "OrderedDict[str, tuple[Split | None, str]]" = OrderedDict()


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
                found = parsed + tail.shifted(cut)
            break
    else:
        found = split(code)
    _splits[text] = (found, code)
    while len(_splits) > _SPLITS_KEPT or (len(_splits) > 1 and sum(map(len, _splits)) > _SPLIT_CHARS_KEPT):
        _splits.popitem(last=False)
    return found, code


_DATA_HEAD = re.compile(r"\s*-?_*[a-z][A-Za-z0-9_']*\s*")
_NOT_DATA = re.compile(r"[#{}:|@]")
_NOT_PAREN = re.compile(r"[^()]+")
_DATA_KEPT = 8
_data: "OrderedDict[str, str]" = OrderedDict()


def _is_data(code: str) -> bool:
    """A statement that is one ground atom and nothing else: `p.`, `edge(1,2; 2,3).`, `v(1..n).`"""
    head = _DATA_HEAD.match(code)
    if head is None:
        return False
    rest = code[head.end():].rstrip()
    if rest == ".":
        return True
    body = rest[:-1].rstrip()
    if not (rest.endswith(".") and body.startswith("(") and body.endswith(")")):
        return False
    if _VARIABLE.search(body) or _NOT_DATA.search(body):
        return False
    # One atom: the first parenthesis closes at the end (not `p(1) ; q(2).`), i.e. what lies
    # between the outer pair is balanced. In C: the parentheses alone, innermost pairs removed.
    inner = _NOT_PAREN.sub("", body)[1:-1]
    while "()" in inner:
        inner = inner.replace("()", "")
    return not inner


def without_data(context: str) -> str:
    """`context` with its ground facts blanked (their characters turned into spaces, one per
    UTF-8 byte, newlines kept): every other statement stays where clingo would locate it.
    Remembered per context, which accompanies many snippets."""
    known = _data.get(context)
    if known is not None:
        _data.move_to_end(context)
        return known
    parsed, code = _split_text(context)
    spans: list[tuple[int, int]] = []
    if parsed is not None:
        spans = list(zip(parsed.starts, parsed.ends))
        spans += [(start, end) for start, end in parsed.rest if _is_data(code[start:end])]
        spans.sort()
    pieces: list[str] = []
    pos = 0
    for start, end in spans:
        pieces.append(context[pos:start])
        text = context[start:end]
        pieces.append(_SPACES.sub(" ", text) if text.isascii() else _SPACES.sub(lambda m: " " * len(m.group().encode()), text))
        pos = end
    pieces.append(context[pos:])
    reduced = "".join(pieces)
    _data[context] = reduced
    while len(_data) > _DATA_KEPT:
        _data.popitem(last=False)
    return reduced


_SPACES = re.compile(r"[^\n]")


def _reach(statements: list[str]) -> tuple[set[str], set[str]]:
    """(every name the statements mention, the names a computing statement reaches)."""
    group: dict[str, str] = {}

    def root(name: str) -> str:
        while group[name] != name:
            group[name] = group[group[name]]
            name = group[name]
        return name

    computing: set[str] = set()
    for statement in statements:
        names = set(_IDENTIFIER.findall(statement))
        if not names:
            continue
        first = names.pop()
        group.setdefault(first, first)
        for name in names:
            group.setdefault(name, name)
            group[root(name)] = root(first)
        plain = statement.replace(":-", "  ").replace(":~", "  ")
        if _VARIABLE.search(plain) and _COMPUTES.search(plain):
            computing.add(root(first))
    computing = {root(name) for name in computing}
    return set(group), {name for name in group if root(name) in computing}


def without_idle_facts(parts: list[tuple[int, str]], program: str) -> str:
    """`program`, made of the texts in `parts` at their offsets, with the facts left out that
    change nothing clingo says (see the module docstring)."""
    found = []
    statements: list[str] = []
    for offset, text in parts:
        parsed, code = _split_text(text)
        if parsed is None:
            return program
        statements += [code[start:end] for start, end in parsed.rest]
        found.append((offset, parsed))
    mentioned, reached = _reach(statements)
    # Column-wise, in C (map, compress): a large instance has 100,000 facts and this runs for
    # every component validated with it.
    starts: list[int] = []
    ends: list[int] = []
    alone: list[bool] = []
    for offset, parsed in found:
        keep = list(map(reached.__contains__, parsed.names))
        # One fact per name/arity for the predicates only inert statements use (the last one).
        for head, index in dict(zip(parsed.heads, range(len(keep)))).items():
            if head[: head.rindex("/")] in mentioned:
                keep[index] = True
        cut = list(map(not_, keep))
        starts += map(offset.__add__, compress(parsed.starts, cut))
        ends += map(offset.__add__, compress(parsed.ends, cut))
        # Alone in its part is alone in the program: parts are joined at line ends.
        alone += compress(parsed.alone, cut)
    return blank(program, starts, ends, alone) if starts else program
