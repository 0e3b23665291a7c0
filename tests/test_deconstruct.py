"""Deconstruction: every statement's class, slots hold only their class, recombination is faithful."""

from __future__ import annotations

import pytest

from asp_ft_tui import paths
from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.domain.benchmarks import discover

BUNDLED = discover(paths.bundled_benchmarks()).benchmarks

SCHEDULE = """\
% Meetings and slots.
#const slots=3.
meeting(m1;m2;m3).
slot(1..slots).
conflict(m1,m2).

% --- Generator ---
% Every meeting gets one slot.
{ at(M,S) : slot(S) } = 1 :- meeting(M).
% A slot is busy when some meeting is in it.
busy(S) :- at(_,S).
% Either morning or afternoon mode.
morning | afternoon.

% Conflicting meetings are apart.
:- conflict(A,B), at(A,S), at(B,S).
% Late helper, only the soft constraint uses it.
late(M) :- at(M,slots).
% Meetings late in the day cost 2.
penalty("late", M, 2) :- late(M).
% A weak constraint of the plain kind.
:~ busy(1). [1@0]
%* The objective,
   in a block comment. *%
#minimize { W,N,T : penalty(N,T,W) }.
#show at/2.
#external maybe.
"""

EXPECTED = [
    ("#const slots=3.", "const", "instance", "Meetings and slots."),
    ("meeting(m1;m2;m3).", "fact", "instance", ""),
    ("slot(1..slots).", "fact", "instance", ""),
    ("conflict(m1,m2).", "fact", "instance", ""),
    ("{ at(M,S) : slot(S) } = 1 :- meeting(M).", "choice", "generator", "Every meeting gets one slot."),
    ("busy(S) :- at(_,S).", "definition", "soft-support", "A slot is busy when some meeting is in it."),
    ("morning | afternoon.", "disjunction", "generator", "Either morning or afternoon mode."),
    (":- conflict(A,B), at(A,S), at(B,S).", "constraint", "hard", "Conflicting meetings are apart."),
    ("late(M) :- at(M,slots).", "definition", "soft-support", "Late helper, only the soft constraint uses it."),
    ('penalty("late", M, 2) :- late(M).', "definition", "soft", "Meetings late in the day cost 2."),
    (":~ busy(1). [1@0]", "weak", "soft", "A weak constraint of the plain kind."),
    ("#minimize { W,N,T : penalty(N,T,W) }.", "objective", "objective", "The objective, in a block comment."),
    ("#show at/2.", "show", "show", ""),
    ("#external maybe.", "directive", "directives", ""),
]


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


def test_every_statement_gets_its_class_text_and_comment(engine):
    result = engine.deconstruct(SCHEDULE)
    assert result.errors == []
    got = [(s.text, s.kind, result.slot_of(s), s.description) for s in result.statements]
    assert got == [(text, kind, [slot], description) for text, kind, slot, description in EXPECTED]
    assert result.statements[4].comment == "% Every meeting gets one slot."


def test_support_travels_with_the_constraint_that_uses_it(engine):
    result = engine.deconstruct(SCHEDULE)
    penalty, weak = result.soft
    assert [s.text for s in penalty.support] == ["late(M) :- at(M,slots)."]
    assert [s.text for s in weak.support] == ["busy(S) :- at(_,S)."]
    assert penalty.code == 'late(M) :- at(M,slots).\npenalty("late", M, 2) :- late(M).'


