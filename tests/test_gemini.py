"""The Gemini teacher through the real google-genai client, against a fake Gemini on 127.0.0.1."""

from __future__ import annotations

import json
import threading

import pytest
from fake_gemini import FakeGemini, delay, hang, status, text

from asp_ft_tui import paths
from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.domain.structure import Structure
from asp_ft_tui.extraction import Extractor, Settings, run_extraction
from asp_ft_tui.prompts import load_prompts
from asp_ft_tui.teachers.gemini import GeminiTeacher
from asp_ft_tui.teachers.structural import StructuralTeacher
from asp_ft_tui.workspace import copy_benchmark_inputs, init_workspace

KEY = "AIzaSy-DISTINCTIVE-test-key-7731"
PICKED = ["Puzzles/sudoku_4x4", "Graph Problems/clique", "Planning and Configuration/knapsack"]


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


@pytest.fixture
def ws(tmp_path):
    workspace = init_workspace(tmp_path / "ws", with_samples=False)
    for rel in PICKED:
        copy_benchmark_inputs(paths.bundled_benchmarks() / rel, workspace.benchmarks_dir / rel)
    return workspace


@pytest.fixture
def benches(ws):
    found = {b.id: b for b in discover(ws.benchmarks_dir).benchmarks}
    return [found[rel] for rel in PICKED]


@pytest.fixture
def fake():
    with FakeGemini() as server:
        yield server


def key_of(bench) -> str:
    """A line of the benchmark that only its prompts contain."""
    return bench.asp.splitlines()[0]


def good_answer(bench, engine, **changes) -> str:
    extraction = StructuralTeacher(engine).extract(bench, "Academic", load_prompts())
    data = extraction.structure.to_dict()
    data["descriptions"] = {k: v for k, v in extraction.descriptions.items() if "/" not in k}
    data.update(changes)
    return json.dumps(data)


def teacher_for(fake, **options) -> GeminiTeacher:
    settings = dict(api_key=KEY, base_url=fake.base_url, rpm=100_000, attempts=4, initial_delay=0.01,
                    max_delay=0.02, timeout_s=2.0)
    settings.update(options)
    return GeminiTeacher(**settings)


def extract_all(fake, engine, benches, settings=None, concurrency=1, **options):
    extractor = Extractor(teacher_for(fake, **options), engine, load_prompts(), settings or Settings())
    return run_extraction(extractor, benches, concurrency=concurrency)


def test_a_good_answer_is_validated_and_written_with_provenance(fake, engine, benches):
    bench = benches[0]
    fake.script(key_of(bench), text(good_answer(bench, engine)))
    summary = extract_all(fake, engine, [bench])
    (result,) = summary.results
    assert result.status == "extracted" and result.faithful == "faithful" and not result.needs_review
    assert all(c.ok for c in result.components)
    (request,) = fake.requests
    assert request.api_key == KEY and request.model == "gemini-2.5-flash"
    assert request.response_mime_type == "application/json"
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    assert meta["provenance"]["teacher"] == "gemini" and meta["provenance"]["model"] == "gemini-2.5-flash"
    assert meta["raw_responses"][0]["text"] == good_answer(bench, engine)
    assert set(meta["provenance"]["prompt_hashes"]) >= {"extract", "repair"}
    assert Structure.from_dict(json.loads((bench.path / "structure.json").read_text())).generator


@pytest.mark.parametrize("wrap", ["fenced", "list"])
def test_fenced_and_list_wrapped_answers(fake, engine, benches, wrap):
    bench = benches[1]
    answer = good_answer(bench, engine)
    fake.script(key_of(bench), text(f"```json\n{answer}\n```" if wrap == "fenced" else f"[{answer}]"))
    assert extract_all(fake, engine, [bench]).results[0].status == "extracted"


def test_malformed_then_good_is_asked_again_once(fake, engine, benches):
    bench = benches[0]
    fake.script(key_of(bench), text("I think the components are... {oops"), text(good_answer(bench, engine)))
    result = extract_all(fake, engine, [bench]).results[0]
    assert result.status == "extracted" and fake.count(key_of(bench)) == 2
    assert "previous answer could not be read" in fake.requests[1].prompt


def test_429_then_good_is_retried(fake, engine, benches):
    bench = benches[0]
    fake.script(key_of(bench), status(429), text(good_answer(bench, engine)))
    assert extract_all(fake, engine, [bench]).results[0].status == "extracted"
    assert [r.status for r in fake.requests] == [429, 200]


def test_500_three_times_then_good(fake, engine, benches):
    bench = benches[0]
    fake.script(key_of(bench), status(500), status(500), status(500), text(good_answer(bench, engine)))
    assert extract_all(fake, engine, [bench]).results[0].status == "extracted"
    assert fake.count(key_of(bench)) == 4


def test_a_timeout_is_retried_then_succeeds(fake, engine, benches):
    bench = benches[0]
    fake.script(key_of(bench), delay(3, then=text("{}")), text(good_answer(bench, engine)))
    result = extract_all(fake, engine, [bench], timeout_s=0.5).results[0]
    assert result.status == "extracted" and fake.count(key_of(bench)) == 2


