"""Dataset quality on real files with the real clingo engine: no sample without code, no
repeated sample, and no export mlx-lm cannot use (an empty validation split), in the library,
`asp-ft convert` and the app."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from asp_ft_tui import paths
from asp_ft_tui.asp.corrupt import has_code
from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.domain.samples import Sample
from asp_ft_tui.export import ExportError, ExportSettings, export_dataset
from asp_ft_tui.extraction import Extractor, Settings, run_extraction
from asp_ft_tui.prompts import load_prompts
from asp_ft_tui.samples import BuildSettings, SampleCache, build_samples
from asp_ft_tui.store import CurationStore
from asp_ft_tui.teachers.structural import StructuralTeacher
from asp_ft_tui.workspace import copy_benchmark_inputs, init_workspace

sys.path.insert(0, str(Path(__file__).parent / "bench"))
from synth import make_workspace  # noqa: E402

NO_VALID = "the validation split would be empty"


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


def extract(engine, benchmarks) -> None:
    run_extraction(Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings()), benchmarks)


def build(engine, workspace, benchmarks, **settings) -> list[Sample]:
    report = build_samples(benchmarks, load_prompts(), engine, BuildSettings(**settings),
                           SampleCache(workspace.cache_dir / "samples", BuildSettings(**settings)))
    return [s for items in report.samples.values() for s in items]


def messages(sample: Sample) -> tuple[str, str, str]:
    return sample.system, sample.user, sample.answer


def exported_lines(path: Path) -> list[str]:
    return [line for name in ("train", "valid", "test") if (path / f"{name}.jsonl").exists()
            for line in (path / f"{name}.jsonl").read_text().splitlines()]


def on_disk(data_dir: Path) -> dict[str, bytes]:
    """Every file an export writes: exports/ (staging folders included) and the data/*.jsonl copies."""
    files = [*data_dir.glob("*.jsonl"), *(data_dir / "exports").rglob("*")]
    return {str(p.relative_to(data_dir)): p.read_bytes() for p in sorted(files) if p.is_file()}


def approve(workspace, samples: list[Sample]) -> dict:
    with CurationStore.for_workspace(workspace) as store:
        store.record_many([(s.key, "approved", s.content_hash, None, None) for s in samples])
        return store.decisions()


# -- 1. no empty samples ---------------------------------------------------------------------------


def test_components_without_code_yield_no_sample_and_no_repair_pair(engine, tmp_path):
    ws = make_workspace(tmp_path / "ws", 2, seed=4, variant_every=0, ir_every=0)
    bench = discover(ws.benchmarks_dir).benchmarks[0]
    # A foreign cache as real trees hold them: empty instance, a generator that is only a note,
    # constraints with no rule; one real constraint among them.
    (bench.path / "structure.json").write_text(json.dumps({
        "instance_template": "", "generator": "  % generated elsewhere\n",
        "hard_constraints": [{"description": "Nothing yet.", "asp_rule": ""},
                             {"description": "A note only.", "asp_rule": "% to do\n"},
                             {"description": "No vertex is red.", "asp_rule": ":- assign(V,red), vertex(V)."}],
        "soft_constraints": [{"description": "Blank.", "asp_rule": "   \n"}],
        "global_objective": ""}))
    (bench.path / "structure.meta.json").write_text(json.dumps({"repairs": [
        {"slot": "hard/0", "round": 1, "code": ":- assign(V,red) vertex(V).", "error": "syntax error"},
        {"slot": "hard/2", "round": 1, "code": "% nothing\n", "error": "syntax error"}]}))
    samples = build(engine, ws, [bench], repair_rate=1.0)
    assert {(s.task, s.slot) for s in samples} == {("hard", "hard/2"), ("repair", "hard/2")}
    for s in samples:
        assert has_code(s.answer) and s.user.strip()
        assert s.task != "repair" or has_code(s.broken)


@pytest.mark.parametrize("tree", ["bundled", "generated"])
def test_a_whole_tree_with_hollow_caches_exports_code_on_both_sides_and_no_repeat(engine, tmp_path, tree):
    ws = init_workspace(tmp_path / "ws") if tree == "bundled" else make_workspace(tmp_path / "ws", 12, seed=2)
    library = discover(ws.benchmarks_dir)
    extract(engine, library.benchmarks)
    for bench in library.benchmarks[::3]:  # some caches as another pipeline left them
        structure = json.loads((bench.path / "structure.json").read_text())
        structure.update(instance_template="", generator="% see the instance\n")
        structure["hard_constraints"].append({"description": "Reserved.", "asp_rule": " "})
        (bench.path / "structure.json").write_text(json.dumps(structure))
    samples = build(engine, ws, library.benchmarks, repair_rate=1.0)
    assert [s.key for s in samples if not has_code(s.answer) or not s.user.strip()] == []
    assert [s.key for s in samples if s.task == "repair" and not has_code(s.broken or "")] == []
    by_bench: dict[str, list] = {}
    for s in samples:
        by_bench.setdefault(s.benchmark_id, []).append(messages(s))
    assert all(len(set(items)) == len(items) for items in by_bench.values()), "repeats within a benchmark"
    result = export_dataset(samples, library.benchmarks, ws.data_dir, engine.validate_many)
    rows = [json.loads(line)["messages"] for line in exported_lines(result.path)]
    assert rows and all(has_code(row[2]["content"]) and row[1]["content"].strip() for row in rows)
    assert len({tuple(m["content"] for m in row) for row in rows}) == len(rows)
    assert result.counts["valid"] > 0


@pytest.fixture
def bundled(engine, workspace):
    library = discover(workspace.benchmarks_dir)
    extract(engine, library.benchmarks)
    return library, build(engine, workspace, library.benchmarks)


def test_the_export_refuses_empty_answers_and_prompts_and_writes_nothing(engine, workspace, bundled):
    library, samples = bundled
    export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many)
    before = on_disk(workspace.data_dir)
    # What an old sample cache may hold: an empty component's sample, a prompt lost on the way.
    stale = Sample(**{**samples[0].to_dict(), "key": samples[0].key + "-stale", "answer": ""})
    mute = Sample(**{**samples[1].to_dict(), "user": " \n"})
    with pytest.raises(ExportError) as err:
        export_dataset([stale, mute, *samples[2:]], library.benchmarks, workspace.data_dir, engine.validate_many)
    assert err.value.problems == [f"{stale.key}: empty answer", f"{mute.key}: empty prompt"]
    assert on_disk(workspace.data_dir) == before

    # Reviewers' edits that leave nothing or only a comment: approved, valid for clingo, and empty.
    emptied, noted = samples[0], samples[1]
    other = next(s for s in samples if s.group != samples[0].group)
    with CurationStore.for_workspace(workspace) as store:
        store.record(emptied.key, "approved", emptied.content_hash, edit="")
        store.record(noted.key, "approved", noted.content_hash, edit="% nothing to do here\n")
        store.record(other.key, "approved", other.content_hash)
        decisions = store.decisions()
    with pytest.raises(ExportError, match="empty answer or prompt") as err:
        export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many,
                       ExportSettings(only="approved"), decisions)
    assert err.value.problems == [f"{emptied.key}: empty answer", f"{noted.key}: empty answer"]
    assert on_disk(workspace.data_dir) == before


# -- 2. no repeated samples ------------------------------------------------------------------------


def test_repeated_samples_are_built_once_within_a_benchmark(engine, tmp_path):
    ws = make_workspace(tmp_path / "ws", 2, seed=5, variant_every=0, ir_every=0)
    bench = discover(ws.benchmarks_dir).benchmarks[0]
    rule = {"description": "No vertex is red.", "asp_rule": ":- assign(V,red), vertex(V)."}
    (bench.path / "structure.json").write_text(json.dumps({
        "instance_template": "vertex(1..3).", "generator": "{ assign(V,red) } :- vertex(V).",
        "hard_constraints": [rule, dict(rule)], "soft_constraints": [], "global_objective": ""}))
    (bench.path / "structure.meta.json").write_text(json.dumps({"descriptions": {
        "generator": {"Academic": "Each vertex may be red.", "Casual": "Each vertex may be red."}}}))
    samples = build(engine, ws, [bench], repair_rate=0.0)
    assert sorted(s.slot for s in samples) == ["generator", "hard/0", "instance"]


def test_identical_benchmarks_under_other_names_are_written_once(engine, tmp_path):
    """Real trees hold copies of a benchmark folder, its structure caches included."""
    ws = make_workspace(tmp_path / "ws", 6, seed=3, variant_every=0, ir_every=0)
    library = discover(ws.benchmarks_dir)
    extract(engine, library.benchmarks)
    original = library.benchmarks[0]
    for name in ("Copies/first copy", "Elsewhere/Deep/second_copy"):
        shutil.copytree(original.path, ws.benchmarks_dir / name)
    library = discover(ws.benchmarks_dir)
    samples = build(engine, ws, library.benchmarks)
    seen: set = set()
    repeats = 0
    for s in sorted(samples, key=lambda s: s.key):
        repeats += messages(s) in seen
        seen.add(messages(s))
    assert repeats >= 2 * sum(1 for s in samples if s.benchmark_id == original.id and s.task != "repair")
    # A copy adds nothing at all: not its translations (repeats word for word), nor its repair
    # pairs (broken with another seed) or another tone it may have been given.
    kept = sorted([original.id, "Copies/first copy", "Elsewhere/Deep/second_copy"])[0]
    wanted = {messages(s) for s in samples if s.benchmark_id == kept or s.benchmark_id not in
              (original.id, "Copies/first copy", "Elsewhere/Deep/second_copy")}
    result = export_dataset(samples, library.benchmarks, ws.data_dir, engine.validate_many)
    lines = exported_lines(result.path)
    contents = [tuple(m["content"] for m in json.loads(line)["messages"]) for line in lines]
    assert len(contents) == len(set(contents)) and set(contents) == wanted
    dropped = len(samples) - len(wanted)
    assert dropped >= repeats
    assert result.card["repeats_dropped"] == dropped
    assert json.loads((result.path / "card.json").read_text())["repeats_dropped"] == dropped
    assert f"of an identical copy of a benchmark) dropped: {dropped}" in (result.path / "card.md").read_text()
    assert sum(result.counts.values()) == len(wanted)


# -- 8. splits mlx-lm can use ----------------------------------------------------------------------


def test_valid_is_never_empty_after_repeats_are_dropped(engine, tmp_path):
    """Three groups, one of them a near copy (a comment more in its ASP: another group, the same
    samples): whichever group a seed would have sent to valid, valid.jsonl is never empty."""
    ws = make_workspace(tmp_path / "ws", 2, seed=6, variant_every=0, ir_every=0)
    library = discover(ws.benchmarks_dir)
    extract(engine, library.benchmarks)
    original = library.benchmarks[0]
    near = ws.benchmarks_dir / "Copies" / "near_copy"
    shutil.copytree(original.path, near)
    (near / "ASP.txt").write_text(original.asp + "\n% copied from the original\n")
    library = discover(ws.benchmarks_dir)
    samples = build(engine, ws, library.benchmarks, repair_rate=0.0)
    assert {messages(s) for s in samples if s.benchmark_id == "Copies/near_copy"} <= \
        {messages(s) for s in samples if s.benchmark_id == original.id}
    for seed in range(8):
        for fraction in (0.0, 0.2, 0.45):
            result = export_dataset(samples, library.benchmarks, ws.data_dir / str(seed), engine.validate_many,
                                    ExportSettings(seed=seed, valid_fraction=fraction))
            assert result.counts["valid"] > 0 and result.counts["train"] > 0
            assert (ws.data_dir / str(seed) / "valid.jsonl").read_text().strip()


def test_approved_samples_from_one_benchmark_stop_the_export_before_writing(engine, workspace, bundled):
    library, samples = bundled
    export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many)
    before = on_disk(workspace.data_dir)
    bench = library.get("Graph Problems/clique")
    decisions = approve(workspace, [s for s in samples if s.benchmark_id == bench.id])
    with pytest.raises(ExportError) as err:
        export_dataset(samples, library.benchmarks, workspace.data_dir, engine.validate_many,
                       ExportSettings(only="approved"), decisions)
    message = str(err.value)
    assert NO_VALID in message and bench.id in message
    assert "approve samples from at least one more benchmark" in message
    assert on_disk(workspace.data_dir) == before


def test_a_tree_of_one_group_stops_the_export_and_asks_for_benchmarks(engine, tmp_path):
    """A base and its variant are one group: nothing can go to valid without leaking."""
    ws = make_workspace(tmp_path / "ws", 2, seed=7, variant_every=1, ir_every=0)
    library = discover(ws.benchmarks_dir)
    assert len(library.benchmarks) == 2 and len(library.groups()) == 1
    extract(engine, library.benchmarks)
    samples = build(engine, ws, library.benchmarks)
    with pytest.raises(ExportError, match="add benchmarks") as err:
        export_dataset(samples, library.benchmarks, ws.data_dir, engine.validate_many)
    assert NO_VALID in str(err.value)
    assert not ws.data_dir.joinpath("exports").exists() and not ws.data_dir.joinpath("valid.jsonl").exists()


def _one_benchmark_approved(engine, root: Path):
    ws = init_workspace(root, with_samples=False)
    for rel in ("Graph Problems/clique", "Puzzles/sudoku_4x4"):
        copy_benchmark_inputs(paths.bundled_benchmarks() / rel, ws.benchmarks_dir / rel)
    library = discover(ws.benchmarks_dir)
    extract(engine, library.benchmarks)
    samples = build(engine, ws, library.benchmarks)
    approve(ws, [s for s in samples if s.benchmark_id == "Graph Problems/clique"])
    return ws


def test_convert_says_why_it_exports_nothing_when_valid_would_be_empty(engine, tmp_path, capsys):
    from asp_ft_tui.cli import main

    ws = _one_benchmark_approved(engine, tmp_path / "ws")
    before = on_disk(ws.data_dir)
    assert main(["convert", "--workspace", str(ws.root), "--only", "approved", "--teacher", "structural"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert NO_VALID in err and "approve samples from at least one more benchmark" in err
    assert on_disk(ws.data_dir) == before and not (ws.data_dir / "exports").exists()


async def export_in_the_app(workspace, engine, choice: str) -> list:
    """Press E, pick a choice (0: approved only, 1: approved + pending); the notifications shown."""
    from asp_ft_tui.tui.app import make_app

    app = make_app(workspace, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("E")
        await pilot.pause()
        app.screen.query_one(f"#choice-{choice}").press()
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        return list(app._notifications)


async def test_the_app_shows_why_it_exports_nothing_when_valid_would_be_empty(engine, tmp_path):
    ws = _one_benchmark_approved(engine, tmp_path / "ws")
    before = on_disk(ws.data_dir)
    shown = [n for n in await export_in_the_app(ws, engine, "0") if NO_VALID in n.message]
    assert len(shown) == 1 and shown[0].severity == "error"
    assert "approve samples from at least one more benchmark" in shown[0].message
    assert on_disk(ws.data_dir) == before and not (ws.data_dir / "exports").exists()


async def test_the_app_says_how_many_repeats_it_dropped(engine, tmp_path):
    ws = _one_benchmark_approved(engine, tmp_path / "ws")
    shutil.copytree(ws.benchmarks_dir / "Graph Problems" / "clique", ws.benchmarks_dir / "Copies" / "clique again")
    build(engine, ws, discover(ws.benchmarks_dir).benchmarks)
    shown = [n.message for n in await export_in_the_app(ws, engine, "1") if n.message.startswith("exported")]
    (card,) = [json.loads(p.read_text()) for p in (ws.data_dir / "exports").glob("*/card.json")]
    assert card["repeats_dropped"] > 0
    assert len(shown) == 1 and f"({card['repeats_dropped']} repeated samples dropped)" in shown[0]


async def test_a_new_export_becomes_the_training_tab_s_dataset(engine, tmp_path):
    from textual.widgets import Input

    from asp_ft_tui.tui.app import make_app

    ws = _one_benchmark_approved(engine, tmp_path / "ws")
    shutil.copytree(ws.benchmarks_dir / "Graph Problems" / "clique", ws.benchmarks_dir / "Copies" / "clique again")
    build(engine, ws, discover(ws.benchmarks_dir).benchmarks)
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("5")  # the form is made, with no export yet to train on
        await pilot.pause()
        field = app.query_one("#train-data", Input)
        assert field.value == ""
        await pilot.press("1", "E")
        await pilot.pause()
        app.screen.query_one("#choice-1").press()
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        (export,) = [p.parent for p in (ws.data_dir / "exports").glob("*/card.json")]
        assert field.value == str(export)
        field.value = "/my/own/export"  # typed by the reviewer: a later export leaves it alone
        app.query_one("TrainingPane").exported()
        assert field.value == "/my/own/export"
