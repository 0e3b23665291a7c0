"""Faithfulness through the real engine: the same statements are faithful with nothing solved,
answer sets are compared only as complete collections, hostile text gets a verdict unread."""

from __future__ import annotations

import os
import random
import threading

import pytest

from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.asp.faithful import FAITHFUL, INCONCLUSIVE, NOT_FAITHFUL, Verdict, compare

# Grounding it takes ~8e9 atoms: solving it would run into every limit there is.
BLOW_UP = "n(1..2000).\np(X,Y,Z) :- n(X), n(Y), n(Z).\n"
# 12 pigeons, 11 holes: clasp needs far longer than any time limit below to prove it unsatisfiable.
PIGEONS = "p(1..12). h(1..11).\n1 { at(P,H) : h(H) } 1 :- p(P).\n:- at(P,H), at(Q,H), P < Q.\n"


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2, wall_s=10, memory_mb=768, cpu_s=10)) as eng:
        yield eng


@pytest.mark.parametrize("original, recombined", [
    ("a. b :- a.", "b :- a.\n% a comment\na."),
    ("edge(1, 2). name(1,\"a  b\"). -q(-3).", "name( 1 , \"a  b\" ).\n-q(-3).\nedge(1,2)."),
    ("{ a(1..3) } = 1.\n#minimize { X : a(X) }.", "#minimize{X:a(X)}.\n{a(1..3)}=1."),
    ("e(1,f(2)). e(3,4). e(3,4).", "e(3,4).\ne(3,4).\ne(1,f(2))."),
    # A statement's variables are its own: renamed consistently, it says the same.
    ("p(X) :- q(X).", "p(Y) :- q(Y)."),
    (':- a(X,Y), b(Y,"X Y"), #count { W : d(W,X) } > 2.', ':- a(A,B), b(B,"X Y"), #count { C : d(C,A) } > 2.'),
])
def test_the_same_statements_in_any_order_and_layout_have_one_fingerprint(engine, original, recombined):
    mine, theirs = engine.fingerprint(original), engine.fingerprint(recombined)
    assert mine.digest is not None and mine.digest == theirs.digest and not mine.errors


@pytest.mark.parametrize("original, recombined", [
    ('name(1,"a b").', 'name(1,"ab").'),  # blanks inside a string are its content
    ("p(X) :- q(X,Y).", "p(Y) :- q(X,Y)."),  # not a consistent renaming
    ('name("X").', 'name("Y").'),  # a capital inside a string is no variable
    ("e(3,4). e(3,4).", "e(3,4)."),  # a multiset: a repeat is another statement
    ("a. b.", "a."),
    ("a.\n#program p.\nb.", "#program p.\nb.\n#program base.\na."),  # parts: order decides, so no shortcut
])
def test_other_statements_have_another_fingerprint_or_none(engine, original, recombined):
    mine, theirs = engine.fingerprint(original), engine.fingerprint(recombined)
    assert mine.digest is None or mine.digest != theirs.digest


def test_identical_statements_are_faithful_without_solving(engine):
    choices = "{ a(1..40) }.\n"  # 2^40 answer sets
    original = "% The instance.\n" + BLOW_UP + "edge(1, 2).\n% Anything goes.\n" + choices
    recombined = "{a(1..40)}.\np(X,Y,Z):-n(X),n(Y),n(Z).\nedge(1,2).\nn(1..2000).\n"
    before = engine.replacements
    verdict = compare(engine, original, recombined, cap=50, time_limit=0.001)
    assert verdict == Verdict(FAITHFUL, "the same statements as the original")
    assert engine.replacements == before, "no worker hit a limit: nothing was ground"


def test_a_large_shuffled_instance_is_faithful_by_its_statements(engine):
    facts = [f"cost({i},{i % 7},\"t {i}\")." for i in range(20_000)]
    original = "\n".join(facts) + "\n{ pick(I) : cost(I,_,_) } = 1.\n"
    random.Random(3).shuffle(facts)
    recombined = "{ pick(I) : cost(I,_,_) } = 1.\n" + " ".join(f.replace(",", ", ") for f in facts)
    assert compare(engine, original, recombined, time_limit=0.001).verdict == FAITHFUL


def test_a_real_difference_with_few_answer_sets_is_not_faithful(engine):
    verdict = compare(engine, "{ a; b }.\n:- a, b.", "{ a; b }.")
    assert verdict == Verdict(NOT_FAITHFUL, "3 answer sets in the original, 4 recombined")


def test_equal_meaning_in_other_words_is_faithful(engine):
    verdict = compare(engine, "{ a(1..3) }.\n:- a(1), a(2).", "{ a(X) : X = 1..3 }.\n:- a(2), a(1).")
    assert verdict == Verdict(FAITHFUL, "6 answer sets agree")


def test_more_answer_sets_than_the_bound_on_both_sides_are_not_compared(engine):
    verdict = compare(engine, "{ a(1..10) }.", "{ a(1..10) }.\n:- a(1), a(2).", cap=5)
    assert verdict == Verdict(INCONCLUSIVE, "more than 5 answer sets: not compared")


def test_an_answer_set_outside_a_complete_collection_is_a_difference(engine):
    verdict = compare(engine, "{ a(1..3) }.\n:- a(1).", "{ a(1..10) }.", cap=5)
    assert verdict == Verdict(NOT_FAITHFUL, "an answer set of the recombined program is not one of the original's 4")


