"""Where definitions go: support travels with the one constraint that uses it, a definition several
constraints use is a derived predicate of the generator; no answer repeats another's statements,
and the recombined program has exactly the original's answer sets (checked with clingo)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import clingo
import pytest

from asp_ft_tui import paths
from asp_ft_tui.asp.deconstruct import Deconstruction, Repeats, deconstruct
from asp_ft_tui.domain.benchmarks import discover

sys.path.insert(0, str(Path(__file__).parent / "bench"))
from synth import make_benchmark_tree  # noqa: E402

OBJECTIVE = "#minimize { W,N,T : penalty(N,T,W) }."

# A small logistics plan: the truck, package and cargo states are derived from the actions and
# several constraints read them (the real tree's "load" answer carried the unload and drive rules).
LOGISTICS = """\
% --- Instance ---
% The plan has two steps.
#const horizon=2.
% Places, packages and the truck.
loc(a;b). pkg(p1). truck(t1).
% Where everything starts and where the package must go.
truck_init(t1,a). pkg_init(p1,a). goal(p1,b).
step(1..horizon).

% --- Generator ---
% The truck drives to at most one place per step.
{ drive(T,L,S) : loc(L) } <= 1 :- truck(T), step(S).
% Packages may be loaded and unloaded at any step.
{ load(P,T,S) } :- pkg(P), truck(T), step(S).
{ unload(P,T,S) } :- pkg(P), truck(T), step(S).

% Where the truck is.
truck_at(T,L,0) :- truck_init(T,L).
truck_at(T,L,S) :- drive(T,L,S).
truck_at(T,L,S) :- truck_at(T,L,S-1), step(S), not driven(T,S).
driven(T,S) :- drive(T,_,S).
% What the truck carries.
in(P,T,S) :- load(P,T,S).
in(P,T,S) :- in(P,T,S-1), step(S), not unload(P,T,S).
% Where a package lies when it is not carried.
pkg_at(P,L,0) :- pkg_init(P,L).
pkg_at(P,L,S) :- unload(P,T,S), truck_at(T,L,S).
pkg_at(P,L,S) :- pkg_at(P,L,S-1), step(S), not lifted(P,S).
lifted(P,S) :- load(P,_,S).

% --- Constraints ---
% Constraint: a package is loaded only where the truck is.
:- load(P,T,S), pkg_at(P,L,S-1), not truck_at(T,L,S-1).
% Only a carried package can be unloaded.
:- unload(P,T,S), not in(P,T,S-1).
% The truck never drives to where it already is.
:- drive(T,L,S), truck_at(T,L,S-1).
% Every package reaches its goal.
:- goal(P,L), not pkg_at(P,L,horizon).
% A loaded package is not lying anywhere.
:- in(P,_,S), pkg_at(P,_,S).
% Soft: every drive costs one.
penalty("drive", (T,S), 1) :- drive(T,_,S).
% Carrying is cheap but not free: helper used by this penalty alone.
carrying(P,S) :- in(P,_,S).
penalty("carry", (P,S), 1) :- carrying(P,S).
""" + OBJECTIVE + "\n#show drive/3.\n#show load/3.\n#show unload/3.\n"


def _models(program: str) -> list[tuple]:
    """Every answer set (all atoms) with its cost: optimisation does not prune the enumeration."""
    ctl = clingo.Control(["0", "--opt-mode=enum"], logger=lambda code, msg: None)
    ctl.add("base", [], program)
    ctl.ground([("base", [])])
    found: list[tuple] = []
    ctl.solve(on_model=lambda m: found.append((tuple(sorted(map(str, m.symbols(atoms=True)))), tuple(m.cost))))
    return sorted(found)


def _closure(parts: Deconstruction, predicates) -> set[int]:
    """The definitions (by index) that the given predicates rely on, transitively."""
    defined = {}
    for s in parts.statements:
        if s.kind == "definition":
            for head in s.heads:
                defined.setdefault(head, []).append(s)
    found: set[int] = set()
    todo = list(predicates)
    while todo:
        for d in defined.get(todo.pop(), []):
            if d.index not in found:
                found.add(d.index)
                todo.extend(d.deps)
    return found


def _check_placement(program: str) -> Deconstruction:
    parts = deconstruct(program)
    assert parts.errors == [], parts.errors
    # A support definition serves its constraint and no other one.
    constraints = [c.statement for c in (*parts.hard, *parts.soft)]
    for comp in (*parts.hard, *parts.soft):
        for support in comp.support:
            users = [c for c in constraints if support.index in _closure(parts, c.deps)]
            assert users == [comp.statement], (support.text, [u.text for u in users])
    # The generator stands on the instance: it relies on no constraint's support.
    supports = {s.index for comp in (*parts.hard, *parts.soft) for s in comp.support}
    generator_deps = {d for s in parts.generator for d in s.deps}
    assert not _closure(parts, generator_deps) & supports
    assert _models(parts.recombine()) == _models(program)
    return parts


def test_shared_state_definitions_go_to_the_generator_once():
    parts = _check_placement(LOGISTICS)
    assert parts.repeats() == Repeats(0, len(parts.statements))
    generator = "\n".join(s.text for s in parts.generator)
    for rule in ("truck_at(T,L,S) :- drive(T,L,S).", "in(P,T,S) :- load(P,T,S).", "lifted(P,S) :- load(P,_,S)."):
        assert rule in generator
    load = next(c for c in parts.hard if c.statement.text.startswith(":- load("))
    assert load.code == ":- load(P,T,S), pkg_at(P,L,S-1), not truck_at(T,L,S-1)."
    carry = next(c for c in parts.soft if '"carry"' in c.statement.text)
    assert [s.text for s in carry.support] == ["carrying(P,S) :- in(P,_,S)."]
    assert [c.statement.text.split(",")[0] for c in parts.soft] == ['penalty("drive"', 'penalty("carry"']


def test_a_chain_used_by_one_constraint_travels_with_it_whole():
    program = """\
