"""What users see when the disk is full or read-only, or when another writer holds the workspace:
one line from the CLI (exit 1, no traceback), a notification from the app (which stays up), a
read-only banner, and every earlier decision intact. Real tmpfs mounts where the machine allows
(tests/mounts.py), real processes for the CLI, Pilot for the app."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from mounts import fill, remount_readonly, small_tmpfs

from asp_ft_tui import paths
from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.review import ReviewSession
from asp_ft_tui.store import CurationStore, WorkspaceLock
from asp_ft_tui.workspace import Workspace, copy_benchmark_inputs, init_workspace

EXTRACTED = ["Graph Problems/clique", "Puzzles/sudoku_4x4"]
LATER = "Planning and Configuration/knapsack"
PAGE = 4096


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory, engine) -> Workspace:
    """A workspace with two extracted benchmarks (samples built) and one not extracted yet."""
    from asp_ft_tui.extraction import Extractor, Settings, run_extraction
    from asp_ft_tui.prompts import load_prompts
    from asp_ft_tui.teachers.structural import StructuralTeacher

    ws = init_workspace(tmp_path_factory.mktemp("template") / "ws", with_samples=False)
    for rel in [*EXTRACTED, LATER]:
        copy_benchmark_inputs(paths.bundled_benchmarks() / rel, ws.benchmarks_dir / rel)
    benches = [b for b in discover(ws.benchmarks_dir).benchmarks if b.id in EXTRACTED]
    run_extraction(Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings()), benches)
    with ReviewSession.open(ws) as session:
        session.build(EXTRACTED, engine)
    return ws


def copy_workspace(template: Workspace, root: Path) -> Workspace:
    shutil.copytree(template.root, root / "ws", symlinks=True)
    return Workspace(root / "ws")


@pytest.fixture
def disk(tmp_path):
    with small_tmpfs(tmp_path / "disk", size="4m") as mounted:
        yield mounted


def fill_but(disk: Path, pages: int) -> Path:
    """Fill the disk and give `pages` pages back (a lock file's PID needs one)."""
    filler = fill(disk)
    os.truncate(filler, filler.stat().st_size - pages * PAGE)
    return filler


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASP_FT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "asp_ft_tui.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def one_error_line(run: subprocess.CompletedProcess) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert lines[0].startswith("asp-ft: error: "), lines[0]
    return lines[0]


def keys_of(ws: Workspace) -> list[str]:
    with ReviewSession.open(ws, readonly=True) as session:
        return sorted(k for k, row in session.rows.items() if row.valid)


def decisions_of(ws: Workspace) -> dict[str, str]:
    with CurationStore.for_workspace(ws, readonly=True) as store:
        return {key: d.status for key, d in store.decisions().items()}


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


# -- full and read-only disks: the CLI -------------------------------------------------------
@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "no space left on device while writing /ws/data/x.json"),
    (errno.EROFS, "read-only file system while writing /ws/data/x.json"),
    (errno.EDQUOT, "disk quota exceeded while writing /ws/data/x.json"),
    (errno.EACCES, "permission denied on /ws/data/x.json"),
])
def test_every_file_system_error_is_one_worded_line(code, words, capsys):
    """The same line on machines where no tmpfs can be mounted (the error injected)."""
    from asp_ft_tui.cli import run_command

    def failing() -> int:
        raise OSError(code, os.strerror(code), "/ws/data/x.json")

    assert run_command(failing) == 1
    assert capsys.readouterr().err == f"asp-ft: error: {words}\n"


def test_a_decision_on_a_full_disk_is_one_line_and_keeps_the_earlier_ones(template, disk, user_home):
    ws = copy_workspace(template, disk)
    first, second = keys_of(ws)[:2]
    assert cli("review", "approve", first, "-w", str(ws.root), home=user_home).returncode == 0
    fill_but(disk, 1)
    run = cli("review", "approve", second, "-w", str(ws.root), home=user_home)
    assert run.returncode == 1
    assert one_error_line(run).startswith(f"asp-ft: error: no space left on device while writing {ws.root}/")
    assert decisions_of(ws) == {first: "approved"}
    assert temp_files(ws.root) == []


def test_an_extraction_on_a_full_disk_stops_at_the_first_write_with_one_line(template, disk, user_home):
    ws = copy_workspace(template, disk)
    before = {rel: (ws.benchmarks_dir / rel / "structure.json").read_bytes() for rel in EXTRACTED}
    fill_but(disk, 1)
    run = cli("extract", "-w", str(ws.root), "--teacher", "structural", home=user_home)
    assert run.returncode == 1
    line = one_error_line(run)
    assert line.startswith(f"asp-ft: error: no space left on device while writing {ws.benchmarks_dir / LATER}/")
    assert {rel: (ws.benchmarks_dir / rel / "structure.json").read_bytes() for rel in EXTRACTED} == before
    assert not (ws.benchmarks_dir / LATER / "structure.json").exists()
    assert temp_files(ws.root) == []


