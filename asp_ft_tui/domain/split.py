"""Group-aware train/valid(/test) split.

A problem and its variants form one group and never straddle splits; benchmarks whose
description and ASP are equal after normalising whitespace are one group too, whatever their
folder names (real trees hold copies), and are reported as duplicates. Fractions count groups;
seeded and reproducible; valid is never empty when there are two groups or more, whatever the
fraction, and train always gets one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from asp_ft_tui.domain.benchmarks import Benchmark


def _normalise(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Split:
    assignment: dict[str, str] = field(default_factory=dict)
    """benchmark id -> train, valid or test."""
    groups: dict[str, list[str]] = field(default_factory=dict)
    """group key -> benchmark ids (after merging duplicates)."""
    duplicates: list[list[str]] = field(default_factory=list)
    """Sets of benchmark ids with the same description and ASP."""

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in self.assignment.values():
            out[name] = out.get(name, 0) + 1
        return out


def split_benchmarks(benchmarks: list[Benchmark], seed: int = 0, valid_fraction: float = 0.2,
                     test_fraction: float = 0.0) -> Split:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_content: dict[tuple[str, str], list[str]] = {}
    for bench in benchmarks:
        union(f"g:{bench.group}", f"b:{bench.id}")
        by_content.setdefault((_normalise(bench.description), _normalise(bench.asp)), []).append(bench.id)
    duplicates = sorted(sorted(ids) for ids in by_content.values() if len(ids) > 1)
    for ids in duplicates:
        for other in ids[1:]:
            union(f"b:{ids[0]}", f"b:{other}")

    groups: dict[str, list[str]] = {}
    for bench in benchmarks:
        groups.setdefault(find(f"b:{bench.id}"), []).append(bench.id)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    n = len(keys)
    n_test = max(1, round(n * test_fraction)) if test_fraction > 0 and n >= 3 else 0
    # mlx-lm fails on an empty valid.jsonl: a valid group even when the fraction asks for none.
    n_valid = min(n - n_test - 1, max(1, round(n * valid_fraction))) if n >= 2 else 0
    split = Split(groups={k: sorted(v) for k, v in groups.items()}, duplicates=duplicates)
    for i, key in enumerate(keys):
        name = "test" if i < n_test else "valid" if i < n_test + n_valid else "train"
        for bench_id in groups[key]:
            split.assignment[bench_id] = name
    return split
