"""Realistic (snippet, context) pairs cut from synthetic benchmarks, for the engine benchmarks.

Each benchmark gives its generator, hard constraints, soft constraints and objective as snippets,
with the context they are validated in (instance; instance + generator), and a share of them
broken the way model output breaks (a dropped period, doubled braces, `\\=`, an unbound head
variable). Pairs are distinct; the same seed gives the same list.
"""

from __future__ import annotations

import random
import re
import tempfile
from pathlib import Path

from synth import make_benchmark_tree

from asp_ft_tui.domain.benchmarks import discover

_SECTION = re.compile(r"^% --- (.+) ---$")


def sections(asp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = "Header"
    for line in asp.splitlines():
        match = _SECTION.match(line)
        if match:
            current = match.group(1)
            continue
        if line.strip() and not line.lstrip().startswith("%"):
            out.setdefault(current, []).append(line)
    return out


def _break(rng: random.Random, snippet: str) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return snippet.rstrip().rstrip(".")
    if choice == 1:
        return snippet.replace("{", "{{", 1).replace("}", "}}", 1) if "{" in snippet else snippet + " }."
    if choice == 2:
        return snippet.replace("!=", "\\=") if "!=" in snippet else snippet.replace(":-", ":- X \\= 1,", 1)
    return re.sub(r"^(\w+)\(", r"\1(Unbound,", snippet, count=1)


def make_snippets(count: int, seed: int = 0, broken_share: float = 0.3) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    benchmarks_needed = max(10, count // 3)
    with tempfile.TemporaryDirectory() as tmp:
        make_benchmark_tree(Path(tmp), benchmarks_needed, seed=seed)
        library = discover(Path(tmp))
    for bench in library.benchmarks:
        parts = sections(bench.asp)
        instance = "\n".join(parts.get("Instance", []))
        generator = "\n".join(parts.get("Generator", []))
        candidates = [(generator, instance)]
        for name in ("Hard constraints", "Soft constraints", "Objective"):
            for statement in parts.get(name, []):
                candidates.append((statement, instance + "\n" + generator))
        for snippet, context in candidates:
            if rng.random() < broken_share:
                snippet = _break(rng, snippet)
            if (snippet, context) not in seen:
                seen.add((snippet, context))
                pairs.append((snippet, context))
            if len(pairs) == count:
                return pairs
    raise ValueError(f"only {len(pairs)} distinct snippets from {benchmarks_needed} benchmarks")
