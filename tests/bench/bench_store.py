"""bench_store: how long one more durable decision takes with 20,000 already recorded.

Ours: CurationStore.record (sharded TinyDB files, temp file + fsync + rename + fsync of the
folder). Baseline, same run and same data: the same decision documents in one TinyDB file through
TinyDB's default JSONStorage (no fsync at all), one more `insert`. Also: time to open the store
and to discover 1,000 benchmark folders made by synth.py.

    python tests/bench/bench_store.py [--quick] [--dir DIR]
Target: p95 of one durable decision <= 20 ms. Run it on a real disk, not tmpfs.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import make_benchmark_tree  # noqa: E402  (also puts the repo on sys.path)

from tinydb import TinyDB  # noqa: E402

from asp_ft_tui.domain.benchmarks import discover  # noqa: E402
from asp_ft_tui.store import CurationStore  # noqa: E402

TARGET_P95_MS = 20.0


def filesystem_of(path: Path) -> str:
    best, fstype = "", "?"
    for line in Path("/proc/mounts").read_text().splitlines():
        _, mount, kind, *_ = line.split()
        if str(path).startswith(mount) and len(mount) > len(best):
            best, fstype = mount, kind
    return fstype


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def key_of(i: int) -> str:
    return f"Category {i % 40}/problem_{i // 20}/task_{i % 5}/tone_{i % 3}/op_{i % 7}/seed_{i}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a small run (2,000 decisions)")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder on a real disk")
    args = parser.parse_args()
    existing = 2_000 if args.quick else 20_000
    samples = 100 if args.quick else 500
    folders = 200 if args.quick else 1_000

    scratch = Path(tempfile.mkdtemp(prefix="bench_store_", dir=args.dir))
    fstype = filesystem_of(scratch)
    if fstype == "tmpfs":
        print(f"{scratch} is on tmpfs: pass --dir on a real disk", file=sys.stderr)
        return 2
    rng = random.Random(1)
    try:
        store_dir = scratch / "curation"
        store = CurationStore.open(store_dir)
        for start in range(0, existing, 1_000):
            store.record_many([(key_of(i), rng.choice(["approved", "rejected"]), f"{i:016x}", None, None)
                               for i in range(start, min(existing, start + 1_000))])
        store.close()
        t0 = time.perf_counter()
        store = CurationStore.open(store_dir)
        open_s = time.perf_counter() - t0

        ours = []
        for n in range(samples):
            i = existing + n if n % 2 else rng.randrange(existing)
            t0 = time.perf_counter()
            store.record(key_of(i), rng.choice(["approved", "rejected"]), f"{i:016x}-{n}")
            ours.append((time.perf_counter() - t0) * 1000)
        docs = [doc for _, _, doc in store._docs.values()]
        store.close()

        base_path = scratch / "tinydb-default.json"
        base_db = TinyDB(base_path)
        base_db.table("decisions").insert_multiple(docs)
        table = base_db.table("decisions")
        baseline = []
        for n in range(samples):
            doc = dict(docs[n % len(docs)], key=f"extra-{n}")
            t0 = time.perf_counter()
            table.insert(doc)
            baseline.append((time.perf_counter() - t0) * 1000)
        base_db.close()

        bench_root = scratch / "benchmarks"
        make_benchmark_tree(bench_root, folders, seed=11)
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            library = discover(bench_root)
            runs.append(time.perf_counter() - t0)
        assert len(library.benchmarks) == folders, (len(library.benchmarks), library.problems[:3])
        discover_s = statistics.median(runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    p50, p95 = percentile(ours, 0.5), percentile(ours, 0.95)
    b50, b95 = percentile(baseline, 0.5), percentile(baseline, 0.95)
    print(f"filesystem: {fstype}; {existing:,} decisions recorded, {samples} timed writes each")
    print(f"ours (durable, fsync file+dir):   p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   open {open_s * 1000:.0f} ms")
    print(f"TinyDB default JSONStorage:       p50 {b50:7.2f} ms   p95 {b95:7.2f} ms   (no fsync)")
    print(f"discover {folders:,} benchmark folders: {discover_s * 1000:.0f} ms (median of 3)")
    ok = p95 <= TARGET_P95_MS
    print(
        f"BENCH bench_store decisions={existing} ours_p50_ms={p50:.2f} ours_p95_ms={p95:.2f} "
        f"tinydb_p50_ms={b50:.2f} tinydb_p95_ms={b95:.2f} p95_speedup={b95 / p95:.1f} open_ms={open_s * 1000:.0f} "
        f"discover_{folders}_ms={discover_s * 1000:.0f} target=p95<={TARGET_P95_MS:g}ms ok={'yes' if ok else 'no'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
