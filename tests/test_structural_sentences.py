"""The structural teacher writes sentences a person would: every description of every bundled
benchmark, of a generated set and of programs with no comments, odd predicate names or an empty
generator, in every tone, has no doubled word, no empty slot, no leading label and a full stop."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from asp_ft_tui import paths
from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.domain.labels import clean_description
from asp_ft_tui.domain.tones import TONES
from asp_ft_tui.prompts import load_prompts
from asp_ft_tui.teachers.structural import StructuralTeacher

sys.path.insert(0, str(Path(__file__).parent / "bench"))
from synth import make_benchmark_tree  # noqa: E402

DOUBLED = re.compile(r"\b([a-z]+)\s+\1\b", re.IGNORECASE)
# A connecting word with nothing after it, or the old placeholder for "no predicates".
EMPTY_SLOT = re.compile(r"problem's atoms|\(\s*\)|\s{2}|\s[,;:]|\s\.(?!\.)|\b(?:the|which|of|needs|derives?|sets|lists|"
                        r"whenever|and)\s+(?:facts|atoms|adds|from|and|holds?|must)\b", re.IGNORECASE)
LABEL = re.compile(r"^\s*[A-Za-z][^\s:]*(?:\s+[^\s:]+){0,3}:\s")
FULL_STOP = re.compile(r"[.!?][\"')\]]*$")

ODD = {
    "no_comments": """\
node(1..3). edge(1,2). edge(2,3).
{ assign(X,C) : colour(C) } = 1 :- node(X).
colour(red;green).
not_adjacent(X,Y) :- node(X), node(Y), not edge(X,Y), X != Y.
:- edge(X,Y), assign(X,C), assign(Y,C).
:- not_adjacent(X,Y), assign(X,red), assign(Y,red), X < Y.
:- not assign(1,red).
penalty("greenUse", X, 1) :- assign(X,green), not isFirst(X).
isFirst(1).
#minimize { W,N,T : penalty(N,T,W) }.
""",
    "odd_names": """\
in(1..2). the(1). of(2). is_is(1). slotID(1..2).
{ the_the(X) : in(X) }.
{ camelCaseName(X) } :- of(X).
:- the_the(X), the(X).
:- in(X), not the_the(X), not camelCaseName(X).
:~ is_is(X), the_the(X). [1@0,X]
#maximize { 1,X : the_the(X) }.
""",
    "empty_generator": """\
% Facts only, and a check on them.
a(1..3).
b(2).
:- b(X), not a(X).
:- 1 > 2.
""",
    "labels_and_blocks": """\
% --- Instance ---
% Instance:
#const horizon=2.
time(0..horizon).
action(a;b).

% Generator: each time step performs one action.
{ does(A,T) : action(A) } = 1 :- time(T), T > 0.

% Constraint: Actions must occur sequentially
:- does(a,T), does(b,T).
:- does(b,T), does(a,T+1).
:- does(a,1), does(a,2).

% Hard constraint 2: b never happens first.
:- does(b,1).
% Rule 3:
:- does(b,2), does(b,1).
% Soft: repeating an action costs one.
penalty("repeat", T, 1) :- does(A,T), does(A,T+1).
% Optimisation:
#minimize { W,N,T : penalty(N,T,W) }.
%%%%%%%%
:- horizon < 1.
""",
    "only_consts": "#const n=3.\n#const m=2.\n",
}


def _problems(text: str) -> list[str]:
    found = []
    if not text.strip():
        return ["empty"]
    if DOUBLED.search(text):
        found.append(f"doubled word {DOUBLED.search(text)[0]!r}")
    if EMPTY_SLOT.search(text):
        found.append(f"empty slot near {EMPTY_SLOT.search(text)[0]!r}")
    if LABEL.match(text):
        found.append("starts with a label")
    cleaned = clean_description(text)
    if cleaned.changed or cleaned.flag:
        found.append(f"the label importer would change or flag it: {cleaned}")
    if not FULL_STOP.search(text):
        found.append("no final full stop")
    return found


def _tree(root: Path) -> Path:
    shutil.copytree(paths.bundled_benchmarks(), root / "bundled")
    make_benchmark_tree(root / "synth", 12, seed=7)
    for name, program in ODD.items():
        folder = root / "odd" / name
        folder.mkdir(parents=True)
        (folder / "NL.txt").write_text(f"The {name} program.\n")
        (folder / "ASP.txt").write_text(program)
    return root


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """benchmark id -> the teacher's neutral descriptions and their variants in every tone."""
    library = discover(_tree(tmp_path_factory.mktemp("sentences")))
    assert not library.problems
    out = {}
    with Engine(EngineConfig(workers=1)) as engine:
        teacher = StructuralTeacher(engine)
        for bench in library.benchmarks:
            extraction = teacher.extract(bench, "Business", load_prompts())
            variants, _ = teacher.tone_variants(extraction.neutral, load_prompts())
            out[bench.id] = (extraction, variants)
    return out