def test_more_answer_sets_on_one_side_inside_the_other_are_not_compared(engine):
    # The original's first answer sets, as shown, are all among the recombined program's four:
    # whether the rest are too (they are) is not known without them all.
    original = "{ a(1..2) }.\n{ b(1..10) }.\n#show a/1."
    verdict = compare(engine, original, "{ a(1..2) }.\n#show a/1.", cap=5)
    assert verdict == Verdict(INCONCLUSIVE, "more than 5 answer sets in the original: not compared")


OPTIMISATION = "{{ a(1..4) }}.\n:- not a({}).\n#minimize {{ X : a(X) }}."


def test_optimisation_compares_the_optimal_cost(engine):
    same = compare(engine, OPTIMISATION.format(1), "{ a(X) : X = 1..4 }.\n:- not a(1).\n#minimize { Y : a(Y) }.")
    assert same == Verdict(FAITHFUL, "1 answer sets agree, optimal cost [1]")
    other = compare(engine, OPTIMISATION.format(1), OPTIMISATION.format(2))
    assert other == Verdict(NOT_FAITHFUL, "optimal cost [1] in the original, [2] recombined")
    many = compare(engine, "{ a(1..4) }.\n{ b(1..10) }.\n#minimize { X : a(X) }.",
                   "{ b(1..10) }.\n{ a(X) : X = 1..4 }.\n#minimize { Y : a(Y) }.", cap=5)
    assert many == Verdict(INCONCLUSIVE, "the same optimal cost [0]; more than 5 answer sets: not compared")


@pytest.mark.parametrize("hostile", ['#include "{secret}".\na.',
                                     "#script (python)\nopen({secret!r}).read()\n#end.\na."])
def test_hostile_text_on_either_side_gets_a_verdict_unread(engine, tmp_path, hostile):
    secret = tmp_path / "secret.lp"
    secret.write_text('leak("s3cret").\n')
    hostile = hostile.format(secret=str(secret))
    directive = "#include" if "include" in hostile else "#script"
    before = engine.replacements
    # The other side would run into every limit if it were solved: the verdict comes first.
    original = compare(engine, hostile, BLOW_UP)
    recombined = compare(engine, BLOW_UP, hostile)
    assert original.verdict == INCONCLUSIVE and f"{directive} is not allowed" in original.reason
    assert recombined.verdict == NOT_FAITHFUL and f"{directive} is not allowed" in recombined.reason
    assert "s3cret" not in original.reason + recombined.reason
    assert engine.replacements == before


def test_a_program_that_does_not_parse_gets_its_errors_without_solving(engine):
    before = engine.replacements
    verdict = compare(engine, BLOW_UP, "a :- b")
    assert verdict.verdict == NOT_FAITHFUL and verdict.reason.startswith("the recombined program has errors: ")
    assert "syntax error" in verdict.reason and engine.replacements == before


def test_non_ascii_text_is_read_where_a_bad_character_cannot_crash_the_worker(engine):
    before = engine.replacements
    accented = compare(engine, '% Contrainte: équipe\nname("Zoë").', 'name("Zoë").\n% équipe')
    assert accented == Verdict(FAITHFUL, "the same statements as the original")
    dash = compare(engine, "a :- b\u2013c.", "a.")
    assert dash.verdict == INCONCLUSIVE and "U+2013" in dash.reason
    assert engine.replacements == before


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads worker CPU time from /proc")
def test_the_two_solves_run_at_the_same_time(engine):
    engine.warm_up()
    start = {pid: cpu_seconds(pid) for pid in engine.worker_pids()}
    verdicts: list[Verdict] = []
    thread = threading.Thread(target=lambda: verdicts.append(
        compare(engine, PIGEONS, PIGEONS.replace("P < Q", "Q > P"), time_limit=3)))
    thread.start()
    both_solving = False
    while thread.is_alive() and not both_solving:
        # Both workers taken at once, each well into its solve (reading statements takes milliseconds).
        both_solving = engine._idle.qsize() == 0 and len(start) == 2 and all(
            cpu_seconds(pid) - used > 0.5 for pid, used in start.items())
        thread.join(0.01)
    thread.join()
    assert both_solving, "both workers were solving at once"
    assert verdicts[0].verdict == INCONCLUSIVE and verdicts[0].reason.startswith("solving the original ran out")


def test_comparisons_from_many_threads_each_get_their_own_verdict(engine):
    cases = [("{ a; b }.\n:- a, b.", "{ a; b }."), ("a. b :- a.", "b :- a. a."),
             ("{ a(1..3) }.", "{ a(X) : X = 1..3 }."), ('#include "x".', "a.")] * 4
    expected = [compare(engine, *case).verdict for case in cases[:4]] * 4
    found: list[str | None] = [None] * len(cases)

    def run(index: int) -> None:
        found[index] = compare(engine, *cases[index]).verdict

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == expected == [NOT_FAITHFUL, FAITHFUL, FAITHFUL, INCONCLUSIVE] * 4


@pytest.mark.parametrize(("original", "recombined"), [
    ('p(1 %* " *%, "a  b").', 'p(1 %* " *%, "ab").'),
    ('p(1 %* " *%).\nq("a  b").', 'p(1 %* " *%).\nq("ab").'),
])
def test_a_quote_in_a_comment_inside_a_fact_does_not_merge_strings(engine, original, recombined):
    mine, theirs = engine.fingerprint(original), engine.fingerprint(recombined)
    assert mine.digest is not None and mine.digest != theirs.digest
    assert engine.fingerprint(original).digest == engine.fingerprint(original.replace("\n", "\n\n")).digest
