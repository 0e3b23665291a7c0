"""The clingo engine: diagnostics by class, context mapping, containment, solving."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from asp_ft_tui.asp.engine import Engine, EngineConfig

GOOD = [f"p({i}) :- q({i}).\nq({i})." for i in range(50)]
CONTEXT = "node(1..3).\nedge(1,2).\n% the generator follows\n"


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2, wall_s=20, memory_mb=768, cpu_s=20)) as eng:
        yield eng


def assert_pool_answers(engine: Engine) -> None:
    results = engine.validate_many(GOOD)
    assert [r.ok for r in results] == [True] * 50


@pytest.mark.parametrize(
    "snippet, kind",
    [
        ("a :- b", "syntax"),  # missing final period
        ("{{ a }}.", "syntax"),
        ("p(X) :- q.", "unsafe"),
        ("a :- node(X), X \\= 1.", "syntax"),
        ("a := b.", "syntax"),
        ("a :- !b.", "lexer"),
        ("a :- ~b.", "syntax"),
        ("```asp\na.\n```", "lexer"),
        ("a if node(1).", "syntax"),
        ("a :- node(1) and node(2).", "syntax"),
        ("a :- node(1) or node(2).", "syntax"),
        ("{ pick(X) | node(X) }.", "syntax"),
        ("a. // a comment", "syntax"),
        ("a. # a comment", "lexer"),
        ("minimize { 1,X : node(X) }.", "syntax"),
        ("Node(1).", "syntax"),
        ("a :- node(X), X \u2013 1 > 0.", "lexer"),
    ],
)
def test_each_mistake_gets_its_diagnostic_class(engine, snippet, kind):
    result = engine.validate(snippet, CONTEXT)
    assert not result.ok
    assert result.errors[0].kind == kind, result.error_text
    assert result.errors[0].line >= 1 and not result.errors[0].in_context
    assert result.error_text.splitlines()[0].startswith(f"{result.errors[0].line}:{result.errors[0].column}: error: ")


def test_non_ascii_in_code_names_the_character(engine):
    result = engine.validate("p(X) :- node(X), X \u2260 2.\nq :- \u201cx\u201d.", CONTEXT)
    text = result.error_text
    assert "U+2260 NOT EQUAL TO" in text and "U+201C LEFT DOUBLE QUOTATION MARK" in text
    assert text.startswith("1:20: error: lexer error, unexpected \u2260")
    assert_pool_answers(engine)


@pytest.mark.parametrize(
    "snippet",
    [
        ":- node(X), node(Y), X == Y, edge(X,Y).",  # `==` is silently accepted
        "#minimise { 1,X : node(X) }.",  # so is `#minimise`
        'label(1,"caf\u00e9 \u2013 na\u00efve"). % r\u00e9sum\u00e9 \u2013 fine here',
        "%* block comment with \u201cquotes\u201d *%\nok.",
    ],
)
def test_silently_valid_snippets_are_valid(engine, snippet):
    result = engine.validate(snippet, CONTEXT)
    assert result.ok, result.error_text


@pytest.mark.parametrize(
    "snippet, kind",
    [
        ("a :- b.", "atom-undefined"),
        ("p(X) :- node(X), X = 1/0.", "operation-undefined"),
        ("a :- node(X), #sum { X : edge(X,Y) } > 1, node(Y).", "global-variable"),
    ],
)
def test_warnings(engine, snippet, kind):
    result = engine.validate(snippet, CONTEXT)
    assert result.ok and result.error_text == ""
    assert kind in {w.kind for w in result.warnings}


def test_locations_are_in_the_snippets_own_lines(engine):
    snippet = "% first line\nok(1).\nbad :- node(X)\n"
    result = engine.validate(snippet, CONTEXT)
    error = result.errors[0]
    assert (error.line, error.kind) == (4, "syntax")  # the unexpected EOF after line 3
    unsafe = engine.validate("fine.\n\np(X, Y) :- node(X).", CONTEXT).errors[0]
    assert (unsafe.kind, unsafe.line, unsafe.column) == ("unsafe", 3, 1)
    assert "3:6: note: 'Y' is unsafe" in unsafe.notes


def test_an_error_in_the_context_is_reported_as_such(engine):
    result = engine.validate("a.", "node(1..3)\nedge(1,2).\n")
    assert not result.ok and result.errors[0].in_context and result.errors[0].kind == "context"


@pytest.mark.parametrize(
    "snippet",
    [
        '#include "/etc/passwd".',
        "#script (python)\nimport os\n#end.",
        'ok.\n# include "secrets.lp".',
    ],
)
def test_include_and_script_are_refused_before_clingo(engine, snippet):
    result = engine.validate(snippet)
    assert result.errors[0].kind == "forbidden"
    assert "root:" not in result.error_text
    assert engine.validate("a.", context=snippet).errors[0].in_context
    assert_pool_answers(engine)


def test_include_in_a_comment_or_string_is_fine(engine):
    assert engine.validate('% we never #include files\nnote("#include is banned").').ok


def test_memory_blow_up_is_contained(engine):
    before = engine.replacements
    result = engine.validate("p(X,Y,Z) :- n(X), n(Y), n(Z).", "n(1..2000).")
    assert [e.kind for e in result.errors] == ["resource-limit"]
    assert engine.replacements == before + 1
    assert_pool_answers(engine)


def test_cpu_blow_up_is_contained():
    with Engine(EngineConfig(workers=1, cpu_s=1, wall_s=60)) as engine:
        result = engine.validate("p(X) :- X = 1..2000000000, X \\ 7 = 8.")
        assert [e.kind for e in result.errors] == ["resource-limit"]
        assert "CPU" in result.error_text, "the CPU budget ends it, not the wall clock"
        assert_pool_answers(engine)


def test_wall_clock_limit_kills_a_stuck_worker():
    with Engine(EngineConfig(workers=1, cpu_s=120, wall_s=1)) as engine:
        result = engine.validate("p(X) :- X = 1..2000000000, X \\ 7 = 8.")
        assert "wall-clock" in result.error_text
        assert_pool_answers(engine)


def test_parent_side_memory_watch(engine):
    with Engine(EngineConfig(workers=1, memory_guard="watch", memory_mb=300, wall_s=60)) as watched:
        result = watched.validate("p(X,Y,Z) :- n(X), n(Y), n(Z).", "n(1..2000).")
        assert "resource limit" in result.error_text
        assert_pool_answers(watched)


def test_a_worker_killed_from_outside_is_reported_and_replaced():
    with Engine(EngineConfig(workers=1, cpu_s=120, wall_s=60)) as engine:
        engine.validate("warm.")
        (pid,) = engine.worker_pids()
        threading.Timer(0.5, os.kill, (pid, signal.SIGKILL)).start()
        result = engine.validate("p(X) :- X = 1..2000000000, X \\ 7 = 8.")
        assert [e.kind for e in result.errors] == ["resource-limit"] and "killed" in result.error_text
        assert engine.worker_pids() and engine.worker_pids() != [pid]
        assert_pool_answers(engine)


def test_endless_solve_is_bounded(engine):
    pigeons = "pigeon(1..14). hole(1..13).\n{ in(P,H) : hole(H) } = 1 :- pigeon(P).\n:- hole(H), 2 { in(P,H) : pigeon(P) }."
    result = engine.solve(pigeons, models=1, time_limit=1.0)
    assert result.status == "UNKNOWN" and result.timed_out
    assert_pool_answers(engine)


def test_solve_reports_answer_sets_with_show_and_optimal_cost(engine):
    result = engine.solve("{ a; b; c } = 1.\nx :- a.\n#show a/0. #show b/0. #show x/0.", models=0)
    assert result.status == "SAT" and result.exhausted
    assert sorted(result.models) == [(), ("a", "x"), ("b",)]
    optimum = engine.solve(
        "item(1..4). { take(I) : item(I) } = 2.\n"
        'penalty("w", I, I) :- take(I).\n#minimize { W,N,T : penalty(N,T,W) }.\n#show take/1.',
        models=5,
    )
    assert optimum.status == "SAT" and optimum.optimal and optimum.cost == (3,)
    assert optimum.models == (("take(1)", "take(2)"),)
    assert engine.solve("a. :- a.").status == "UNSAT"
    broken = engine.solve("a :- b")
    assert broken.status == "ERROR" and broken.diagnostics[0].kind == "syntax"


def test_validate_many_keeps_input_order_and_reports_progress(engine):
    items = [("ok(%d)." % i, "") if i % 3 else ("bad(%d)" % i, "") for i in range(200)]
    seen = []
    results = engine.validate_many(items, progress=lambda done, total: seen.append((done, total)))
    assert [r.ok for r in results] == [bool(i % 3) for i in range(200)]
    assert len(seen) == 200 and max(seen)[0] == 200


def test_engine_is_safe_from_many_threads(engine):
    outcomes = []

    def work(i):
        outcomes.append(engine.validate(f"t({i})." if i % 2 else f"t({i})").ok == bool(i % 2))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == [True] * 16


def test_a_batch_whose_answers_overflow_the_pipe_does_not_deadlock():
    # Each answer carries 100 diagnostics; 32 of them are far more than a pipe holds, while the
    # requests (distinct 8 KB contexts) are too: neither side may block writing.
    bad = "\n".join(f"p{i} :- q{i}, !r{i}." for i in range(150))
    items = [(bad, "f(1).\n" + "% padding\n" * 800 + f"% {i}\n") for i in range(32)]
    with Engine(EngineConfig(workers=1, wall_s=20)) as engine:
        done = []
        worker = threading.Thread(target=lambda: done.append(engine.validate_many(items)), daemon=True)
        worker.start()
        worker.join(30)
        assert done, "validate_many deadlocked"
        assert all(not r.ok and len(r.errors) >= 20 for r in done[0])


def test_an_interrupted_batch_leaves_no_answers_for_the_next_caller():
    with Engine(EngineConfig(workers=1)) as engine:
        def stop(done, total):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            engine.validate_many(["a :- b"] * 5, progress=stop)
        assert all(engine.validate("a.").ok for _ in range(4))


def test_closing_wakes_callers_waiting_for_a_worker():
    engine = Engine(EngineConfig(workers=1, cpu_s=60, wall_s=60))
    busy = threading.Thread(target=lambda: engine.validate("p(X) :- X = 1..300000000, X \\ 7 = 8."), daemon=True)
    busy.start()
    time.sleep(0.5)
    outcome = []

    def waiter():
        try:
            engine.validate("a.")
            outcome.append("answered")
        except RuntimeError as err:
            outcome.append(str(err))

    second = threading.Thread(target=waiter, daemon=True)
    second.start()
    time.sleep(0.3)
    engine.close()
    second.join(60)
    assert outcome and outcome[0] in ("answered", "the clingo engine is closed")


def test_a_worker_that_fails_to_start_frees_its_slot(monkeypatch):
    import asp_ft_tui.asp.engine as engine_module

    with Engine(EngineConfig(workers=1)) as engine:
        real = engine_module._Worker
        monkeypatch.setattr(engine_module, "_Worker", lambda config: (_ for _ in ()).throw(OSError("no fork")))
        with pytest.raises(OSError):
            engine.validate("a.")
        monkeypatch.setattr(engine_module, "_Worker", real)
        assert engine.validate("a.").ok


def test_a_nul_character_is_refused(engine):
    result = engine.validate("a.\x00p(X) :- q. :- :-")
    assert not result.ok and result.errors[0].kind == "forbidden" and "NUL" in result.error_text
