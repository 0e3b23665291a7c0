"""The corruption engine: every operator breaks code the way clingo really rejects, and the
stored error is what clingo itself says about the broken code."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from asp_ft_tui.asp.checker import join_context
from asp_ft_tui.asp.corrupt import OPERATORS, candidates_for, make_pairs
from asp_ft_tui.asp.engine import Engine, EngineConfig

CONTEXT = 'n(1..3). p(1,2). q(1). label(1,"x").'
SNIPPET = (
    "% pick one\n{ pick(X) : n(X) } = 1.\n"
    "r(X) :- p(X,Y), not q(Y), Y != 2, X = 1..2.\n"
    'out(X,"a") :- label(X,_).\n#show pick/1.\n#minimize { 1,X : pick(X) }.'
)
SILENTLY_VALID = {"diamond_neq"}  # `<>` is clingo's own spelling of `!=`
_MESSAGE = re.compile(r"^<block>:(\d+):(\d+)(?:-(?:\d+:)?\d+)?: error: (.*)$")


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


def direct_clingo_errors(broken: str, context: str) -> list[tuple[int, int, str]]:
    """clingo's own error lines for context + broken, in a fresh process with no Python logger
    (clingo prints to stderr), as (snippet line, byte column, message)."""
    program, offset = join_context(context, broken)
    script = (
        "import sys, clingo\nctl = clingo.Control()\n"
        "try:\n    ctl.add('base', [], sys.stdin.read()); ctl.ground([('base', [])])\nexcept RuntimeError:\n    pass\n"
    )
    run = subprocess.run([sys.executable, "-c", script], input=program.encode(), capture_output=True)
    found: list[tuple[int, int, str]] = []
    for line in run.stderr.decode("utf-8", "replace").splitlines():
        match = _MESSAGE.match(line)
        if match:
            entry = (int(match[1]) - offset, int(match[2]), match[3])
            # clingo repeats a multi-byte token's lexer error one byte longer each time; the last is whole.
            if found and found[-1][:2] == entry[:2] and "lexer error" in found[-1][2] and "lexer error" in entry[2]:
                found[-1] = entry
            else:
                found.append(entry)
    return found


def byte_column(code: str, line: int, column: int) -> int:
    lines = code.split("\n")
    if line > len(lines):
        return column
    text = lines[line - 1]
    return len(text[: column - 1].encode("utf-8")) + 1


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_each_operator_breaks_code_the_way_clingo_says(engine, name):
    (pair,) = make_pairs([(SNIPPET, CONTEXT)], engine.validate_many, seeds=[1], rate=1.0, operators=[name])
    if name in SILENTLY_VALID:
        assert pair is None, "clingo accepts it, so it is no repair pair"
        assert engine.validate(OPERATORS[name](SNIPPET, random.Random(1)), CONTEXT).ok
        return
    assert pair is not None and pair.operator == name and pair.fixed == SNIPPET and pair.broken != SNIPPET
    direct = direct_clingo_errors(pair.broken, CONTEXT)
    ours = engine.validate(pair.broken, CONTEXT).errors
    assert pair.error == engine.validate(pair.broken, CONTEXT).error_text
    assert len(ours) == len(direct)
    for diag, (line, col, message) in zip(ours, direct):
        assert (diag.line, byte_column(pair.broken, diag.line, diag.column)) == (line, col)
        first = diag.message.splitlines()[0]
        if message.isascii():
            assert first == message
        else:  # clingo's own bytes name half a character; ours names the whole one
            assert first.startswith("lexer error, unexpected ") and message.startswith("lexer error, unexpected ")


def test_operators_that_do_not_apply_give_nothing():
    plain = "a."
    assert OPERATORS["backslash_neq"](plain, random.Random(0)) is None
    assert OPERATORS["double_braces"](plain, random.Random(0)) is None
    assert OPERATORS["unsafe_variable"]("p(1) :- q(1).", random.Random(0)) is None
    assert OPERATORS["smart_quotes"]("p(1).", random.Random(0)) is None


def test_pairs_are_deterministic_for_a_seed_and_independent_of_the_batch(engine):
    snippets = [(f"r{i}(X) :- p(X,Y), not q(Y), Y != {i}.", CONTEXT) for i in range(20)]
    seeds = list(range(100, 120))
    first = make_pairs(snippets, engine.validate_many, seeds=seeds, rate=0.5)
    again = make_pairs(snippets, engine.validate_many, seeds=seeds, rate=0.5)
    alone = make_pairs(snippets[5:6], engine.validate_many, seeds=seeds[5:6], rate=0.5)
    assert first == again and first[5] == alone[0]
    assert 3 <= sum(p is not None for p in first) <= 17
    other = make_pairs(snippets, engine.validate_many, seeds=[s + 1000 for s in seeds], rate=0.5)
    assert other != first


def test_candidates_follow_a_seeded_order():
    a = candidates_for(SNIPPET, random.Random(3))
    b = candidates_for(SNIPPET, random.Random(3))
    assert a == b and len(a) == 3 and len({op for op, _ in a}) == 3


@pytest.mark.parametrize("code", ["", "  \n", "% only a note\n", "%* a block\n   note *%\n"])
def test_code_without_statements_is_never_broken(engine, code):
    """A pair teaches something only with code on both sides: no fences around nothing, no
    `//` for a comment that answers with a comment."""
    assert candidates_for(code, random.Random(1), tries=len(OPERATORS)) == []
    assert make_pairs([(code, CONTEXT)], engine.validate_many, rate=1.0, tries=len(OPERATORS)) == [None]
    assert engine.check_and_pair([(code, CONTEXT)], [1], rate=1.0, tries=len(OPERATORS))[0][1] is None
