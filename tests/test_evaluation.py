"""Evaluation: clingo scoring of hand-written answers, and real generations with the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asp_ft_tui.evaluation.evaluate import EvalError, evaluate, read_split, table_rows
from asp_ft_tui.evaluation.scoring import score

from training_data import no_kernel_compilation, tiny_model  # noqa: F401

@pytest.fixture(scope="module")
def engine():
    from asp_ft_tui.asp.engine import Engine, EngineConfig

    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


CONTEXT = "node(1..4). edge(1,2). edge(2,3). edge(3,4).\n{ in(N) } :- node(N)."
HARD = {"task": "hard", "context": CONTEXT, "answer": ":- edge(X,Y), in(X), in(Y)."}


def test_a_known_good_answer_is_valid_exact_and_semantic(engine):
    verdict = score(engine, HARD, ":-  edge(X,Y),in(X), in(Y) .")
    assert (verdict.valid, verdict.exact, verdict.semantic) == (True, True, "yes")


def test_a_reordered_body_is_semantic_but_not_exact(engine):
    verdict = score(engine, HARD, ":- in(X), in(Y), edge(X,Y).")
    assert (verdict.valid, verdict.exact, verdict.semantic) == (True, False, "yes")


def test_a_helper_predicate_of_the_answer_own_does_not_count(engine):
    verdict = score(engine, HARD, "both(X,Y) :- edge(X,Y), in(X), in(Y).\n:- both(X,Y).")
    assert (verdict.valid, verdict.exact, verdict.semantic) == (True, False, "yes")


def test_an_unsafe_variable_is_invalid_with_clingos_message(engine):
    verdict = score(engine, HARD, ":- in(X), not edge(X,Z).")
    assert not verdict.valid and "unsafe" in verdict.error and verdict.semantic == "no"


def test_an_answer_that_changes_the_meaning_is_valid_but_not_semantic(engine):
    verdict = score(engine, HARD, ":- edge(X,Y), in(X).")
    assert (verdict.valid, verdict.semantic) == (True, "no")


def test_an_include_is_refused(engine, tmp_path):
    secret = tmp_path / "secret.lp"
    secret.write_text("in(1).")
    verdict = score(engine, HARD, f'#include "{secret}".\n:- edge(X,Y), in(X), in(Y).')
    assert not verdict.valid and "#include is not allowed" in verdict.error


def test_too_many_answer_sets_is_inconclusive_never_agreement(engine):
    wide = {"task": "generator", "context": "n(1..12).", "answer": "{ p(X) } :- n(X)."}
    verdict = score(engine, wide, "{ p(X) : n(X) }.")
    assert verdict.semantic == "inconclusive" and "more than" in verdict.notes[0]


def test_an_optimisation_compares_optimal_costs(engine):
    soft = {"task": "soft", "context": "n(1..3). { p(X) } :- n(X). :- not p(1).",
            "answer": "#minimize { 1,X : p(X) }."}
    assert score(engine, soft, "#minimize { 1,Y : p(Y) }.").semantic == "yes"
    assert score(engine, soft, "#minimize { 2,X : p(X) }.").semantic == "no"


def test_a_repair_must_change_the_broken_input_and_keep_the_meaning(engine):
    repair = {**HARD, "task": "repair", "broken": ":- edge(X,Y), in(X), in(Y), not in(Z)."}
    fixed = score(engine, repair, ":- edge(X,Y), in(X), in(Y).")
    assert fixed.repair is True
    echoed = score(engine, repair, repair["broken"])
    assert echoed.repair is False and not echoed.valid


def test_a_split_without_its_meta_file_is_refused(tmp_path):
    (tmp_path / "valid.jsonl").write_text('{"messages": []}\n')
    with pytest.raises(EvalError, match="valid.meta.jsonl is missing"):
        read_split(tmp_path / "valid.jsonl")


def _export(folder: Path) -> Path:
    folder.mkdir(parents=True)
    chat, meta = [], []
    for n in range(2, 8):
        answer = f"node(1..{n})."
        chat.append({"messages": [{"role": "system", "content": "You write clingo."},
                                  {"role": "user", "content": f"Write facts for nodes 1 to {n}."},
                                  {"role": "assistant", "content": answer}]})
        meta.append({"key": f"k{n}", "task": "instance", "context": "", "answer": answer, "broken": None})
    (folder / "valid.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chat))
    (folder / "valid.meta.jsonl").write_text("".join(json.dumps(r) + "\n" for r in meta))
    return folder / "valid.jsonl"


def test_base_model_generations_are_scored_and_written(tmp_path, tiny_model, engine):
    from mlx_lm import load
    from mlx_lm.generate import batch_generate

    data = _export(tmp_path / "export")
    summary = evaluate(str(tiny_model), data, tmp_path / "out", engine, limit=4)
    rows = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and summary.counts["all"]["n"] == 4
    model, tokenizer = load(str(tiny_model))
    prompt = tokenizer.apply_chat_template(json.loads(data.read_text().splitlines()[0])["messages"][:-1],
                                           add_generation_prompt=True)
    again = batch_generate(model, tokenizer, [prompt], max_tokens=[2 * len(tokenizer.encode("node(1..2).")) + 32])
    assert rows[0]["output"] == again.texts[0], "the per-sample file holds the generated text"
    assert rows[0]["verdict"]["failure"] or rows[0]["verdict"]["valid"] in (True, False)
    header, table = table_rows([summary])
    assert header[:3] == ["model", "task", "n"] and table[-1][1] == "all"
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["counts"]["all"]["n"] == 4


def test_early_stopping_keeps_the_best_checkpoint(tmp_path, tiny_model):
    from asp_ft_tui.training import runs
    from asp_ft_tui.training.config import TrainSettings
    from asp_ft_tui.training.events import read_events

    data = _export(tmp_path / "export").parent
    (data / "train.jsonl").write_text((data / "valid.jsonl").read_text() * 3)
    # A learning rate of almost 0: nothing improves after the first evaluation.
    settings = TrainSettings(model=str(tiny_model), data=str(data), iters=400, steps_per_report=2, steps_per_eval=400,
                             save_every=400, val_batches=2, learning_rate=1e-12, blas="off", grad_accumulation_steps=2,
                             eval_every=2, eval_samples=2, patience=1)
    run_dir = runs.prepare(tmp_path / "adapters", settings)
    assert runs.start(run_dir).wait(timeout=600) == 0, runs.log_tail(run_dir)
    events = read_events(run_dir / "events.jsonl")
    evals = [e for e in events if e["kind"] == "eval"]
    assert [e["iteration"] for e in evals] == [4, 8] and [e["improved"] for e in evals] == [True, False]
    assert events[-1] == {**events[-1], "kind": "end", "reason": "early stop", "iteration": 8}
    assert runs.load_run(run_dir).status == "stopped early"
    best = json.loads((run_dir / "best" / "state.json").read_text())
    assert best["iteration"] == 4 and (run_dir / "best" / "adapters.safetensors").is_file()


def test_a_grounding_bomb_costs_one_sample(engine):
    bomb = {"task": "generator", "context": "n(1..2000).", "answer": "{ p(X) } :- n(X)."}
    verdict = score(engine, bomb, "p(X,Y,Z) :- n(X), n(Y), n(Z).")
    assert not verdict.valid and "resource limit" in verdict.error
    assert score(engine, HARD, ":- edge(X,Y), in(X), in(Y).").exact, "the engine answers the next sample"


def test_generation_faults_are_sample_failures(tiny_model, monkeypatch):
    import sys

    from mlx_lm import load

    from asp_ft_tui.evaluation import evaluate as module

    generation = sys.modules["mlx_lm.generate"]  # the package's `generate` function hides the module
    model, tokenizer = load(str(tiny_model))
    prompts = [[{"role": "user", "content": f"Write facts for nodes 1 to {n}."}] for n in (2, 3, 4)]
    real = generation.batch_generate
    poisoned = tokenizer.apply_chat_template(prompts[1], add_generation_prompt=True)

    def crashing(model, tokenizer, prompts, **kwargs):
        if poisoned in prompts:
            raise RuntimeError("a kernel failed on this prompt")
        return real(model, tokenizer, prompts, **kwargs)

    monkeypatch.setattr(generation, "batch_generate", crashing)
    outputs = module.generate_answers(model, tokenizer, prompts, [6, 6, 6])
    assert [bool(o["failure"]) for o in outputs] == [True, True, True]
    assert "generation failed: RuntimeError" in outputs[1]["failure"]
    assert "did not stop within 6 tokens" in outputs[0]["failure"], "a random model never stops"
    assert module._fault("p(\ufffd).", [5, 2], 10, tokenizer) == "invalid UTF-8 in the output"
    assert module._fault("p(1).", [5, tokenizer.eos_token_ids and next(iter(tokenizer.eos_token_ids))], 2,
                         tokenizer) == ""
