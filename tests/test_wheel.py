"""An installed wheel (not the editable checkout) carries the prompts and bundled benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO

APP_PROBE = """
import asyncio, sys
import asp_ft_tui
from asp_ft_tui.tui.app import make_app
assert asp_ft_tui.__file__.startswith(sys.argv[1]), asp_ft_tui.__file__
async def run():
    app = make_app()
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        print("benchmarks shown:", app.query_one("BenchmarkTree").benchmark_count())
        await pilot.press("q")
asyncio.run(run())
"""


GENERATED = ("structure.json", "structure.meta.json", ".structure.json.77.tmp")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built from a copy of this clone in which the app has been used: caches and
    sidecars sit beside the bundled benchmarks, as they do after `x` in the app."""
    clone = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone / name)
    for asp in (clone / "data" / "benchmarks").rglob("ASP.txt"):
        for generated in GENERATED:
            (asp.parent / generated).write_text("{}", encoding="utf-8")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(clone)],
        check=True,
    )
    return next(out.glob("asp_ft_tui-*.whl"))


def test_wheel_carries_prompts_and_benchmarks(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "asp_ft_tui/_bundled/prompts/README.md" in names
    asp_files = [n for n in names if n.startswith("asp_ft_tui/_bundled/benchmarks/") and n.endswith("ASP.txt")]
    assert len(asp_files) >= 18
    assert "asp_ft_tui/tui/app.tcss" in names
    bundled = [n for n in names if n.startswith("asp_ft_tui/_bundled/benchmarks/")]
    assert {n.rsplit("/", 1)[1] for n in bundled} <= {"ASP.txt", "NL.txt", "IR.txt"}, "only benchmark inputs"


def test_installed_wheel_inits_a_workspace_and_opens_the_app(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    workspace = tmp_path / "x"
    init = subprocess.run([sys.executable, "-m", "asp_ft_tui.cli", "init", str(workspace)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    assert "workspace ready" in init.stdout
    assert len(list((workspace / "data" / "benchmarks").rglob("ASP.txt"))) >= 18
    assert not [p for p in (workspace / "data" / "benchmarks").rglob("*") if p.name in GENERATED]
    shown = subprocess.run([sys.executable, "-c", APP_PROBE, str(target)], env=env, cwd=workspace,
                           capture_output=True, text=True, check=True)
    count = int(shown.stdout.split("benchmarks shown:")[1])
    assert count == len(list((workspace / "data" / "benchmarks").rglob("ASP.txt")))
