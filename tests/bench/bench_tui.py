"""bench_tui: the curation app on 1,000 benchmarks and about 20,000 cached samples.

Measures, each in a fresh process running the real app headless (Textual's pilot):
  launch: from process start until the benchmark tree shows every benchmark with its counts
          (target <= 1.0 s);
  approve: p95 from an approve key press until the decision is durable (target <= 30 ms);
  memory: peak RSS of the app process plus its clingo workers (target <= 300 MB).

    python tests/bench/bench_tui.py [--quick] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

LAUNCH = r"""
import time
t0 = time.perf_counter()
import asyncio, json, resource, sys
from asp_ft_tui.tui.app import make_app

def peak_mb(pid=None):
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0

async def main():
    app = make_app(sys.argv[1])
    out = {}
    async with app.run_test(size=(160, 48)) as pilot:
        while True:
            tree = app.query_one("BenchmarkTree")
            if app.session is not None and tree.benchmark_count() == int(sys.argv[2]):
                break
            await pilot.pause(0.005)
        out["launch_s"] = time.perf_counter() - t0
        out["counted"] = sum(sum(s.counts.values()) for s in app.session.summaries.values())
        await pilot.press("3")
        for _ in range(3):
            await app.workers.wait_for_complete(); await pilot.pause()
        times, screen = [], []
        store = app.session.store
        real_record = store.record
        durable = []

        def record(*args, **kwargs):
            decision = real_record(*args, **kwargs)
            durable.append(time.perf_counter())  # record() returns once file and folder are fsynced
            return decision

        store.record = record
        for _ in range(int(sys.argv[3])):
            key = app.query_one("ReviewQueue").current
            started = time.perf_counter()
            await pilot.press("a")
            screen.append((time.perf_counter() - started) * 1000)
            times.append((durable[-1] - started) * 1000)
            assert store.decision(key).status == "approved", key
        out["approve_ms"] = times
        out["press_to_idle_ms"] = screen
        out["app_peak_mb"] = peak_mb()
        out["worker_peak_mb"] = sum(peak_mb(pid) for pid in app.engine.worker_pids())
        await pilot.press("q")
    print("RESULT " + json.dumps(out))

asyncio.run(main())
"""


def prepare(root: Path, count: int) -> tuple[Path, int]:
    from synth import make_workspace

    from asp_ft_tui.asp.engine import Engine
    from asp_ft_tui.extraction import Extractor, Settings, run_extraction
    from asp_ft_tui.prompts import load_prompts
    from asp_ft_tui.review import ReviewSession
    from asp_ft_tui.teachers.structural import StructuralTeacher

    workspace = make_workspace(root, count, seed=9)
    from asp_ft_tui.domain.benchmarks import discover

    benches = discover(workspace.benchmarks_dir).benchmarks
    with Engine() as engine:
        run_extraction(Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings(all_tones=True)),
                       benches, concurrency=2)
        with ReviewSession.open(workspace) as session:
            session.build([b.id for b in benches], engine)
            samples = len(session.rows)
    return workspace.root, samples


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="200 benchmarks instead of 1,000")
    parser.add_argument("--keep", type=Path, help="reuse (or create) the generated workspace here")
    args = parser.parse_args()
    count = 200 if args.quick else 1000
    scratch = Path(tempfile.mkdtemp(prefix="bench_tui_"))
    os.environ["ASP_FT_HOME"] = str(scratch / "home")
    root = args.keep or scratch / "ws"
    try:
        started = time.perf_counter()
        if args.keep and (root / "data" / "cache" / "samples").is_dir():
            from asp_ft_tui.review import ReviewSession
            from asp_ft_tui.workspace import Workspace

            with ReviewSession.open(Workspace.at(root), readonly=True) as session:
                samples = len(session.rows)
        else:
            shutil.rmtree(root / "data" / "curation", ignore_errors=True)
            root, samples = prepare(root, count)
        print(f"workspace: {count} benchmarks, {samples} cached samples (prepared in {time.perf_counter() - started:.0f} s)")
        shutil.rmtree(root / "data" / "curation", ignore_errors=True)  # start from no decisions
        runs = []
        for _ in range(3):
            run = subprocess.run([sys.executable, "-c", LAUNCH, str(root), str(count), "100"],
                                 capture_output=True, text=True, timeout=600)
            line = next((l for l in run.stdout.splitlines() if l.startswith("RESULT ")), None)
            if line is None:
                print(run.stdout[-2000:], run.stderr[-4000:], file=sys.stderr)
                return 1
            runs.append(json.loads(line[7:]))
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    launch = min(r["launch_s"] for r in runs)
    approvals = [t for r in runs for t in r["approve_ms"]]
    p50, p95 = percentile(approvals, 0.5), percentile(approvals, 0.95)
    memory = max(r["app_peak_mb"] + r["worker_peak_mb"] for r in runs)
    idle = [t for r in runs for t in r["press_to_idle_ms"]]
    print(f"launch to full tree with counts: {launch:.2f} s (best of 3; counts over {runs[0]['counted']} samples)")
    print(f"approve key to durable decision: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(approvals)} presses)")
    print(f"approve key until the app is idle again (screen updated): p50 {percentile(idle, 0.5):.1f} ms, "
          f"p95 {percentile(idle, 0.95):.1f} ms")
    print(f"peak memory, app + clingo workers: {memory:.0f} MB")
    ok = launch <= 1.0 and p95 <= 30 and memory <= 300
    print(f"BENCH bench_tui benchmarks={count} samples={samples} launch_s={launch:.2f} approve_p50_ms={p50:.1f} "
          f"approve_p95_ms={p95:.1f} peak_mb={memory:.0f} target=launch<=1.0s,p95<=30ms,peak<=300MB "
          f"ok={'yes' if ok else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
