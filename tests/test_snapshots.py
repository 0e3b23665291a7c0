"""SVG snapshots of each pane at 80x24 and 160x48, on fixed data.

Regenerate after an intended change with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import shutil

import pytest

from asp_ft_tui import paths
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.tui.app import make_app
from asp_ft_tui.workspace import copy_benchmark_inputs, init_workspace

# The header shows the workspace path: the snapshots show this label in its place.
HEADER_LABEL = "~/asp-ft-workspace"
PICKED = ["Graph Problems/clique", "Planning and Configuration/knapsack", "Puzzles/sudoku_4x4"]
SIZES = [(80, 24), (160, 48)]


@pytest.fixture(scope="module")
def template_workspace(tmp_path_factory):
    from asp_ft_tui.asp.engine import Engine, EngineConfig
    from asp_ft_tui.extraction import Extractor, Settings, run_extraction
    from asp_ft_tui.prompts import load_prompts
    from asp_ft_tui.review import ReviewSession
    from asp_ft_tui.teachers.structural import StructuralTeacher

    ws = init_workspace(tmp_path_factory.mktemp("snapshots") / "workspace", with_samples=False)
    for rel in [*PICKED, "Scheduling/meeting_room_booking"]:
        copy_benchmark_inputs(paths.bundled_benchmarks() / rel, ws.benchmarks_dir / rel)
    benches = [b for b in discover(ws.benchmarks_dir).benchmarks if b.id in PICKED]
    with Engine(EngineConfig(workers=1)) as engine:
        run_extraction(Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings()), benches)
        with ReviewSession.open(ws) as session:
            session.build([b.id for b in benches], engine)
            keys = sorted(k for k in session.rows if k.startswith("Graph Problems/clique::hard"))
            session.decide(keys[0], "approved")
    return ws


@pytest.fixture
def snapshot_workspace(template_workspace, tmp_path):
    """A fresh copy for each test: the app remembers tabs and filters in the workspace, and a
    remembered state must not leak from one snapshot into the next."""
    from asp_ft_tui.workspace import Workspace

    root = tmp_path / "workspace"
    shutil.copytree(template_workspace.root, root, symlinks=True)
    return Workspace(root)


async def _settle(pilot) -> None:
    """Wait until the screen has settled: workers done, messages handled, nothing pending."""
    app = pilot.app
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()
    app.sub_title = HEADER_LABEL
    for widget in app.query("Input"):
        widget.cursor_blink = False
    await app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def _app(ws):
    return make_app(ws)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_benchmarks_pane(snap_compare, snapshot_workspace, size):
    assert snap_compare(_app(snapshot_workspace), terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_components_pane(snap_compare, snapshot_workspace, size):
    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("2")
        await _settle(pilot)

    assert snap_compare(_app(snapshot_workspace), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_queue_translation_sample(snap_compare, snapshot_workspace, size):
    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("3")
        await _settle(pilot)

    assert snap_compare(_app(snapshot_workspace), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_queue_repair_pair(snap_compare, snapshot_workspace, size):
    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("3", "t", "t", "t", "t", "t")
        await _settle(pilot)

    assert snap_compare(_app(snapshot_workspace), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_log_pane(snap_compare, snapshot_workspace, size):
    async def run_before(pilot):
        await _settle(pilot)
        await pilot.press("4")
        log = pilot.app.query_one("#log-view")
        log.clear()
        log.write("12:00:00 INFO asp_ft_tui.tui.app: extraction finished: 3 extracted, 0 failed")
        log.write("12:00:01 WARNING asp_ft_tui.tui.app: extraction of Puzzles/x failed: malformed answer")
        await _settle(pilot)

    assert snap_compare(_app(snapshot_workspace), terminal_size=size, run_before=run_before)
