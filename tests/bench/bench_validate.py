"""bench_validate: validating many snippets through the contained pool vs the naive way.

(a) naive: one in-process clingo.Control per snippet, unsandboxed, add + ground (a logger
    collects the messages); (b) the engine's warm worker pool, `validate_many`. Same 5,000
    distinct realistic (snippet, context) pairs, same run, no caching; both must give the same
    ok/error verdict for every snippet. Also the p50 latency of one `validate` on a warm pool.

    python tests/bench/bench_validate.py [--quick]
Targets: pool/naive throughput >= 0.9; warm single validate p50 <= 2 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clingo  # noqa: E402
from snippets import make_snippets  # noqa: E402

from asp_ft_tui.asp.checker import join_context  # noqa: E402
from asp_ft_tui.asp.engine import Engine  # noqa: E402


def naive_ok(snippet: str, context: str) -> bool:
    program, _ = join_context(context, snippet)
    errors = []
    ctl = clingo.Control(logger=lambda code, message: errors.append(message) if ": error:" in message else None)
    try:
        ctl.add("base", [], program)
        ctl.ground([("base", [])])
    except RuntimeError:
        return False
    return not errors


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="500 snippets instead of 5,000")
    args = parser.parse_args()
    count = 500 if args.quick else 5_000
    pairs = make_snippets(count, seed=1)
    broken = 0

    t0 = time.perf_counter()
    naive = [naive_ok(s, c) for s, c in pairs]
    naive_s = time.perf_counter() - t0
    broken = naive.count(False)

    with Engine() as engine:
        t0 = time.perf_counter()
        engine.warm_up()
        startup_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pooled = [r.ok for r in engine.validate_many(pairs)]
        pool_s = time.perf_counter() - t0
        latencies = []
        for snippet, context in pairs[:300]:
            t1 = time.perf_counter()
            engine.validate(snippet, context)
            latencies.append((time.perf_counter() - t1) * 1000)
        workers = engine.config.workers

    mismatches = [i for i, (a, b) in enumerate(zip(naive, pooled)) if a != b]
    naive_rate, pool_rate = count / naive_s, count / pool_s
    ratio = pool_rate / naive_rate
    p50 = statistics.median(latencies)
    print(f"{count} distinct snippets ({broken} broken), {workers} workers (started in {startup_s * 1000:.0f} ms)")
    print(f"(a) naive in-process, one Control each: {naive_rate:8.0f} snippets/s")
    print(f"(b) contained worker pool:              {pool_rate:8.0f} snippets/s   b/a = {ratio:.2f}")
    print(f"warm single validate: p50 {p50:.2f} ms, p95 {sorted(latencies)[int(0.95 * len(latencies))]:.2f} ms")
    if mismatches:
        i = mismatches[0]
        print(f"VERDICT MISMATCH on {len(mismatches)} snippets, first: {pairs[i][0]!r} naive={naive[i]} pool={pooled[i]}")
    ok = not mismatches and ratio >= 0.9 and p50 <= 2.0
    print(
        f"BENCH bench_validate snippets={count} naive_per_s={naive_rate:.0f} pool_per_s={pool_rate:.0f} "
        f"ratio={ratio:.2f} p50_ms={p50:.2f} verdict_mismatches={len(mismatches)} "
        f"target=ratio>=0.9,p50<=2ms ok={'yes' if ok else 'no'}"
    )
    return 0 if not mismatches else 1


if __name__ == "__main__":
    raise SystemExit(main())
