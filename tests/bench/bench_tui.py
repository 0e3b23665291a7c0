"""bench_tui: the curation app on 1,000 benchmarks and about 20,000 cached samples, as ratios.

One run measures, alternately and each in a fresh process (the real app headless, Textual's pilot):
  launch: from spawning the process until the benchmark tree shows every benchmark with its
          counts and that screen has been rendered, for
            big   the 1,000-benchmark workspace (~24,000 samples),
            small a 5-benchmark workspace (~120 samples),
            bare  a bare Textual app showing a Tree of the big workspace's shape (no asp-ft code);
  approve: from the approve key press until the screen has settled: the press handled, no
          message, layout or repaint pending, and the queue row and the tree node show the new
          decision (checked), in the big and the small workspace;
  and, for information, press until the decision is durable, opening the Review tab, peak memory.

Targets (issue 13, point 7), as ratios within this one run:
  launch big <= 1.5x launch small, launch big <= 2x bare;
  approve p95 big <= 50 ms, approve p95 big <= 1.5x approve p95 small.

    python tests/bench/bench_tui.py [--quick] [--rounds N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import compileall
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

APP = r"""
import asyncio, json, resource, sys, time
from textual import events
from asp_ft_tui.tui.app import make_app
{SETTLE}
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
        tree = app.query_one("BenchmarkTree")
        await settle(app, lambda: app.session is not None and tree.benchmark_count() == int(sys.argv[2]))
        out["ready_at"] = time.time()
        out["counted"] = sum(sum(s.counts.values()) for s in app.session.summaries.values())
        session, queue = app.session, app.query_one("ReviewQueue")
        started = time.perf_counter()
        app.post_message(events.Key("3", "3"))  # the tab makes its widgets when it first opens
        await settle(app, lambda: len(queue.keys) == out["counted"] and app.query("SampleView")
                     and app.query_one("SampleView").sample is not None)
        out["review_tab_ms"] = (time.perf_counter() - started) * 1000
        table, view = app.query_one("#queue-table"), app.query_one("SampleView")
        store = session.store
        real_record, durable = store.record, []

        def record(*args, **kwargs):
            decision = real_record(*args, **kwargs)
            durable.append(time.perf_counter())  # record() returns once file and folder are fsynced
            return decision

        store.record = record
        times, to_durable = [], []
        for _ in range(int(sys.argv[3])):
            key = queue.current
            bench_id = session.rows[key].benchmark_id
            approved = session.summaries[bench_id].counts["approved"] + (store.decision(key) is None
                                                                          or store.decision(key).status != "approved")
            following = queue.keys[min(queue.keys.index(key) + 1, len(queue.keys) - 1)]

            def shown():
                return (table.get_cell(key, "status").plain == "approved"
                        and f"+{approved} " in tree._leaves[bench_id].label.plain
                        and queue.current == following and view.sample is not None and view.sample.key == following)

            started = time.perf_counter()
            app.post_message(events.Key("a", "a"))
            await settle(app, shown)
            times.append((time.perf_counter() - started) * 1000)
            to_durable.append((durable[-1] - started) * 1000)
            assert store.decision(key).status == "approved", key
        out["approve_ms"] = times
        out["durable_ms"] = to_durable
        out["app_peak_mb"] = peak_mb()
        out["worker_peak_mb"] = sum(peak_mb(pid) for pid in app.engine.worker_pids())
        await pilot.press("q")
    print("RESULT " + json.dumps(out))

asyncio.run(main())
"""

BARE = r"""
import asyncio, json, sys, time
from rich.text import Text
from textual.app import App
from textual.widgets import Tree
{SETTLE}
class Bare(App):
    def compose(self):
        yield Tree("Benchmarks")

    def on_mount(self):
        tree = self.query_one(Tree)
        tree.show_root = False
        categories = {}
        for bench_id in json.loads(open(sys.argv[1]).read()):
            category, _, name = bench_id.rpartition("/")
            node = categories.get(category)
            if node is None:
                node = categories[category] = tree.root.add(Text(category, style="bold"), expand=True)
            node.add_leaf(Text.assemble(name, " ", ("+0", "green"), " ", ("?24", "yellow")))
        tree.root.expand()

async def main():
    app = Bare()
    async with app.run_test(size=(160, 48)) as pilot:
        tree = app.query_one(Tree)
        expected = len(json.loads(open(sys.argv[1]).read()))
        await settle(app, lambda: sum(len(c.children) for c in tree.root.children) == expected)
        print("RESULT " + json.dumps({"ready_at": time.time()}))

asyncio.run(main())
"""


# Settled: `state()` holds, every message queue of the app and its screen is empty and the screen
# has no layout, repaint or dirty widget pending (Textual renders those on its frame timer). Polled
# each millisecond: the pilot's own waits (`press`, `pause`) sleep 20 ms slices until the CPU is
# idle, more than the whole approve target.
SETTLE = r"""
async def settle(app, state, timeout=60.0):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if not app.is_running:
            raise RuntimeError("the app stopped")
        screen = app.screen
        if (state() and not (screen._layout_required or screen._repaint_required or screen._dirty_widgets)
                and all(w._message_queue.empty() for w in (app, *screen.walk_children(with_self=True)))):
            return
        await asyncio.sleep(0.001)
    raise TimeoutError("the screen did not settle")
