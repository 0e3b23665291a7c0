"""The Training tab under Textual's pilot: launch by key, live chart, re-attach, failures."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from asp_ft_tui.training import runs
from asp_ft_tui.training.config import TrainSettings
from asp_ft_tui.training.events import read_events
from asp_ft_tui.training.series import RunSeries, Series
from asp_ft_tui.tui.app import make_app
from asp_ft_tui.tui.widgets.training import TrainingPane
from asp_ft_tui.workspace import init_workspace

from training_data import chat_rows, no_kernel_compilation, small_data, tiny_model, write_split  # noqa: F401


async def _until(pilot, predicate, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:  # a guard against a hang, not a measure of speed
            pytest.fail(f"waited {timeout} s for {what}")
        await pilot.pause(0.2)


def _fill(pane: TrainingPane, model: Path, data: Path, iters: int) -> None:
    values = {"model": str(model), "data": str(data), "iters": str(iters), "steps_per_eval": "4", "save_every": "4",
              "learning_rate": "0.001"}
    for name, value in values.items():
        pane.query_one(f"#train-{name}").value = value


async def test_launch_from_the_pane_draws_the_chart_and_lists_the_run(tmp_path, tiny_model, small_data):
    ws = init_workspace(tmp_path / "ws", with_samples=False)
    app = make_app(ws)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("5")
        pane = app.query_one(TrainingPane)
        assert app.query_one("#tabs").active == "training"
        _fill(pane, tiny_model, small_data, 12)
        pane.query_one("#train-runs").focus()
        await pilot.press("s")
        await _until(pilot, lambda: pane.series.status == "finished", "the run to finish")
        assert pane.series.train.xs and pane.series.val.xs[-1] == 12, "the chart received train and valid points"
        assert "iteration 12/12" in str(pane.query_one("#train-stats").render())
        await _until(pilot, lambda: pane.query_one("#train-runs").row_count == 1, "the history to list the run")
        run_dir = pane.followed
        assert run_dir.parent == ws.adapters_dir and (run_dir / "adapters.safetensors").is_file()


async def test_bad_settings_are_refused_with_the_reason(tmp_path, tiny_model, small_data):
    ws = init_workspace(tmp_path / "ws", with_samples=False)
    messages = []
    app = make_app(ws)
    async with app.run_test(size=(140, 44), message_hook=messages.append) as pilot:
        await pilot.press("5")
        pane = app.query_one(TrainingPane)
        _fill(pane, tiny_model, small_data, 12)
        pane.query_one("#train-num_layers").value = "7"
        pane.query_one("#train-runs").focus()
        await pilot.press("s")
        await pilot.pause()
        assert pane.followed is None and not any(ws.adapters_dir.iterdir())
        shown = [m.notification.message for m in messages if type(m).__name__ == "Notify"]
        assert any("has only 2 layers" in text for text in shown), shown


async def test_the_worker_outlives_the_app_and_a_new_app_reattaches(tmp_path, tiny_model, small_data):
    ws = init_workspace(tmp_path / "ws", with_samples=False)
    settings = TrainSettings(model=str(tiny_model), data=str(small_data), iters=100000, steps_per_report=2,
                             save_every=4, steps_per_eval=8, val_batches=2, learning_rate=1e-3, blas="off")
    app = make_app(ws)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("5")
        pane = app.query_one(TrainingPane)
        run_dir = runs.prepare(ws.adapters_dir, settings)
        worker = runs.start(run_dir)
        pane.follow(run_dir)
        await _until(pilot, lambda: pane.series.train.xs, "first points")
        await pilot.press("q")
    assert worker.poll() is None, "closing the app leaves the training running"
    again = make_app(ws)
    async with again.run_test(size=(140, 44)) as pilot:
        pane = again.query_one(TrainingPane)
        await _until(pilot, lambda: pane.followed == run_dir, "the new app to follow the live run")
        seen = len(pane.series.train.xs)
        await _until(pilot, lambda: len(pane.series.train.xs) > seen, "new points in the new app")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=60)
        await _until(pilot, lambda: pane.series.status == "failed", "the run to show as failed")
        assert "ended without a word" in pane.series.reason
        assert pane.query_one("#train-failure").display, "the reason and the log tail are shown"
        await pilot.press("1")
        assert again.query_one("#tabs").active == "benchmarks", "the app stays up and answers"


def test_series_stay_bounded_and_a_resume_replaces_its_overlap():
    series = Series(limit=100)
    for i in range(1, 10_001):
        series.add(i, 1.0 / i)
    assert len(series.xs) < 100 and series.xs[-1] > 9_000
    run = RunSeries()
    run.feed([{"kind": "val", "iteration": 0, "val_loss": 3.0}, {"kind": "val", "iteration": 8, "val_loss": 2.0},
              {"kind": "val", "iteration": 8, "val_loss": 1.9}])
    assert run.val.xs == [0, 8] and run.val.ys == [3.0, 1.9]
    assert [e["kind"] for e in read_events(Path("/nonexistent/events.jsonl"))] == []


async def test_evaluate_a_run_shows_the_table_and_a_sample_side_by_side(tmp_path, tiny_model):
    import json as _json

    from asp_ft_tui.tui.screens.evaluation import EvaluationScreen

    ws = init_workspace(tmp_path / "ws", with_samples=False)
    data = write_split(tmp_path / "export", chat_rows(8, 0), chat_rows(3, 1))
    meta = [{"key": f"k{i}", "task": "instance", "context": "", "answer": r["messages"][-1]["content"]}
            for i, r in enumerate(chat_rows(3, 1))]
    (data / "valid.meta.jsonl").write_text("".join(_json.dumps(m) + "\n" for m in meta))
    settings = TrainSettings(model=str(tiny_model), data=str(data), iters=4, steps_per_report=2, save_every=4,
                             steps_per_eval=4, val_batches=2, blas="off")
    run_dir = runs.prepare(ws.adapters_dir, settings)
    assert runs.start(run_dir).wait(timeout=300) == 0
    app = make_app(ws)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("5")
        pane = app.query_one(TrainingPane)
        await _until(pilot, lambda: pane.query_one("#train-runs").row_count == 1, "the run in the history")
        pane.follow(run_dir)
        await pilot.press("V")
        await _until(pilot, lambda: isinstance(app.screen, EvaluationScreen), "the evaluation table")
        screen = app.screen
        assert screen.query_one("#eval-summary").row_count == 4, "base and adapter, per task and overall"
        assert len(screen.samples) == 6
        await pilot.press("down")
        await pilot.pause()
        from rich.console import Console

        console = Console(width=120, record=True)
        console.print(screen.query_one("#eval-detail").content)
        text = console.export_text()
        assert "reference" in text and "output (base)" in text and screen.samples[1]["reference"] in text
        assert (run_dir / "eval" / "adapter" / "samples.jsonl").is_file()
        await pilot.press("escape")
        assert not isinstance(app.screen, EvaluationScreen)


async def test_keys_escape_from_fields_and_the_demo_model_is_built_once(tmp_path, monkeypatch):
    import threading

    import asp_ft_tui.training.pretrain as pretraining

    gate = threading.Event()
    calls = []

    def held(model_dir, steps, **kwargs):
        calls.append(model_dir)
        gate.wait(60)
        return []

    monkeypatch.setattr(pretraining, "pretrain", held)
    ws = init_workspace(tmp_path / "ws", with_samples=False)
    messages = []
    app = make_app(ws)
    async with app.run_test(size=(140, 44), message_hook=messages.append) as pilot:
        await pilot.press("5")
        pane = app.query_one(TrainingPane)
        assert app.focused is pane.query_one("#train-runs")
        pane.query_one("#train-model").focus()
        await pilot.press("escape")
        assert app.focused is pane.query_one("#train-runs"), "Escape hands the keys back"
        await pilot.press("D")
        await _until(pilot, lambda: calls, "the demo build to start")
        await pilot.press("D")
        await pilot.pause()
        shown = [m.notification.message for m in messages if type(m).__name__ == "Notify"]
        assert any("being built already" in text for text in shown)
        gate.set()
        await _until(pilot, lambda: pane.query_one("#train-model").value.endswith("demo-model"), "the demo model")
        assert len(calls) == 1 and (Path(pane.query_one("#train-model").value) / "config.json").is_file()
