"""Extraction runs with the offline structural and the local MLX teachers; caching and interrupts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from fake_gemini import FakeGemini, hang, text

from asp_ft_tui import paths
from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.cli import main
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.extraction import Extractor, Settings, run_extraction
from asp_ft_tui.prompts import load_prompts
from asp_ft_tui.teachers.structural import StructuralTeacher
from asp_ft_tui.workspace import copy_benchmark_inputs, init_workspace

from conftest import REPO


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


def structural(engine, **settings) -> Extractor:
    return Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings(**settings))


def test_structural_teacher_on_every_bundled_benchmark(engine, workspace):
    library = discover(workspace.benchmarks_dir)
    summary = run_extraction(structural(engine), library.benchmarks, concurrency=2)
    row = summary.row()
    assert row["benchmarks"] == len(library.benchmarks) == row["extracted"]
    assert row["components"] > 0 and row["valid"] == row["components"]
    assert row["faithful"] == row["benchmarks"] and row["needs review"] == 0
    for bench in library.benchmarks:
        meta = json.loads((bench.path / "structure.meta.json").read_text())
        assert meta["provenance"]["template_tones"] is True and meta["provenance"]["tone"]
        structure = json.loads((bench.path / "structure.json").read_text())
        assert set(structure) >= {"instance_template", "generator", "hard_constraints", "soft_constraints",
                                  "global_objective"}


def test_all_tones_gives_five_labelled_template_variants(engine, workspace):
    bench = discover(workspace.benchmarks_dir).benchmarks[0]
    run_extraction(structural(engine, all_tones=True), [bench])
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    for slot, variants in meta["descriptions"].items():
        assert len(variants) == 5, slot
        assert len(set(variants.values())) == 5, slot
    assert meta["all_tones"] and meta["provenance"]["template_tones"]


def test_a_rerun_reuses_finished_benchmarks_and_force_redoes_them(engine, workspace):
    benches = discover(workspace.benchmarks_dir).benchmarks[:3]
    first = run_extraction(structural(engine), benches)
    assert {r.status for r in first.results} == {"extracted"}
    stamp = (benches[0].path / "structure.json").stat().st_mtime_ns
    again = run_extraction(structural(engine), benches)
    assert {r.status for r in again.results} == {"cached"}
    assert (benches[0].path / "structure.json").stat().st_mtime_ns == stamp
    forced = run_extraction(structural(engine, force=True), benches)
    assert {r.status for r in forced.results} == {"extracted"}


def test_a_changed_benchmark_is_extracted_again(engine, workspace):
    bench = discover(workspace.benchmarks_dir).benchmarks[0]
    run_extraction(structural(engine), [bench])
    bench.asp_file.write_text(bench.asp + "\n% an extra comment\nextra_fact(1).\n")
    changed = discover(workspace.benchmarks_dir).get(bench.id)
    assert run_extraction(structural(engine), [changed]).results[0].status == "extracted"


def test_another_pipelines_structure_is_read_as_is(engine, tmp_path):
    root = tmp_path / "Other Pipeline" / "Room Booking" / "Easy Problems" / "room_booking_easy_1"
    copy_benchmark_inputs(paths.bundled_benchmarks() / "Scheduling/Easy Problems/room_booking_easy_1", root)
    (root / "ASP.txt").rename(root / "asp.lp")
    reference = StructuralTeacher(engine).extract(discover(root).benchmarks[0], "Academic", load_prompts())
    foreign = reference.structure.to_dict()
    foreign.pop("show", None)
    foreign["pipeline"] = "seed-v0"
    (root / "structure.json").write_text(json.dumps(foreign))
    before = (root / "structure.json").read_bytes()
    result = run_extraction(structural(engine), discover(root).benchmarks).results[0]
    assert result.status == "cached" and result.faithful == "faithful"
    assert (root / "structure.json").read_bytes() == before
    meta = json.loads((root / "structure.meta.json").read_text())
    assert meta["teacher"] == "external" and all(c["ok"] for c in meta["components"].values())


def test_extract_command_prints_the_summary_table(workspace, capsys):
    assert main(["extract", "--workspace", str(workspace.root), "--teacher", "structural", "--only", "Puzzles"]) == 0
    out = capsys.readouterr().out
    for column in ("benchmarks", "components", "valid", "repaired", "review", "faithful"):
        assert column in out
    assert main(["extract", "--workspace", str(workspace.root), "--teacher", "structural", "--only", "Puzzles",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["cached"] == summary["benchmarks"] > 0 and summary["faithful"] == summary["benchmarks"]


def test_mlx_teacher_really_generates_and_its_answer_is_flagged(engine, workspace, tmp_path):
    from asp_ft_tui.teachers.mlx_teacher import MLXTeacher
    from asp_ft_tui.training.tiny_model import make_tiny_model

    model_dir = make_tiny_model(tmp_path / "tiny")
    teacher = MLXTeacher(model_dir, max_tokens=24)
    benches = discover(workspace.benchmarks_dir).benchmarks[:2]
    summary = run_extraction(Extractor(teacher, engine, load_prompts(), Settings()), benches)
    assert teacher.loads == 1, "the model is loaded once per run"
    for result, bench in zip(summary.results, benches):
        assert result.status == "failed" and "malformed extract answer twice" in result.error
        meta = json.loads((bench.path / "structure.meta.json").read_text())
        assert meta["provenance"]["teacher"] == "mlx" and meta["provenance"]["model"] == str(model_dir)
        assert len(meta["raw_responses"]) == 2 and all(isinstance(r["text"], str) for r in meta["raw_responses"])


def test_mlx_teacher_answers_are_validated_and_repaired_like_any_teacher(engine, workspace, tmp_path, monkeypatch):
    """Whatever the local model says goes through the same checks: here its (scripted) answer
    has a broken constraint and its repair answer fixes it."""
    from asp_ft_tui.teachers.mlx_teacher import MLXTeacher
    from asp_ft_tui.training.tiny_model import make_tiny_model

    bench = discover(workspace.benchmarks_dir).get("Graph Problems/clique")
    good = StructuralTeacher(engine).extract(bench, "Casual", load_prompts()).structure.to_dict()
    fixed = good["hard_constraints"][1]["asp_rule"]
    broken = dict(good, hard_constraints=[good["hard_constraints"][0], {"description": "d", "asp_rule": fixed[:-1]}])
    teacher = MLXTeacher(make_tiny_model(tmp_path / "tiny"), max_tokens=8)
    generated = []
    real_complete = teacher.complete

    def complete(prompt: str) -> str:
        generated.append(real_complete(prompt))  # the model really runs
        return json.dumps(broken) if "Deconstruct" in prompt else json.dumps({"asp_rule": fixed})

    monkeypatch.setattr(teacher, "complete", complete)
    result = run_extraction(Extractor(teacher, engine, load_prompts(), Settings()), [bench]).results[0]
    assert len(generated) == 2
    assert next(c for c in result.components if c.slot == "hard/1").repaired
    assert result.faithful == "faithful"


def test_sigint_mid_run_then_rerun_asks_nothing_twice(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    benches = discover(ws.benchmarks_dir).benchmarks[:4]
    for bench in discover(ws.benchmarks_dir).benchmarks[4:]:
        shutil.rmtree(bench.path)
    keys = [b.asp.splitlines()[0] for b in benches]
    with Engine(EngineConfig(workers=1)) as engine:
        answers = [json.dumps(StructuralTeacher(engine).extract(b, "Academic", load_prompts()).structure.to_dict())
                   for b in benches]
    env = {**os.environ, "GEMINI_API_KEY": "k-123", "ASP_FT_LOG_LEVEL": "INFO", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "asp_ft_tui.cli", "extract", "-w", str(ws.root), "--teacher", "gemini",
               "--concurrency", "1", "--rpm", "6000"]
    with FakeGemini() as fake:
        env["ASP_FT_GEMINI_BASE_URL"] = fake.base_url
        for key, answer in zip(keys[:2], answers[:2]):
            fake.script(key, text(answer))
        fake.script(keys[2], hang())
        # As from a terminal: a test run started in the background (`pytest &`, some CI runners)
        # inherits SIGINT ignored, and Python then keeps ignoring it in the child.
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        while fake.count(keys[2]) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.count(keys[2]) == 1
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=180)  # only a guard against a hang, however busy the machine
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"asp-ft extract did not end after SIGINT; it printed: {err.decode()[-3000:]}")
        assert proc.returncode == 130, err.decode()
        assert b"interrupted" in err
        assert (benches[1].path / "structure.json").exists() and not (benches[2].path / "structure.json").exists()

        for key, answer in zip(keys[2:], answers[2:]):
            fake.script(key, text(answer))
        rerun = subprocess.run(command, env=env, capture_output=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr.decode()
        assert [fake.count(k) for k in keys] == [1, 1, 2, 1]


def test_a_failed_forced_rerun_keeps_the_good_extraction(engine, workspace):
    from asp_ft_tui.teachers.base import TeacherError

    bench = discover(workspace.benchmarks_dir).benchmarks[0]
    run_extraction(structural(engine), [bench])
    good_meta = json.loads((bench.path / "structure.meta.json").read_text())

    class Down(StructuralTeacher):
        name = "down"

        def extract(self, bench, tone, prompts):
            raise TeacherError("the teacher is down", [{"call": "extract", "attempt": 1, "text": "503"}])

    failed = run_extraction(Extractor(Down(engine), engine, load_prompts(), Settings(force=True)), [bench])
    assert failed.results[0].status == "failed"
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    assert meta["descriptions"] == good_meta["descriptions"] and meta["faithfulness"] == good_meta["faithfulness"]
    assert meta["last_failure"]["error"] == "the teacher is down"
    from asp_ft_tui.review import ReviewSession

    with ReviewSession.open(workspace, readonly=True) as session:  # what the app's detail pane shows
        assert session.summaries[bench.id].extraction == "extracted"
        assert session.summaries[bench.id].failure == "the teacher is down"
    again = run_extraction(structural(engine), [bench]).results[0]
    assert again.status == "cached"
    assert json.loads((bench.path / "structure.meta.json").read_text())["teacher"] == "structural"


def test_an_unreadable_structure_json_is_not_overwritten_unasked(engine, workspace):
    bench = discover(workspace.benchmarks_dir).benchmarks[0]
    (bench.path / "structure.json").write_text('{"hard_constraints": "not a list"}')
    result = run_extraction(structural(engine), [bench]).results[0]
    assert result.status == "failed" and "--force" in result.error
    assert (bench.path / "structure.json").read_text() == '{"hard_constraints": "not a list"}'
    assert run_extraction(structural(engine, force=True), [bench]).results[0].status == "extracted"


def test_a_reference_program_that_does_not_parse_fails_with_clingo_s_line_and_column(engine, workspace):
    bench = discover(workspace.benchmarks_dir).benchmarks[0]
    lines = bench.asp_file.read_text().splitlines()
    lines.insert(2, "broken(1 :- .")
    bench.asp_file.write_text("\n".join(lines) + "\n")
    bench = next(b for b in discover(workspace.benchmarks_dir).benchmarks if b.id == bench.id)
    result = run_extraction(structural(engine), [bench]).results[0]
    assert result.status == "failed"
    assert result.error.startswith("the reference program does not parse: 3:"), result.error
    assert "syntax error" in result.error


def test_extract_command_shows_a_benchmark_id_with_brackets_as_written(workspace, capsys):
    source = discover(workspace.benchmarks_dir).benchmarks[0]
    copy_benchmark_inputs(source.path, workspace.benchmarks_dir / "Odd" / "a[" / "b]")  # id Odd/a[/b]
    assert main(["extract", "--workspace", str(workspace.root), "--teacher", "structural", "--only", "a[",
                 "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["results"]] == ["Odd/a[/b]"]
