"""The synthetic workspace generator that the benchmarks share: distinct, valid, grouped."""

from __future__ import annotations

import sys
from pathlib import Path

import clingo

sys.path.insert(0, str(Path(__file__).parent / "bench"))

from synth import make_workspace  # noqa: E402

from asp_ft_tui.domain.benchmarks import discover  # noqa: E402


def test_synthetic_workspace_is_distinct_grouped_and_solvable(tmp_path):
    ws = make_workspace(tmp_path / "ws", 60, seed=3)
    library = discover(ws.benchmarks_dir)
    assert len(library.benchmarks) == 60 and library.problems == []
    assert len({b.asp for b in library.benchmarks}) == 60
    assert len({b.nl for b in library.benchmarks}) == 60
    assert any(len(m) > 1 for m in library.groups().values())
    assert any(b.ir for b in library.benchmarks)
    assert sum("penalty(" in b.asp for b in library.benchmarks) >= 15
    for bench in library.benchmarks:
        ctl = clingo.Control(["--models=1"])
        ctl.add("base", [], bench.asp)
        ctl.ground([("base", [])])
        assert ctl.solve().satisfiable, bench.id


def test_same_seed_same_bytes(tmp_path):
    a = make_workspace(tmp_path / "a", 12, seed=5)
    b = make_workspace(tmp_path / "b", 12, seed=5)
    files_a = sorted(p.relative_to(a.root) for p in a.benchmarks_dir.rglob("*.txt"))
    assert files_a == sorted(p.relative_to(b.root) for p in b.benchmarks_dir.rglob("*.txt"))
    assert all((a.root / f).read_bytes() == (b.root / f).read_bytes() for f in files_a)
