"""A workspace as `asp-ft init` makes it, cut down to a few benchmarks, extracted by the
structural teacher with its samples built by `asp-ft convert`: what the CLI and snapshot tests share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from asp_ft_tui.cli import main

KEEP = {"Puzzles/n_queens", "Graph Problems/graph_coloring", "Scheduling/nurse_rostering"}


def converted_workspace(root: Path, keep: set[str] = KEEP) -> Path:
    """`root/ws`, its per-user folders in `root/home`."""
    ws = root / "ws"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASP_FT_HOME", str(root / "home"))
        assert main(["init", str(ws)]) == 0
        benchmarks = ws / "data" / "benchmarks"
        for nl in list(benchmarks.rglob("NL.txt")):
            if nl.parent.relative_to(benchmarks).as_posix() not in keep:
                shutil.rmtree(nl.parent)
        assert main(["convert", "-w", str(ws), "--teacher", "structural"]) == 0
    return ws
