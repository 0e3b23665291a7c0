"""The bundled sample benchmarks: enough of each kind, and every one solvable by clingo."""

from __future__ import annotations


import clingo
import pytest

from asp_ft_tui import paths
from asp_ft_tui.domain.benchmarks import discover

LIBRARY = discover(paths.bundled_benchmarks())
OBJECTIVE = "#minimize { W,N,T : penalty(N,T,W) }."


def test_the_bundled_set_has_what_the_demo_needs():
    assert LIBRARY.problems == []
    groups = LIBRARY.groups()
    assert len(groups) >= 18
    assert len({b.category.split("/")[0] for b in LIBRARY.benchmarks}) >= 4
    assert sum(1 for b in LIBRARY.benchmarks if "penalty(" in b.asp and OBJECTIVE in b.asp) >= 6
    assert sum(1 for members in groups.values() if len(members) > 1) >= 4
    assert sum(1 for b in LIBRARY.benchmarks if b.ir is not None) >= 3
    for bench in LIBRARY.benchmarks:
        assert bench.nl is not None, bench.id
        assert bench.asp.isascii(), bench.id
        assert bench.asp.count("%") >= 5, f"{bench.id} should be commented"


SOLVE_LIMIT = 20_000  # conflicts: a fixed measure of effort, the same on an idle or a busy machine


def _solve(program: str):
    ctl = clingo.Control(["--models=1", f"--solve-limit={SOLVE_LIMIT}"], logger=lambda code, msg: None)
    ctl.add("base", [], program)
    ctl.ground([("base", [])])
    costs = []
    with ctl.solve(on_model=lambda m: costs.append(m.cost), async_=True) as handle:
        finished = handle.wait(120)  # only a guard against a hang; the solve limit is the real bound
        if not finished:
            handle.cancel()
        result = handle.get()
    return finished, result, costs, ctl.statistics["summary"]["models"]


@pytest.mark.parametrize("bench", LIBRARY.benchmarks, ids=lambda b: b.id)
def test_each_bundled_benchmark_is_easy_and_satisfiable(bench):
    assert "#include" not in bench.asp and "#script" not in bench.asp
    finished, result, costs, _ = _solve(bench.asp)
    assert finished and not result.unknown, f"{bench.id} needs more than {SOLVE_LIMIT} conflicts"
    assert result.satisfiable, f"{bench.id} is not satisfiable"
    if OBJECTIVE in bench.asp:
        assert costs, "an optimisation problem reports a cost"
