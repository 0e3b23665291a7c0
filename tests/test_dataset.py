"""Samples, split and export: identity across re-extraction, no group leakage, reproducible
files that mlx-lm loads, and `asp-ft convert` on another pipeline's tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from asp_ft_tui import paths
from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.domain.samples import CHANGED, Sample, review_status
from asp_ft_tui.domain.split import split_benchmarks
from asp_ft_tui.export import ExportError, ExportSettings, export_dataset
from asp_ft_tui.extraction import Extractor, Settings, run_extraction
from asp_ft_tui.prompts import load_prompts
from asp_ft_tui.samples import BuildSettings, SampleCache, build_samples
from asp_ft_tui.store import CurationStore
from asp_ft_tui.teachers.structural import StructuralTeacher
from asp_ft_tui.workspace import copy_benchmark_inputs

from conftest import REPO


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


def extract(engine, benchmarks, **settings):
    run_extraction(Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings(**settings)), benchmarks)


def build(engine, workspace, benchmarks, **settings):
    return build_samples(benchmarks, load_prompts(), engine, BuildSettings(**settings),
                         SampleCache(workspace.cache_dir / "samples", BuildSettings(**settings)))


@pytest.fixture
def built(engine, workspace):
    library = discover(workspace.benchmarks_dir)
    extract(engine, library.benchmarks)
    report = build(engine, workspace, library.benchmarks)
    return library, report


def all_samples(report) -> list[Sample]:
    return [s for items in report.samples.values() for s in items]


def test_every_component_gets_translation_samples_and_some_repairs(built):
    library, report = built
    samples = all_samples(report)
    assert report.built == len(library.benchmarks) and not report.missing
    tasks = {s.task for s in samples}
    assert tasks == {"instance", "generator", "hard", "soft", "repair"}
    assert all(s.valid for s in samples)
    assert len({s.key for s in samples}) == len(samples), "keys are unique"
    repairs = [s for s in samples if s.task == "repair"]
    assert len({s.operator for s in repairs}) >= 10
    for s in repairs:
        assert s.broken in s.user and s.error in s.user and s.answer != s.broken
    hard = next(s for s in samples if s.task == "hard")
    bench = library.get(hard.benchmark_id)
    assert bench.description.strip() in hard.user and "Instance:" in hard.user and "Generator:" in hard.user
    assert hard.system == load_prompts().text("task_hard")


def test_repair_rate_is_about_one_half(engine, workspace, built):
    library, report = built
    components = sum(1 for s in all_samples(report) if s.task != "repair")
    repairs = sum(1 for s in all_samples(report) if s.task == "repair")
    assert 0.3 * components < repairs < 0.7 * components
    none = build(engine, workspace, library.benchmarks, repair_rate=0.0)
    assert not any(s.task == "repair" for s in all_samples(none))


def test_the_cache_is_used_until_the_structure_changes(engine, workspace, built):
    library, report = built
    again = build(engine, workspace, library.benchmarks)
    assert again.cached == len(library.benchmarks) and again.built == 0
    assert all_samples(again) == all_samples(report)
    bench = library.benchmarks[0]
    structure = json.loads((bench.path / "structure.json").read_text())
    structure["generator"] += "\n% edited by a reviewer"
    (bench.path / "structure.json").write_text(json.dumps(structure))
    third = build(engine, workspace, library.benchmarks)
    assert third.built == 1 and third.cached == len(library.benchmarks) - 1


def test_a_decision_survives_re_extraction_and_an_edit_shows_as_changed(engine, workspace, built):
    library, report = built
    sample = next(s for s in all_samples(report) if s.task == "hard")
    with CurationStore.for_workspace(workspace) as store:
        store.record(sample.key, "approved", sample.content_hash)
    bench = library.get(sample.benchmark_id)
    extract(engine, [bench], force=True)
    rebuilt = {s.key: s for s in build(engine, workspace, [bench]).samples[bench.id]}
    with CurationStore.for_workspace(workspace, readonly=True) as store:
        decision = store.decision(sample.key)
    assert review_status(rebuilt[sample.key], decision) == "approved"
    structure = json.loads((bench.path / "structure.json").read_text())
    index = int(sample.slot.split("/")[1])
    structure["hard_constraints"][index]["asp_rule"] += "\n% tightened"
    (bench.path / "structure.json").write_text(json.dumps(structure))
    edited = {s.key: s for s in build(engine, workspace, [bench]).samples[bench.id]}
    assert review_status(edited[sample.key], decision) == CHANGED


def test_no_group_leaks_across_splits_for_any_seed(workspace):
    library = discover(workspace.benchmarks_dir)
    original = library.get("Graph Problems/clique")
    copy = workspace.benchmarks_dir / "Copies" / "team_of_friends"
    shutil.copytree(original.path, copy)
    (copy / "ASP.txt").write_text(original.asp.replace("\n", "\r\n") + "\n\n")
    library = discover(workspace.benchmarks_dir)
    for seed in range(60):
        split = split_benchmarks(library.benchmarks, seed)
        for bench in library.benchmarks:
            for other in library.groups()[bench.group]:
                assert split.assignment[bench.id] == split.assignment[other.id]
        assert split.assignment["Copies/team_of_friends"] == split.assignment["Graph Problems/clique"]
        assert split.duplicates == [["Copies/team_of_friends", "Graph Problems/clique"]]
        counts = split.counts()
        assert counts.get("valid", 0) > 0 and counts.get("train", 0) > counts.get("valid", 0)
    with_test = split_benchmarks(library.benchmarks, 1, test_fraction=0.1).counts()
    assert with_test["test"] > 0
    two_groups = [library.get("Puzzles/sudoku_4x4"), library.get("Graph Problems/clique")]
    assert all(split_benchmarks(two_groups, seed).counts() == {"train": 1, "valid": 1} for seed in range(10))
    one_group = [library.get("Copies/team_of_friends"), library.get("Graph Problems/clique")]
    assert split_benchmarks(one_group, 0).counts() == {"train": 2}


def test_same_seed_gives_byte_identical_files_and_exports_are_kept(engine, workspace, built):
    library, report = built
    samples = all_samples(report)
    first = export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many)
    second = export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many)
    for name in ("train.jsonl", "valid.jsonl"):
        assert (first.path / name).read_bytes() == (second.path / name).read_bytes()
        assert (workspace.data_dir / name).read_bytes() == (first.path / name).read_bytes()
    other = export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many,
                           ExportSettings(seed=7))
    assert (other.path / "valid.jsonl").read_bytes() != (first.path / "valid.jsonl").read_bytes()
    card = json.loads((first.path / "card.json").read_text())
    assert card["samples"]["train"] == first.counts["train"] and card["per_operator"] and card["per_task"]["train"]
    assert "T" not in (first.path / "train.jsonl").read_text().split('"content"')[0]  # no timestamps in lines
    assert len(list((workspace.data_dir / "exports").iterdir())) >= 2


def test_exported_files_load_with_mlx_lm_and_only_the_answer_is_in_the_loss(engine, workspace, built, tmp_path):
    from types import SimpleNamespace

    from mlx_lm import load
    from mlx_lm.tuner.datasets import load_dataset

    from asp_ft_tui.training.tiny_model import make_tiny_model

    library, report = built
    result = export_dataset(all_samples(report), library.benchmarks, workspace.data_dir, engine.validate_many)
    _, tokenizer = load(str(make_tiny_model(tmp_path / "tiny")))
    args = SimpleNamespace(data=str(result.path), train=True, test=False, mask_prompt=True, hf_dataset=False)
    train, valid, _ = load_dataset(args, tokenizer)
    assert len(train) == result.counts["train"] and len(valid) == result.counts["valid"]
    lines = [json.loads(line) for line in (result.path / "train.jsonl").read_text().splitlines()]
    for index in range(0, len(train), max(1, len(train) // 12)):
        tokens, offset = train.process(train[index])
        answer = lines[index]["messages"][-1]["content"]
        assert tokenizer.decode(tokens[offset:]) == answer + "<|im_end|>\n"
        assert "<|im_start|>assistant" in tokenizer.decode(tokens[:offset])


def test_an_invalid_answer_stops_the_export_with_a_list(engine, workspace, built):
    library, report = built
    samples = all_samples(report)
    broken = Sample(**{**samples[0].to_dict(), "answer": samples[0].answer + " :- oops"})
    with pytest.raises(ExportError) as err:
        export_dataset([broken, *samples[1:]], library.benchmarks, workspace.data_dir, engine.validate_many)
    assert broken.key in err.value.problems[0]
    assert not (workspace.data_dir / "exports").exists()


def test_an_empty_export_stops_with_a_clear_message(engine, workspace, built):
    library, report = built
    with pytest.raises(ExportError, match="no approved samples"):
        export_dataset(all_samples(report), library.benchmarks, workspace.data_dir, engine.validate_many,
                       ExportSettings(only="approved"), decisions={})


def test_approved_only_exports_approved_unchanged_samples_with_edits(engine, workspace, built):
    library, report = built
    samples = all_samples(report)
    chosen = [s for s in samples if s.task == "generator"][:3]
    with CurationStore.for_workspace(workspace) as store:
        store.record(chosen[0].key, "approved", chosen[0].content_hash)
        store.record(chosen[1].key, "approved", "stale-hash")
        store.record(chosen[2].key, "approved", chosen[2].content_hash, edit=chosen[2].answer + "\n% reviewed")
        decisions = store.decisions()
    result = export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many,
                            ExportSettings(only="approved"), decisions)
    exported = [json.loads(line)["messages"][-1]["content"]
                for name in ("train", "valid") for line in (result.path / f"{name}.jsonl").read_text().splitlines()]
    assert sorted(exported) == sorted([chosen[0].answer, chosen[2].answer + "\n% reviewed"])


def test_convert_on_another_pipelines_tree(tmp_path):
    tree = tmp_path / "other"
    bundled = paths.bundled_benchmarks()
    for rel, name in [("Scheduling/nurse_rostering", "nurse rostering"),
                      ("Scheduling/nurse_rostering_variant_weekend", "nurse rostering_variant_weekend"),
                      ("Graph Problems/dominating_set", "dominating set"),
                      ("Puzzles/n_queens", "n queens"), ("Puzzles/sudoku_4x4", "sudoku")]:
        copy_benchmark_inputs(bundled / rel, tree / "Room Booking Style" / "Hard Problems" / name)
    (tree / "Room Booking Style" / "Hard Problems" / "sudoku" / "NL.txt").unlink()
    (tree / "Room Booking Style" / "Hard Problems" / "sudoku" / "IR.txt").write_text("Objects: a 4x4 grid\n")
    with Engine(EngineConfig(workers=1)) as engine:
        nq = discover(tree / "Room Booking Style" / "Hard Problems" / "n queens").benchmarks[0]
        foreign = StructuralTeacher(engine).extract(nq, "Academic", load_prompts()).structure.to_dict()
    foreign.pop("show")
    (nq.path / "structure.json").write_text(json.dumps(foreign, indent=4))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "asp_ft_tui.convert", "--input", str(tree), "--output", str(out),
                          "--teacher", "structural", "--seed", "3"], capture_output=True, text=True,
                         cwd=tmp_path, env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    assert run.returncode == 0, run.stderr
    assert "benchmarks: 5" in run.stdout
    train = (out / "train.jsonl").read_text().splitlines()
    valid = (out / "valid.jsonl").read_text().splitlines()
    assert train and valid and all(json.loads(line)["messages"][2]["role"] == "assistant" for line in train)
    exports = list((out / "exports").iterdir())
    assert len(exports) == 1 and (exports[0] / "card.md").exists()


def test_an_approved_fix_of_an_invalid_answer_is_exported(engine, workspace, built):
    library, report = built
    samples = all_samples(report)
    good = next(s for s in samples if s.task == "hard")
    other = next(s for s in samples if s.task == "generator" and s.group != good.group)  # valid needs a group
    broken = Sample(**{**good.to_dict(), "answer": good.answer.rstrip("."), "valid": False})
    rest = [s for s in samples if s.key != good.key]
    decisions = {}
    with CurationStore.for_workspace(workspace) as store:
        store.record(broken.key, "approved", broken.content_hash, edit=good.answer)
        store.record(other.key, "approved", other.content_hash)
        decisions = store.decisions()
    result = export_dataset([broken, *rest], library.benchmarks, workspace.data_dir, engine.validate_many,
                            ExportSettings(only="approved"), decisions)
    lines = [line for name in ("train", "valid") for line in (result.path / f"{name}.jsonl").read_text().splitlines()]
    assert sorted(json.loads(line)["messages"][-1]["content"] for line in lines) == sorted([good.answer, other.answer])


def test_approved_only_splits_the_groups_that_have_approved_samples(engine, workspace, built):
    library, report = built
    samples = all_samples(report)
    picked = [s for s in samples if s.benchmark_id in ("Graph Problems/dominating_set", "Graph Problems/shortest_path")]
    with CurationStore.for_workspace(workspace) as store:
        store.record_many([(s.key, "approved", s.content_hash, None, None) for s in picked if s.valid])
        decisions = store.decisions()
    result = export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many,
                            ExportSettings(only="approved"), decisions)
    assert result.counts["train"] > 0 and result.counts["valid"] > 0


def test_a_stale_test_split_is_removed_by_the_next_export(engine, workspace, built):
    library, report = built
    samples = all_samples(report)
    export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many, ExportSettings(test_fraction=0.2))
    assert (workspace.data_dir / "test.jsonl").exists()
    export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many)
    assert not (workspace.data_dir / "test.jsonl").exists()


def test_builds_with_other_settings_do_not_evict_the_apps_cache(engine, workspace, built):
    from asp_ft_tui.review import ReviewSession

    library, _ = built
    build(engine, workspace, library.benchmarks, seed=3)
    with ReviewSession.open(workspace, readonly=True) as session:
        assert len(session.rows) > 0
