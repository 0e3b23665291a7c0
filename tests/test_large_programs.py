"""Large programs: extraction through the real engine, statements exactly as clingo sees them,
validation that says what clingo says, and limits that name what ran out."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import clingo
import pytest
from clingo import ast

from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.asp.faithful import compare
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.domain.structure import META_FILE, STRUCTURE_FILE, read_json
from asp_ft_tui.extraction import Extractor, Settings
from asp_ft_tui.prompts import load_prompts
from asp_ft_tui.teachers.structural import StructuralTeacher

sys.path.insert(0, str(Path(__file__).parent / "bench"))
from large_program import make_program  # noqa: E402

TASKS = 4000


def commented_schedule(tasks: int = TASKS) -> str:
    """~180 KB with a comment above every fact (before: over 10 s to deconstruct, a time-out)."""
    facts = "".join(f"% Task {i} takes {i % 7 + 1} hours.\nduration({i},{i % 7 + 1}).\n" for i in range(tasks))
    return (facts + "% Each task gets one of three slots.\n{ at(T,S) : S = 1..3 } = 1 :- duration(T,_).\n"
            "% Long tasks never take the first slot.\n:- at(T,1), duration(T,7).\n")


def write_benchmark(root: Path, program: str) -> Path:
    folder = root / "Scheduling" / "large_1"
    folder.mkdir(parents=True)
    (folder / "ASP.txt").write_text(program)
    (folder / "NL.txt").write_text("Give every task a slot; long tasks never take the first one.\n")
    return root


def extract(root: Path, engine: Engine):
    bench = discover(root).benchmarks[0]
    extractor = Extractor(StructuralTeacher(engine), engine, load_prompts(None), Settings(faithful_cap=3))
    return bench, extractor.extract(bench)


def test_a_large_commented_program_extracts_with_the_structural_teacher(tmp_path):
    root = write_benchmark(tmp_path, commented_schedule())
    with Engine(EngineConfig(workers=2)) as engine:
        bench, result = extract(root, engine)
    assert result.status == "extracted", result.error
    assert all(c.ok for c in result.components), [c.error_text for c in result.components if not c.ok]
    structure = read_json(bench.path / STRUCTURE_FILE)
    assert structure["instance_template"].count("duration(") == TASKS
    assert structure["generator"] == "{ at(T,S) : S = 1..3 } = 1 :- duration(T,_)."
    meta = read_json(bench.path / META_FILE)
    assert meta["neutral_descriptions"]["hard/0"] == "Long tasks never take the first slot."
    listing = json.loads(meta["raw_responses"][0]["text"])
    assert listing[0] == {"line": 2, "end_line": 2 * TASKS, "kind": "fact"}, "the sidecar lists runs, not 4,000 facts"


MIXED = """\
%* A header with a fact-like line inside:
task(999).
*%
#const n=3.
task(1). task(2).
  task(3).
cost(1,-4). cost(2,"a, b"). cost(3,"%not a comment").
name(ab_c,x'). ok.
lane(1..n).
edge(1,2) :- task(1).
:~ task(1). [1@0]
after_weak(1).
p(f(1)).
q(X) :- task(X),
   task(1).
r(2).
#show task/1.
"""


def clingo_statements(program: str) -> list[tuple[int, str]]:
    """(line, text) of every statement as clingo's own parser reports it."""
    found: list[tuple[int, str]] = []

    def keep(node) -> None:
        if node.ast_type not in (ast.ASTType.Comment, ast.ASTType.Program):
            found.append((node.location.begin.line, str(node)))

    ast.parse_string(program, keep)
    return found


def test_the_deconstruction_of_a_large_mixed_program_is_clingo_s_own(tmp_path):
    program = "\n".join([MIXED, make_program(150_000, seed=3), MIXED])
    with Engine(EngineConfig(workers=1)) as engine:
        result = engine.deconstruct(program)
    assert result.errors == []
    ours = [(s.line, str(clingo_statements(s.text)[0][1])) for s in result.statements]
    assert ours == clingo_statements(program)
    kinds = {s.text: s.kind for s in result.statements}
    assert "task(999)." not in kinds, "a fact inside a block comment is no statement"
    assert kinds['cost(3,"%not a comment").'] == "fact" and kinds["after_weak(1)."] == "fact"
    assert kinds["edge(1,2) :- task(1)."] == "definition" and kinds["r(2)."] == "fact"
    assert result.statements[-1].text == "#show task/1." and result.statements[-1].line == program.count("\n")


def clingo_messages(program: str) -> list[str]:
    messages: list[str] = []
    ctl = clingo.Control(logger=lambda code, message: messages.append(message))
    try:
        ctl.add("base", [], program)
        ctl.ground([("base", [])])
    except RuntimeError:
        pass
    # "<block>:L:C-C: info: atom does not occur in any rule head:\n  missing(T)\n" -> from "atom" on,
    # notes without their locations
    return sorted(re.sub(r"(?m)^<block>:[\d:-]+: ((info|warning|error): )?", "", m).rstrip() for m in messages)


@pytest.mark.parametrize("snippet", [
    ":- at(T,S), b(T,S), missing(T).",
    "bad(X) :- c(X,_), Y > 2.",
    ":- at(T,S), c(T,S), T+a > 1.",
    "late(T) :- at(T,S), S > slots - 2.\n#show late/1.\n#show nowhere/3.",
    # b's values reach a computation only through q: one b fact would not do
    "q(X) :- b(X,_).\nr(Y) :- q(X), Y = X+1.",
    "total(N) :- N = #sum { S,T : b(T,S) }.\n:- at(T,S), c(T,S).",
    # broken: what clingo says after a syntax error is said in full
    "p :- b(1.\nr(X) :- c(X,1), X > a.\n:- at(T,S), b(T,S)",
])
def test_validation_in_a_large_context_says_what_clingo_says(snippet):
    # The context: a large instance with a few symbolic values, and its choice rule. Validation
    # leaves out facts that cannot change what clingo says; what it says must stay the same.
    program = make_program(120_000, seed=5)
    context = program.split("% A task is never")[0].replace("\nb(", "\nb(zed,x).\nb(", 1)
    with Engine(EngineConfig(workers=1)) as engine:
        result = engine.validate(snippet, context)
    ours = sorted("\n".join([d.message, *(re.sub(r"^\d+:\d+: ", "", n) for n in d.notes)]) for d in result.diagnostics)
    assert ours == clingo_messages(context + snippet)


def test_forced_time_outs_name_what_ran_out(tmp_path):
    root = write_benchmark(tmp_path, commented_schedule())
    program = make_program(100_000)
    with Engine(EngineConfig(workers=1, wall_s=0.01)) as engine:
        _, result = extract(root, engine)
        validation = engine.validate(":- b(T,S), b(S,T), b(T,T).", program)
        verdict = compare(engine, program, program, cap=0, time_limit=0.001)
    assert result.status == "failed"
    assert result.error == "deconstruction of ASP.txt ran out of wall-clock time (0.01 s)"
    assert "error: resource limit: validation ran out of wall-clock time (0.01 s)" in validation.error_text
    assert verdict.reason.startswith("solving the original ran out of")
