"""The synthetic workspace generator that the benchmarks share: distinct, valid, grouped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import clingo

sys.path.insert(0, str(Path(__file__).parent / "bench"))

from synth import NON_ASCII, TONE_LABELS, make_foreign_tree, make_workspace  # noqa: E402

from asp_ft_tui.domain.benchmarks import discover  # noqa: E402
from asp_ft_tui.domain.structure import Structure  # noqa: E402


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


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_foreign_caches_are_deterministic_and_read_as_structures(tmp_path):
    a = make_foreign_tree(tmp_path / "a", 40, seed=2, wrong=1)
    make_foreign_tree(tmp_path / "b", 40, seed=2, wrong=1)
    assert _tree_bytes(tmp_path / "a") == _tree_bytes(tmp_path / "b")
    assert not list((tmp_path / "a").rglob("structure.meta.json"))
    library = discover(tmp_path / "a")
    assert len(library.benchmarks) == 40 and library.problems == []
    descriptions, repeats, statements = [], 0, 0
    for folder in a:
        structure = Structure.from_dict(json.loads((folder / "structure.json").read_text(encoding="utf-8")))
        assert structure.generator.strip() and structure.hard_constraints, folder
        descriptions += [r.description for r in structure.hard_constraints + structure.soft_constraints]
        lines = structure.recombine().splitlines()
        statements += len(lines)
        repeats += len(lines) - len(set(lines))
    assert any(d.startswith(TONE_LABELS) for d in descriptions)
    assert "" in descriptions and NON_ASCII in descriptions and max(map(len, descriptions)) > 1000
    assert repeats > 0.1 * statements  # planning caches repeat their shared support definitions


def _statements_of(program: str) -> list[str]:
    return sorted(line for line in program.splitlines() if line.strip() and not line.startswith("%"))


def test_foreign_components_split_the_program_except_the_renamed_and_the_wrong(tmp_path):
    folders = make_foreign_tree(tmp_path, 20, seed=4, wrong=1)
    kinds = {}
    for folder in folders:
        structure = Structure.from_dict(json.loads((folder / "structure.json").read_text(encoding="utf-8")))
        same = set(_statements_of(structure.recombine())) == set(_statements_of((folder / "ASP.txt").read_text()))
        kinds[folder.name] = same
    assert kinds.pop(folders[0].name) is False  # the wrong one
    renamed = [f.name for f in folders if f.name.split("_")[2] in ("1", "9")]
    assert renamed and not any(kinds.pop(name) for name in renamed)
    assert all(kinds.values()), kinds
    # Hard scheduling problems: one has thousands of answer sets.
    exams = next(f for f in folders if f.name.startswith("exams"))
    ctl = clingo.Control(["--models=0"])
    ctl.add("base", [], (exams / "ASP.txt").read_text())
    ctl.ground([("base", [])])
    with ctl.solve(yield_=True) as handle:
        assert sum(1 for _ in handle) >= 1000
