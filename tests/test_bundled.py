"""The bundled sample benchmarks: enough of each kind, and every one solvable by clingo."""

from __future__ import annotations

import time

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


def _solve(program: str, limit: float = 2.0):
    ctl = clingo.Control(["--models=1"], logger=lambda code, msg: None)
    ctl.add("base", [], program)
    start = time.perf_counter()
    ctl.ground([("base", [])])
    costs = []
    with ctl.solve(on_model=lambda m: costs.append(m.cost), async_=True) as handle:
        finished = handle.wait(max(0.0, limit - (time.perf_counter() - start)))
        if not finished:
            handle.cancel()
        result = handle.get()
    return finished, result, costs, ctl.statistics["summary"]["models"]


@pytest.mark.parametrize("bench", LIBRARY.benchmarks, ids=lambda b: b.id)
def test_each_bundled_benchmark_is_satisfiable_within_two_seconds(bench):
    assert "#include" not in bench.asp and "#script" not in bench.asp
    finished, result, costs, _ = _solve(bench.asp)
    assert finished, f"{bench.id} did not finish within 2 s"
    assert result.satisfiable, f"{bench.id} is not satisfiable"
    if OBJECTIVE in bench.asp:
        assert costs, "an optimisation problem reports a cost"
