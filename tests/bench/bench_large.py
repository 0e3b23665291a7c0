"""bench_large: deconstructing and validating a large program vs clingo's own parse + ground of it.

Baseline: one in-process clingo.Control, add + ground of the program (no messages collected).
Ours, through the real engine as extraction uses it: the structural teacher's extraction (the
engine's deconstruction in a worker, components and descriptions built from it), then each
component validated with its context, one after the other. Same program, same run; the best of
a few rounds each, so that a busy machine hurts both sides alike.

    python tests/bench/bench_large.py [--quick]
Target: ours <= 3x the baseline at 100 KB and at 1 MB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clingo  # noqa: E402
from large_program import make_program  # noqa: E402

from asp_ft_tui.asp.engine import Engine, EngineConfig  # noqa: E402
from asp_ft_tui.domain.benchmarks import Benchmark  # noqa: E402
from asp_ft_tui.prompts import load_prompts  # noqa: E402
from asp_ft_tui.teachers.structural import StructuralTeacher  # noqa: E402

SIZES = {"100k": 100_000, "1m": 1_000_000}


def baseline(program: str) -> float:
    started = time.perf_counter()
    ctl = clingo.Control()
    ctl.add("base", [], program)
    ctl.ground([("base", [])])
    return time.perf_counter() - started


def ours(engine: Engine, bench: Benchmark) -> tuple[float, float, int]:
    """(extraction s, validation s, components)"""
    started = time.perf_counter()
    structure = StructuralTeacher(engine).extract(bench, "Casual", load_prompts(None)).structure
    extracted = time.perf_counter()
    for slot, code in structure.components():
        result = engine.validate(code, structure.context_for(slot))
        if not result.ok:
            raise SystemExit(f"{slot} does not validate: {result.error_text}")
    return extracted - started, time.perf_counter() - extracted, len(structure.components())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one round per size instead of five")
    args = parser.parse_args()
    rounds = 1 if args.quick else 5
    ratios = {}
    with Engine(EngineConfig(workers=2)) as engine:
        engine.warm_up()
        for name, size in SIZES.items():
            program = make_program(size, seed=1)
            bench = Benchmark(id=f"large/{name}", path=Path("."), asp=program, nl="A large schedule.", ir=None,
                              asp_file=Path("ASP.txt"))
            base = min(baseline(program) for _ in range(rounds))
            runs = [ours(engine, bench) for _ in range(rounds)]
            extract_s, validate_s, components = min(runs, key=lambda r: r[0] + r[1])
            ratios[name] = (extract_s + validate_s) / base
            print(f"{name}: {len(program) / 1000:.0f} KB, {program.count(chr(10))} lines, {components} components: "
                  f"clingo add+ground {base * 1000:.0f} ms; ours {(extract_s + validate_s) * 1000:.0f} ms "
                  f"(deconstruct+structure {extract_s * 1000:.0f} ms, validation {validate_s * 1000:.0f} ms), "
                  f"ratio {ratios[name]:.2f}")
    ok = all(r <= 3.0 for r in ratios.values())
    print(f"BENCH bench_large ratio_100k={ratios['100k']:.2f} ratio_1m={ratios['1m']:.2f} target=<=3x "
          f"ok={'yes' if ok else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