n(1..3).
{ c(X) : n(X) }.
d1(X) :- c(X).
d2(X) :- d1(X), n(X).
d3(X) :- d2(X), X > 1.
:- d3(3).
e1(X) :- c(X), X < 3.
e2(X) :- e1(X).
:- e2(1), e2(2).
:- d1(1), e2(2).
"""
    parts = _check_placement(program)
    only_d3 = next(c for c in parts.hard if c.statement.text == ":- d3(3).")
    assert [s.text for s in only_d3.support] == ["d2(X) :- d1(X), n(X).", "d3(X) :- d2(X), X > 1."]
    assert [s.text for s in parts.generator] == ["{ c(X) : n(X) }.", "d1(X) :- c(X).", "e1(X) :- c(X), X < 3.",
                                                 "e2(X) :- e1(X)."]
    assert parts.repeats().repeated == 0


def test_pooled_and_classically_negated_heads_are_definitions_of_their_predicate():
    program = """\
n(1..3).
{ c(X) : n(X) }.
p(X;Y) :- c(X), c(Y), X < Y.
-q(X) :- n(X), not c(X).
:- p(1), p(2).
:- -q(1).
"""
    parts = _check_placement(program)
    assert [[s.text for s in c.support] for c in parts.hard] == [["p(X;Y) :- c(X), c(Y), X < Y."],
                                                                 ["-q(X) :- n(X), not c(X)."]]


def _random_program(rng: random.Random) -> str:
    """A random web of definitions over one choice, read by random hard, weak and penalty
    constraints: chains, shared and private helpers, recursion and negation."""
    lines = ["n(1..3).", "{ c(X) : n(X) }."]
    defined = ["c"]
    for i in range(rng.randint(2, 7)):
        body = rng.sample(defined, k=min(len(defined), rng.randint(1, 2)))
        literals = [f"{p}(X)" for p in body]
        if rng.random() < 0.3:
            literals.append(f"not {rng.choice(defined)}(X)")
        lines.append(f"d{i}(X) :- {', '.join(literals)}, n(X).")
        if rng.random() < 0.2:
            lines.append(f"d{i}(Y) :- d{i}(X), n(Y), Y = X + 1.")
        defined.append(f"d{i}")
    for j in range(rng.randint(1, 5)):
        a, b = rng.choice(defined), rng.choice(defined)
        shape = rng.random()
        if shape < 0.5:
            lines.append(f":- {a}({rng.randint(1, 3)}), {b}({rng.randint(1, 3)}).")
        elif shape < 0.75:
            lines.append(f":~ {a}(X), {b}(X). [1@0,{j},X]")
        else:
            lines.append(f'penalty("p{j}", X, {rng.randint(1, 3)}) :- {a}(X), not {b}(X).')
    if any(line.startswith("penalty(") for line in lines):
        lines.append(OBJECTIVE)
    rng.shuffle(lines)  # statement order must not matter to the placement
    return "\n".join(lines) + "\n"


def test_random_webs_of_definitions_place_without_repeats_and_recombine_faithfully():
    total = Repeats(0, 0)
    for seed in range(60):
        parts = _check_placement(_random_program(random.Random(seed)))
        total += parts.repeats()
    assert total.repeated == 0 and total.placed > 600


def test_repeats_stay_under_five_percent_on_the_bundled_and_a_generated_set(tmp_path):
    bundled = sum((deconstruct(b.asp).repeats() for b in discover(paths.bundled_benchmarks()).benchmarks),
                  Repeats(0, 0))
    make_benchmark_tree(tmp_path / "synth", 30, seed=4)
    synthetic = sum((deconstruct(b.asp).repeats() for b in discover(tmp_path / "synth").benchmarks), Repeats(0, 0))
    planning = sum((deconstruct(LOGISTICS.replace("horizon=2", f"horizon={h}")).repeats() for h in range(1, 6)),
                   Repeats(0, 0))
    for measured in (bundled, synthetic, planning):
        assert measured.placed and measured.share <= 0.05, measured


@pytest.mark.parametrize("horizon", [1, 3])
def test_logistics_recombines_with_the_original_answer_sets(horizon):
    _check_placement(LOGISTICS.replace("horizon=2", f"horizon={horizon}"))