def test_a_cache_write_of_convert_on_a_full_output_disk_is_one_line(template, disk, tmp_path, user_home):
    source = tmp_path / "benchmarks"
    shutil.copytree(template.benchmarks_dir, source)
    fill_but(disk, 1)  # the output folder's lock
    run = cli("convert", "--input", str(source), "--output", str(disk / "out"), "--teacher", "structural",
              home=user_home)
    assert run.returncode == 1
    assert one_error_line(run).startswith(f"asp-ft: error: no space left on device while writing {disk / 'out'}/")
    assert temp_files(disk) == []


def test_an_export_on_a_full_disk_is_one_line_and_keeps_the_last_dataset(template, disk, tmp_path, user_home):
    source, out = tmp_path / "benchmarks", disk / "out"
    shutil.copytree(template.benchmarks_dir, source)
    convert = ["convert", "--input", str(source), "--output", str(out), "--teacher", "structural"]
    assert cli(*convert, home=user_home).returncode == 0
    train = (out / "train.jsonl").read_bytes()
    fill_but(disk, 1)  # samples come from the cache now: the export is the first real write
    run = cli(*convert, "--valid-fraction", "0.3", home=user_home)
    assert run.returncode == 1
    assert one_error_line(run).startswith(f"asp-ft: error: no space left on device while writing {out}/")
    assert (out / "train.jsonl").read_bytes() == train
    assert temp_files(disk) == []
    ws = copy_workspace(template, tmp_path)
    assert cli("review", "approve", keys_of(ws)[0], "-w", str(ws.root), home=user_home).returncode == 0
    fill(disk)  # the page the lock gave back too
    decisions = cli("review", "export-decisions", str(disk / "decisions.jsonl"), "-w", str(ws.root),
                    home=user_home)
    assert decisions.returncode == 1
    assert one_error_line(decisions) == f"asp-ft: error: no space left on device while writing {disk}/decisions.jsonl"


def test_a_decision_on_a_read_only_disk_is_one_line(template, disk, user_home):
    ws = copy_workspace(template, disk)
    first, second = keys_of(ws)[:2]
    assert cli("review", "approve", first, "-w", str(ws.root), home=user_home).returncode == 0
    remount_readonly(disk)
    run = cli("review", "approve", second, "-w", str(ws.root), home=user_home)
    assert run.returncode == 1
    assert "read-only file system" in one_error_line(run)
    listed = cli("review", "list", "-w", str(ws.root), home=user_home)  # readers still work
    assert listed.returncode == 0 and f"{first}\tapproved\tvalid" in listed.stdout


# -- full and read-only disks: the app -------------------------------------------------------
async def settle(pilot, app):
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def notification_hook() -> tuple[list[str], Callable]:
    """Every notification's text as it is posted (the toasts themselves expire on a clock)."""
    from textual.notifications import Notify

    shown: list[str] = []

    def hook(message) -> None:
        if isinstance(message, Notify):
            shown.append(message.notification.message)

    return shown, hook


async def test_the_app_stays_up_when_a_decision_or_an_export_meets_a_full_disk(template, disk, engine):
    from asp_ft_tui.tui.app import make_app
    from asp_ft_tui.tui.widgets.benchmark_tree import BenchmarkTree
    from asp_ft_tui.tui.widgets.queue import ReviewQueue

    ws = copy_workspace(template, disk)
    shown, hook = notification_hook()
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
        await settle(pilot, app)
        await pilot.press("3")
        await settle(pilot, app)
        first = app.query_one(ReviewQueue).current
        await pilot.press("a")
        assert app.session.store.decision(first).status == "approved"
        second = app.query_one(ReviewQueue).current
        filler = fill_but(disk, 0)
        await pilot.press("a")
        await pilot.pause()
        assert app.session.store.decision(second) is None
        assert any(n.startswith("the decision was not saved: no space left on device while writing")
                   for n in shown)
        await pilot.press("E")
        await pilot.pause()
        app.screen.query_one("#choice-1").press()  # approved + pending
        await settle(pilot, app)
        assert any(n.startswith("export: no space left on device while writing") for n in shown)
        await pilot.press("1")
        app.query_one(BenchmarkTree).select_benchmark(LATER)
        await pilot.pause()
        await pilot.press("x")
        await settle(pilot, app)
        assert any(n.startswith(f"extraction: no space left on device while writing {ws.benchmarks_dir / LATER}/")
                   for n in shown)
        assert not (ws.benchmarks_dir / LATER / "structure.json").exists()
        assert app.is_running
        await pilot.press("3")
        await settle(pilot, app)
        app.query_one(ReviewQueue).move_to(second)
        filler.unlink()
        await pilot.press("a")  # space again: the same key works
        assert app.session.store.decision(second).status == "approved"
    assert decisions_of(ws) == {first: "approved", second: "approved"}
    assert temp_files(ws.root) == []


