"""A few hand-made samples and benchmarks for export tests that need no extraction."""

from __future__ import annotations

from pathlib import Path

from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.samples import Sample


def sample(bench: str, i: int) -> Sample:
    return Sample(key=f"{bench}/instance/{i}", benchmark_id=bench, group=bench, task="instance", slot="instance",
                  system="Write ASP.", user=f"Facts {i} of {bench}.", answer=f"fact({i}).", context="")


def library(n: int = 6) -> tuple[list[Sample], list[Benchmark]]:
    ids = [f"b{i}" for i in range(n)]
    # Distinct texts: the split merges identical benchmarks into one group.
    benchmarks = [Benchmark(id=b, path=Path(b), asp=f"{b}.", nl=f"About {b}.", ir=None, asp_file=Path(b) / "ASP.txt")
                  for b in ids]
    return [sample(b, i) for b in ids for i in range(3)], benchmarks