def test_failures_are_recorded_and_the_run_goes_on(fake, engine, benches):
    stuck, broken, fine = benches
    fake.script(key_of(stuck), hang())
    fake.script(key_of(broken), text("no json at all"))
    fake.script(key_of(fine), text(good_answer(fine, engine)))
    summary = extract_all(fake, engine, benches, timeout_s=0.3, attempts=2, concurrency=2)
    by_id = {r.benchmark_id: r for r in summary.results}
    assert by_id[stuck.id].status == "failed" and "Timeout" in by_id[stuck.id].error
    assert by_id[broken.id].status == "failed" and "malformed extract answer twice" in by_id[broken.id].error
    assert by_id[fine.id].status == "extracted"
    meta = json.loads((broken.path / "structure.meta.json").read_text())
    assert meta["status"] == "failed" and [r["text"] for r in meta["raw_responses"]] == ["no json at all"] * 2
    assert not (broken.path / "structure.json").exists()
    assert summary.row()["failed"] == 2


def test_invalid_components_are_repaired_with_the_real_clingo_error(fake, engine, benches):
    bench = benches[1]
    data = json.loads(good_answer(bench, engine))
    good_rule = data["hard_constraints"][0]["asp_rule"]
    data["hard_constraints"][0]["asp_rule"] = good_rule.rstrip(".")
    fake.script(key_of(bench), text(json.dumps(data)))
    fake.script("Fix it so that it is valid", text(json.dumps({"asp_rule": good_rule})))
    result = extract_all(fake, engine, [bench]).results[0]
    hard0 = next(c for c in result.components if c.slot == "hard/0")
    assert hard0.ok and hard0.rounds == 1 and hard0.repaired
    repair_prompt = fake.requests_for("Fix it so that it is valid")[0].prompt
    expected_error = engine.validate(good_rule.rstrip("."), Structure.from_dict(data).context_for("hard/0")).error_text
    assert expected_error and expected_error in repair_prompt
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    (round1,) = meta["repairs"]
    assert round1["error"] == expected_error and round1["fixed"] == good_rule and round1["fixed_ok"]


def test_repair_that_never_succeeds_is_flagged_after_k_rounds(fake, engine, benches):
    bench = benches[1]
    data = json.loads(good_answer(bench, engine))
    data["generator"] = data["generator"].replace("{", "{{", 1)
    fake.script(key_of(bench), text(json.dumps(data)))
    fake.script("Fix it so that it is valid", text(json.dumps({"asp_rule": "still { broken"})))
    result = extract_all(fake, engine, [bench], settings=Settings(max_rounds=2)).results[0]
    assert "generator" in result.needs_review
    assert fake.count("Fix it so that it is valid") == 2
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    assert [r["round"] for r in meta["repairs"]] == [1, 2]


def test_an_unfaithful_extraction_needs_review(fake, engine, benches):
    bench = benches[1]
    data = json.loads(good_answer(bench, engine))
    data["hard_constraints"] = data["hard_constraints"][1:]
    fake.script(key_of(bench), text(json.dumps(data)))
    result = extract_all(fake, engine, [bench]).results[0]
    assert result.faithful == "not faithful" and "faithfulness" in result.needs_review


def test_all_tones_adds_four_variants_from_the_model(fake, engine, benches):
    bench = benches[0]
    fake.script(key_of(bench), text(good_answer(bench, engine)))
    tones = {"Academic": "A.", "Casual": "C.", "Business": "B.", "Succinct": "S.", "Didactic": "D."}
    answer = {slot: tones for slot in ("instance", "generator", "hard/0", "hard/1", "hard/2", "hard/3")}
    fake.script("in each of these tones", text(json.dumps(answer)))
    extract_all(fake, engine, [bench], settings=Settings(all_tones=True))
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    assert meta["all_tones"] and set(meta["descriptions"]["generator"]) == set(tones)


def test_rate_limit_shows_in_request_times_on_an_injected_clock(engine, benches):
    now = [0.0]
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            now[0] += seconds

    with FakeGemini(clock=lambda: now[0]) as fake:
        for bench in benches:
            fake.script(key_of(bench), text(good_answer(bench, engine)))
        extract_all(fake, engine, benches, rpm=20, clock=lambda: now[0], sleep=sleep)
        times = sorted(r.time for r in fake.requests)
    assert len(times) == 3
    assert all(b - a >= 3.0 - 1e-9 for a, b in zip(times, times[1:])), times


def test_the_api_key_reaches_no_file_even_at_debug(fake, engine, benches, ws, user_home, monkeypatch):
    from asp_ft_tui.cli import main

    for bench in benches:
        fake.script(key_of(bench), text(good_answer(bench, engine)))
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("ASP_FT_GEMINI_BASE_URL", fake.base_url)
    monkeypatch.setenv("ASP_FT_LOG_LEVEL", "DEBUG")
    fake.default(text("{}"))
    assert main(["extract", "--workspace", str(ws.root), "--teacher", "gemini", "--all-tones", "--rpm", "6000"]) == 0
    assert fake.requests and all(r.api_key == KEY for r in fake.requests)
    written = [p for root in (ws.root, user_home) for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "asp-ft.log" and p.stat().st_size for p in written)
    assert any(p.name == "structure.meta.json" for p in written)
    for path in written:
        assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path}"


def test_a_missing_api_key_is_a_clear_error(monkeypatch):
    from asp_ft_tui.teachers.base import TeacherError

    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(TeacherError, match="GEMINI_API_KEY"):
        GeminiTeacher()