async def test_a_workspace_on_a_read_only_disk_opens_read_only_with_a_banner(template, disk, engine):
    from textual.widgets import Label

    from asp_ft_tui.tui.app import make_app

    ws = copy_workspace(template, disk)
    remount_readonly(disk)
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert app.session.store.readonly and app.session.rows
        banner = app.query_one("#readonly-banner", Label)
        assert banner.display and "read-only: the workspace is on a read-only file system" in str(banner.content)
        await pilot.press("3")
        await settle(pilot, app)
        await pilot.press("a", "x", "E")
        await settle(pilot, app)
        assert app.is_running and len(app.screen_stack) == 1
    assert decisions_of(ws) == {}


# -- one writer per workspace ----------------------------------------------------------------
@pytest.mark.parametrize("command", [
    ["extract", "--teacher", "structural"],
    ["convert", "--teacher", "structural"],
    ["review", "approve", "KEY"],
])
def test_a_second_writer_is_refused_with_one_line_naming_the_holder(template, tmp_path, user_home, command):
    ws = copy_workspace(template, tmp_path)
    command = [keys_of(ws)[0] if part == "KEY" else part for part in command]
    with WorkspaceLock(ws.curation_dir / "lock"):
        run = cli(*command, "-w", str(ws.root), home=user_home)
    assert run.returncode == 2
    assert f"workspace in use by PID {os.getpid()}" in one_error_line(run)
    assert not (ws.data_dir / "train.jsonl").exists()
    assert not (ws.benchmarks_dir / LATER / "structure.json").exists()


def test_convert_without_a_workspace_locks_its_output_folder(template, tmp_path, user_home):
    source, out = tmp_path / "benchmarks", tmp_path / "out"
    shutil.copytree(template.benchmarks_dir, source)
    from asp_ft_tui.commands.locks import folder_lock

    with folder_lock(out):
        run = cli("convert", "--input", str(source), "--output", str(out), "--teacher", "structural",
                  home=user_home)
    assert run.returncode == 2
    assert f"in use by PID {os.getpid()}" in one_error_line(run)
    assert not (out / "train.jsonl").exists()
    done = cli("convert", "--input", str(source), "--output", str(out), "--teacher", "structural", home=user_home)
    assert done.returncode == 0, done.stderr
    assert (out / "train.jsonl").exists()


def test_a_folder_inside_a_workspace_is_covered_by_the_workspace_lock(template, tmp_path, user_home):
    ws = copy_workspace(template, tmp_path)
    with WorkspaceLock(ws.curation_dir / "lock"):  # e.g. the app
        run = cli("convert", "--input", str(ws.benchmarks_dir), "--output", str(tmp_path / "out"),
                  "--teacher", "structural", home=user_home)
    assert run.returncode == 2
    assert f"workspace in use by PID {os.getpid()}" in one_error_line(run)
    assert not (ws.benchmarks_dir / LATER / "structure.json").exists()
    assert not (ws.benchmarks_dir / ".asp-ft.lock").exists()


async def test_a_second_app_browses_read_only_and_its_writing_keys_say_why(template, tmp_path, engine):
    from textual.widgets import Label

    from asp_ft_tui.tui.app import make_app
    from asp_ft_tui.tui.widgets.queue import ReviewQueue

    ws = copy_workspace(template, tmp_path)
    shown, hook = notification_hook()
    with ReviewSession.open(ws):  # the first app's session: the workspace's writer
        app = make_app(ws, engine=engine)
        async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
            await settle(pilot, app)
            reason = f"read-only: workspace in use by PID {os.getpid()}"
            assert reason in str(app.query_one("#readonly-banner", Label).content)
            assert any(reason in n for n in shown)
            for action in ("extract", "extract_all", "export", "approve", "reject", "undo", "bulk_approve"):
                assert app.check_action(action, ()) is None, action  # greyed in the footer
            said = len(shown)
            await pilot.press("x", "E")
            await pilot.press("3")
            await settle(pilot, app)
            assert app.query_one(ReviewQueue).current is not None  # browsing works
            await pilot.press("a")
            await settle(pilot, app)
            assert shown[said:] == [reason] * 3  # each writing key pressed says why
            assert len(app.screen_stack) == 1 and app.is_running
            assert not any(w.group in ("extract", "export") for w in app.workers)
    assert decisions_of(ws) == {}
