"""Verdicts checked without the context's data say what the whole program says.

`checker.check(..., errors_only=True)` grounds a snippet against its context with every ground
fact of the context left out (`reduce.without_data`). Differential: on every component of the
bundled set and of a generated tree with foreign caches, and on every broken candidate of all
corruption operators for them, its errors must equal the errors of the full check, word for word.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pytest

from asp_ft_tui.asp import checker
from asp_ft_tui.asp.corrupt import OPERATORS, candidates_for
from asp_ft_tui.asp.reduce import _is_data, without_data
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.domain.structure import Structure
from asp_ft_tui.paths import bundled_benchmarks

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))
from synth import make_foreign_tree  # noqa: E402


def errors(diagnostics) -> list[str]:
    # clingo 5.8 names the tokens it expected after a syntax error, or not, for the same text
    # depending on what it parsed earlier in the process (seen: `#show at/3` at the end of a
    # program, after a check of an instance with an unclosed pool): that list is left out.
    return [EXPECTED.sub("", d.canonical()) for d in diagnostics if d.severity == "error"]


EXPECTED = re.compile(r", expecting [^,]*$")


def components(structures) -> list[tuple[str, str]]:
    out = []
    for structure in structures:
        out += [(code, structure.context_for(slot)) for slot, code in structure.components() if code.strip()]
    return out


def bundled_structures():
    from asp_ft_tui.asp.deconstruct import deconstruct

    out = []
    for bench in discover(bundled_benchmarks()).benchmarks:
        parts = deconstruct(bench.asp)
        out.append(Structure(
            instance_template="\n".join(s.text for s in parts.instance),
            generator="\n".join(s.text for s in (*parts.generator, *parts.directives)),
            hard_constraints=[_rule(c.code) for c in parts.hard],
            soft_constraints=[_rule(c.code) for c in parts.soft],
            global_objective="\n".join(s.text for s in parts.objective)))
    return out


def _rule(code: str):
    from asp_ft_tui.domain.structure import Rule

    return Rule("", code)


@pytest.fixture(scope="module")
def foreign_structures(tmp_path_factory):
    root = tmp_path_factory.mktemp("foreign")
    make_foreign_tree(root, 16, seed=3, wrong=2, scale=3)
    return [Structure.from_dict(json.loads(p.read_text())) for p in sorted(root.rglob("structure.json"))]


@pytest.mark.parametrize("source", ["bundled", "foreign"])
def test_errors_only_equals_the_full_check_on_components_and_every_corruption(source, foreign_structures):
    structures = bundled_structures() if source == "bundled" else foreign_structures
    items = components(structures)
    rng = random.Random(11)
    checked = broken = 0
    for code, context in items:
        cases = [code] + [b for _, b in candidates_for(code, rng, tries=len(OPERATORS))]
        for snippet in cases:
            fast = checker.check(snippet, context, parse_first=True, errors_only=True)
            full = checker.check(snippet, context)
            assert errors(fast) == errors(full), (snippet[:200], context[:200])
            assert all(d.severity == "error" for d in fast)
            checked += 1
            broken += bool(errors(full))
    assert checked > 200 and broken > 100  # the comparison saw plenty of both verdicts


@pytest.mark.parametrize(("statement", "data"), [
    ("p.", True), ("edge(1,2; 2,3).", True), ("v(1..n).", True), ("p(f(1), g(2)).", True), ("-p(1) .", True),
    ('name("   ").', True), ("p((1,2)).", True),
    ("p(1) ; q(2).", False), ("p(1)|q(2).", False), ("p(X).", False), ("p(_).", False), ("p(1) :- q.", False),
    ("{ p(1) }.", False), ("p(@f(1)).", False), ("p(1) : q.", False), ("#const n = 3.", False),
])
def test_what_counts_as_data(statement, data):
    assert _is_data(statement) is data


def test_without_data_keeps_every_other_statement_where_clingo_locates_it():
    context = 'v(1..3).\nedge(1,2;\n 2,3). p("é").\n#const n = 2.\nq(X) :- v(X), X < n.\n'
    reduced = without_data(context)
    assert reduced.count("\n") == context.count("\n")
    assert len(reduced.encode()) == len(context.encode())
    assert "#const n = 2." in reduced and "q(X) :- v(X), X < n." in reduced
    assert "edge" not in reduced and "v(1..3)" not in reduced and "é" not in reduced


@pytest.mark.parametrize(("snippet", "context"), [
    # Blanking the facts would let `[default]` attach to the #const before them.
    ("[default]\n{ in(X) : num(X) } = 1.", "#const n=3.\nnum(1..n)."),
    # A fact that does not parse must not vanish with the data.
    ("{ pick(I) : weight(I,_,_) } = 1.", "weight(1,3,4).\nweight(2,5,).\n"),
    ("a :- b.", "#const n=3.\nnum(1..n).\n[1] { a }."),
    (":- p(X).", "p(1$)."),
])
def test_errors_only_never_says_ok_where_the_whole_program_errs(snippet, context):
    fast = checker.check(snippet, context, errors_only=True)
    full = checker.check(snippet, context)
    assert errors(full) and errors(fast) == errors(full)