"""
APP = APP.replace("{SETTLE}", SETTLE)
BARE = BARE.replace("{SETTLE}", SETTLE)


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


def workspace(root: Path, count: int) -> tuple[Path, int, list[str]]:
    """(root, samples, benchmark ids) of a prepared workspace, made when `root` holds none yet."""
    from asp_ft_tui.review import ReviewSession
    from asp_ft_tui.workspace import Workspace

    if not (root / "data" / "cache" / "samples").is_dir():
        shutil.rmtree(root, ignore_errors=True)
        prepare(root, count)
    shutil.rmtree(root / "data" / "curation", ignore_errors=True)
    with ReviewSession.open(Workspace.at(root), readonly=True) as session:
        return root, len(session.rows), [b.id for b in session.library.benchmarks]


def run_child(script: str, *args: str) -> dict:
    spawned = time.time()
    run = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=900)
    line = next((l for l in run.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"child failed:\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}")
    result = json.loads(line[7:])
    result["launch_s"] = result.pop("ready_at") - spawned
    return result


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median(values):
    return percentile(values, 0.5)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="200 benchmarks, 2 rounds, 40 presses a run")
    parser.add_argument("--rounds", type=int, help="fresh processes per kind (default 3, quick 2)")
    parser.add_argument("--presses", type=int, help="approve presses per app process (default 100, quick 40)")
    parser.add_argument("--keep", type=Path, help="reuse (or create) the generated workspaces under this folder")
    args = parser.parse_args()
    count = 200 if args.quick else 1000
    rounds = args.rounds or (2 if args.quick else 3)
    presses = args.presses or (40 if args.quick else 100)
    # An installed package has its bytecode; where PYTHONDONTWRITEBYTECODE is set (CI, this machine)
    # a module changed since its .pyc would be compiled again at every launch measured.
    import asp_ft_tui

    compileall.compile_dir(Path(asp_ft_tui.__file__).parent, quiet=1)
    scratch = Path(tempfile.mkdtemp(prefix="bench_tui_"))
    os.environ["ASP_FT_HOME"] = str(scratch / "home")
    base = args.keep or scratch
    try:
        started = time.perf_counter()
        big, big_samples, big_ids = workspace(base / f"ws{count}", count)
        small, small_samples, small_ids = workspace(base / "ws5", 5)
        print(f"workspaces: {count} benchmarks / {big_samples} samples and 5 / {small_samples} "
              f"(ready in {time.perf_counter() - started:.0f} s); {rounds} rounds, {presses} presses a run")
        shape = scratch / "shape.json"
        shape.write_text(json.dumps(big_ids))
        results: dict[str, list[dict]] = {"bare": [], "small": [], "big": []}
        for _ in range(rounds):  # alternate the kinds, so drift in the machine's load hits all alike
            results["bare"].append(run_child(BARE, str(shape)))
            for kind, root, ids in (("small", small, small_ids), ("big", big, big_ids)):
                shutil.rmtree(root / "data" / "curation", ignore_errors=True)  # start from no decisions
                results[kind].append(run_child(APP, str(root), str(len(ids)), str(presses)))
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    launch = {kind: median([r["launch_s"] for r in runs]) for kind, runs in results.items()}
    approve = {kind: [t for r in results[kind] for t in r["approve_ms"]] for kind in ("small", "big")}
    p50 = {kind: percentile(ts, 0.5) for kind, ts in approve.items()}
    p95 = {kind: percentile(ts, 0.95) for kind, ts in approve.items()}
    durable = {kind: percentile([t for r in results[kind] for t in r["durable_ms"]], 0.95) for kind in approve}
    memory = max(r["app_peak_mb"] + r["worker_peak_mb"] for r in results["big"])
    ratios = {"launch_vs_small": launch["big"] / launch["small"], "launch_vs_bare": launch["big"] / launch["bare"],
              "approve_p95_vs_small": p95["big"] / p95["small"]}
    print(f"launch to the full tree, rendered (median of {rounds}): {count} benchmarks {launch['big']:.2f} s, "
          f"5 benchmarks {launch['small']:.2f} s, bare Textual tree {launch['bare']:.2f} s "
          f"-> {ratios['launch_vs_small']:.2f}x small, {ratios['launch_vs_bare']:.2f}x bare")
    for kind, samples in (("big", big_samples), ("small", small_samples)):
        print(f"approve key to settled screen, {samples} samples: p50 {p50[kind]:.1f} ms, p95 {p95[kind]:.1f} ms "
              f"({len(approve[kind])} presses); to durable decision p95 {durable[kind]:.1f} ms; Review tab opened in "
              f"{median([r['review_tab_ms'] for r in results[kind]]):.0f} ms")
    print(f"approve p95 {count} benchmarks vs 5: {ratios['approve_p95_vs_small']:.2f}x; "
          f"peak memory, app + clingo workers: {memory:.0f} MB")
    ok = (ratios["launch_vs_small"] <= 1.5 and ratios["launch_vs_bare"] <= 2 and p95["big"] <= 50
          and ratios["approve_p95_vs_small"] <= 1.5)
    print(f"BENCH bench_tui benchmarks={count} samples={big_samples} small_samples={small_samples} "
          f"launch_s={launch['big']:.2f} launch_small_s={launch['small']:.2f} launch_bare_s={launch['bare']:.2f} "
          f"launch_vs_small={ratios['launch_vs_small']:.2f} launch_vs_bare={ratios['launch_vs_bare']:.2f} "
          f"approve_p50_ms={p50['big']:.1f} approve_p95_ms={p95['big']:.1f} approve_small_p95_ms={p95['small']:.1f} "
          f"approve_p95_vs_small={ratios['approve_p95_vs_small']:.2f} peak_mb={memory:.0f} "
          f"target=launch_vs_small<=1.5,launch_vs_bare<=2,approve_p95<=50ms,approve_p95_vs_small<=1.5 "
          f"ok={'yes' if ok else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