def test_every_description_in_every_tone_reads_as_a_sentence(extracted):
    assert len(extracted) >= 31 + 12 + len(ODD)
    bad = []
    for bench_id, (extraction, variants) in extracted.items():
        for slot, text in extraction.neutral.items():
            texts = {"neutral": text, **variants[slot]}
            assert set(texts) == {"neutral", *TONES}
            bad += [(bench_id, slot, tone, t, p) for tone, t in texts.items() for p in _problems(t)]
    assert bad == []


def test_a_comment_heading_a_block_describes_its_first_constraint_only(extracted):
    extraction, _ = next(v for k, v in extracted.items() if k.endswith("labels_and_blocks"))
    hard = [r.description for r in extraction.structure.hard_constraints]
    assert extraction.neutral["hard/0"] == "Actions must occur sequentially."
    assert hard[0] == "As a business rule, actions must occur sequentially."
    # The constraints after it in the block say other things: a prompt naming the heading would
    # be answered by a third of what it asks for.
    assert "sequentially" not in hard[1] + hard[2]
    assert extraction.neutral["hard/1"] == "Does never holds in the case this rule describes."
    assert extraction.neutral["hard/3"] == "B never happens first."
    assert extraction.neutral["generator"] == "Each time step performs one action."
    assert extraction.neutral["soft/0"] == "Repeating an action costs one."
    # Label-only comments and banners describe nothing: the predicate names do.
    assert extraction.neutral["hard/4"] == "Does never holds in the case this rule describes."
    assert extraction.neutral["objective"] == "Minimise the total weight of all penalties."
    assert extraction.neutral["instance"] == "The instance sets horizon and lists the time and action facts."


def test_without_comments_predicate_names_become_words(extracted):
    plain = next(v for k, v in extracted.items() if k.endswith("no_comments"))[0].neutral
    assert plain["generator"] == "Choose which assign atoms hold."
    assert plain["hard/1"] == "Not adjacent and assign never hold together in the way this rule describes."
    assert plain["hard/0"] == "Edge and assign never hold together in the way this rule describes."
    assert plain["hard/2"] == "Every solution needs assign."
    assert plain["soft/0"] == "Each case of assign without is first adds a green use penalty."
    odd = next(v for k, v in extracted.items() if k.endswith("odd_names"))[0].neutral
    assert odd["generator"] == 'Choose which "the" and camel case name atoms hold.'
    assert odd["hard/0"] == '"the" never holds in the case this rule describes.'
    assert odd["hard/1"] == 'Whenever "in" holds, "the" and camel case name must hold as well.'
    assert odd["objective"] == 'Maximise the total weight of "the".'
    empty = next(v for k, v in extracted.items() if k.endswith("empty_generator"))[0].neutral
    assert empty["generator"] == "There is nothing to choose; the instance alone fixes the solution."
    assert empty["hard/1"] == "Every solution must meet the condition this constraint states."
    consts = next(v for k, v in extracted.items() if k.endswith("only_consts"))[0].neutral
    assert consts["instance"] == "The instance sets n and m."


def test_labels_with_meaning_move_behind_the_sentence(extracted):
    blocks = extracted["bundled/Planning and Configuration/blocks_world"][0].neutral
    assert "Block c lies on block a (initial state)." in blocks["instance"]
    assert not LABEL.search(blocks["instance"])
