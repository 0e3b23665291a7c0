"""Workspaces: init, resolution order, the demo workspace, and git-ignored outputs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from asp_ft_tui import paths
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.workspace import GENERATED_PATTERNS, Workspace, WorkspaceError, init_workspace, resolve_workspace

from conftest import REPO


def test_init_copies_the_bundled_benchmarks_and_is_idempotent(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    bundled = len(discover(paths.bundled_benchmarks()).benchmarks)
    assert len(discover(ws.benchmarks_dir).benchmarks) == bundled > 0
    assert ws.adapters_dir.is_dir()
    mine = ws.benchmarks_dir / "Mine" / "p"
    mine.mkdir(parents=True)
    init_workspace(ws.root)
    assert mine.is_dir()
    assert all(p in (ws.root / ".gitignore").read_text() for p in GENERATED_PATTERNS)


def test_init_empty(tmp_path):
    ws = init_workspace(tmp_path / "ws", with_samples=False)
    assert discover(ws.benchmarks_dir).benchmarks == []


def test_current_folder_is_used_when_it_is_a_workspace(tmp_path):
    ws = init_workspace(tmp_path / "ws", with_samples=False)
    found, notice = resolve_workspace(None, cwd=ws.root)
    assert found == ws and notice is None


def test_demo_workspace_is_created_once_under_the_user_data_dir(tmp_path, user_home):
    found, notice = resolve_workspace(None, cwd=tmp_path)
    assert found.root == (user_home / "data" / "demo-workspace").resolve()
    assert "created a demo workspace" in notice
    assert discover(found.benchmarks_dir).benchmarks
    again, notice = resolve_workspace(None, cwd=tmp_path)
    assert again == found and "using the demo workspace" in notice


def test_an_explicit_folder_must_be_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="asp-ft init"):
        resolve_workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="does not exist"):
        Workspace.at(tmp_path / "missing")


def test_nothing_is_created_at_import_time(tmp_path, user_home):
    code = "import asp_ft_tui, asp_ft_tui.cli, asp_ft_tui.tui.app, asp_ft_tui.store, asp_ft_tui.paths"
    subprocess.run(["python", "-c", code], check=True, cwd=tmp_path, env={"ASP_FT_HOME": str(user_home / "x"), "PATH": _path()})
    assert not (user_home / "x").exists() and list(tmp_path.iterdir()) == []


def _path() -> str:
    import os
    import sys

    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="needs a git checkout")
def test_everything_the_app_writes_in_the_repo_is_ignored():
    bench = "data/benchmarks/Puzzles/n_queens"
    generated = [
        "data/curation/state.json", "data/curation/decisions/ab.json", "data/curation/lock",
        "data/cache/x/samples.json", "data/exports/2026/train.jsonl", "data/train.jsonl", "data/valid.jsonl",
        f"{bench}/structure.json", f"{bench}/structure.meta.json", "adapters/run-1/adapters.safetensors",
    ]
    result = subprocess.run(["git", "check-ignore", *generated], cwd=REPO, capture_output=True, text=True)
    assert sorted(result.stdout.split()) == sorted(generated)
    tracked = subprocess.run(["git", "check-ignore", f"{bench}/ASP.txt", "adapters/README.md"], cwd=REPO,
                             capture_output=True, text=True)
    assert tracked.stdout == ""


GENERATED_FILES = ("structure.json", "structure.meta.json", ".structure.json.123.tmp", "notes.bak")


def _plant_generated_files(benchmarks: Path) -> int:
    """Write what using the app leaves beside the benchmarks (and a stray file); returns how many."""
    planted = 0
    for asp in benchmarks.rglob("ASP.txt"):
        for name in GENERATED_FILES:
            (asp.parent / name).write_text('{"generator": "leaked"}', encoding="utf-8")
            planted += 1
    return planted


def test_init_copies_only_benchmark_inputs_from_a_used_clone(tmp_path, monkeypatch):
    used = tmp_path / "clone" / "data" / "benchmarks"
    shutil.copytree(paths.bundled_benchmarks(), used)
    assert _plant_generated_files(used) > 0
    (used / "Graph Problems" / "outside").symlink_to(tmp_path)
    monkeypatch.setattr(paths, "bundled_benchmarks", lambda: used)

    ws = init_workspace(tmp_path / "ws")

    names = {p.name for p in ws.benchmarks_dir.rglob("*") if p.is_file()}
    assert names and names <= {"ASP.txt", "NL.txt", "IR.txt"}, names
    assert not any(p.is_symlink() for p in ws.benchmarks_dir.rglob("*"))
    assert len(discover(ws.benchmarks_dir).benchmarks) == len(discover(paths.bundled_benchmarks()).benchmarks)


def test_the_demo_workspace_gets_no_caches_either(tmp_path, monkeypatch):
    used = tmp_path / "clone" / "data" / "benchmarks"
    shutil.copytree(paths.bundled_benchmarks(), used)
    _plant_generated_files(used)
    monkeypatch.setattr(paths, "bundled_benchmarks", lambda: used)
    elsewhere = tmp_path / "not-a-workspace"
    elsewhere.mkdir()
    demo, notice = resolve_workspace(None, cwd=elsewhere)
    assert notice and "demo workspace" in notice
    assert not [p for p in demo.benchmarks_dir.rglob("*") if p.name in GENERATED_FILES]


def test_input_names_agree_with_discovery():
    from asp_ft_tui.domain import benchmarks, inputs

    assert inputs.INPUT_NAMES == {*benchmarks.ASP_NAMES, benchmarks.NL_NAME, benchmarks.IR_NAME}