def test_generator_side_definitions_and_shared_support():
    program = """\
node(1..4). edge(1,2). edge(2,3).
adj(X,Y) :- edge(X,Y).
adj(Y,X) :- edge(X,Y).
{ pick(X) : candidate(X) }.
candidate(X) :- node(X), not blocked(X).
blocked(4).
:- pick(X), pick(Y), adj(X,Y).
:- adj(X,Y), not pick(X), not pick(Y).
total(N) :- N = #count { X : pick(X) }.
#show total/1.
"""
    with Engine(EngineConfig(workers=1)) as engine:
        result = engine.deconstruct(program)
    generator = [s.text for s in result.generator]
    # adj/2 serves both constraints: a derived predicate of the generator, not support repeated twice.
    assert generator == ["adj(X,Y) :- edge(X,Y).", "adj(Y,X) :- edge(X,Y).", "{ pick(X) : candidate(X) }.",
                         "candidate(X) :- node(X), not blocked(X).", "total(N) :- N = #count { X : pick(X) }."]
    assert [s.text for s in result.instance] == ["node(1..4).", "edge(1,2).", "edge(2,3).", "blocked(4)."]
    assert [c.support for c in result.hard] == [(), ()]
    assert result.repeats() == (0, 12)
    assert result.recombine().count("adj(X,Y) :- edge(X,Y).") == 1


def test_minimize_with_several_elements_is_one_objective_statement(engine):
    program = "a(1..3). { b(X) : a(X) }.\n#minimize { 1,X : b(X) ;\n   2,c : b(1) }.\n#maximize{X@2,X:b(X)}."
    result = engine.deconstruct(program)
    assert [s.text for s in result.objective] == ["#minimize { 1,X : b(X) ;\n   2,c : b(1) }.",
                                                  "#maximize{X@2,X:b(X)}."]


def test_a_program_that_does_not_parse_gives_errors_not_slots(engine):
    result = engine.deconstruct("a.\nb :- c(1,2.\n")
    assert result.errors and result.statements == []
    # clingo's own message, with where: what a reviewer needs to fix the reference program
    assert result.errors[0]["kind"] == "syntax" and result.errors[0]["line"] == 2
    assert result.errors[0]["column"] > 0 and "unexpected" in result.errors[0]["message"]
    hostile = engine.deconstruct('#include "/etc/passwd".\na.')
    assert hostile.errors[0]["kind"] == "forbidden"
    dash = engine.deconstruct("a :- b\u2013c.")
    assert "U+2013" in dash.errors[0]["message"]


@pytest.mark.parametrize("bench", BUNDLED, ids=lambda b: b.id)
def test_slots_hold_only_their_class_and_recombine_faithfully(engine, bench):
    result = engine.deconstruct(bench.asp)
    assert result.errors == [] and result.statements
    allowed = {
        "instance": {"fact", "const"},
        "generator": {"choice", "disjunction", "definition"},
        "objective": {"objective"},
        "show": {"show"},
        "directives": {"directive"},
    }
    for slot, kinds in allowed.items():
        assert {s.kind for s in getattr(result, slot)} <= kinds, slot
    assert {c.statement.kind for c in result.hard} <= {"constraint"}
    assert {c.statement.kind for c in result.soft} <= {"weak", "definition"}
    assert all(s.kind == "definition" for c in (*result.hard, *result.soft) for s in c.support)
    assert all(result.slot_of(s) for s in result.statements), "every statement has a slot"
    assert all(s.description for s in result.statements), "the bundled programs comment every statement"

    original = engine.solve(bench.asp, models=0, time_limit=10)
    rebuilt = engine.solve(result.recombine(), models=0, time_limit=10)
    assert original.status == rebuilt.status == "SAT"
    assert original.cost == rebuilt.cost
    assert sorted(original.models) == sorted(rebuilt.models)


def test_other_program_parts_are_refused_not_moved(engine):
    result = engine.deconstruct("a.\n#program foo.\nb.\n#program base.\nc.")
    assert result.errors and "#program foo" in result.errors[0]["message"]


def test_non_ascii_in_a_string_keeps_statement_bounds(engine):
    result = engine.deconstruct('q(1..2).\n#minimize { 1,X : q(X), X != "\u00e9" ; 2,X : q(X) }.')
    assert [s.text for s in result.objective] == ['#minimize { 1,X : q(X), X != "\u00e9" ; 2,X : q(X) }.']
