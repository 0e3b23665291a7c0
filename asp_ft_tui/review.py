"""The review session: everything the curation app and `asp-ft review` show and do, no Textual.

It joins the benchmark library, each benchmark's extraction (structure + sidecar), the sample
cache's index rows and the decisions in the curation store, and keeps the counts per benchmark
current as decisions are made. Sample text is read from the cache only when it is looked at.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

from asp_ft_tui.domain.benchmarks import Benchmark, Library, discover, read_folder
from asp_ft_tui.domain.samples import CHANGED, Sample
from asp_ft_tui.domain.structure import meta_path
from asp_ft_tui.prompts import PromptSet, load_prompts
from asp_ft_tui.samples import BuildSettings, SampleCache, SampleRow, build_samples, fingerprint, read_sources
from asp_ft_tui.snapshot import SUMMARY_FIELDS, Snapshot
from asp_ft_tui.store import CurationStore, Decision
from asp_ft_tui.workspace import Workspace

REVIEW_STATUSES = ("pending", "approved", "rejected", CHANGED)


@dataclass
class BenchmarkSummary:
    bench: Benchmark
    extraction: str = "not extracted"
    """not extracted, extracted, failed, needs review."""
    components_valid: int = 0
    components_total: int = 0
    faithful: str = ""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REVIEW_STATUSES, 0))
    samples_built: bool = False
    failure: str = ""
    """Why the last extraction failed (kept with an earlier good one, which stays in use); else empty."""


class ReviewError(Exception):
    """A review action cannot be done; the message says why."""


class ReviewSession:
    def __init__(self, workspace: Workspace, store: CurationStore, prompts: PromptSet | None = None,
                 settings: BuildSettings | None = None) -> None:
        self.workspace = workspace
        self.store = store
        self.prompts = prompts or load_prompts(workspace.prompts_dir)
        self.settings = settings or BuildSettings()
        self.cache = SampleCache(workspace.cache_dir / "samples", self.settings)
        self.library = Library(root=workspace.benchmarks_dir)
        self.summaries: dict[str, BenchmarkSummary] = {}
        self._rows: dict[str, SampleRow] = {}
        self._keys: dict[str, list[str]] = {}
        self._rows_later = None
        """Reads the rows a launch snapshot holds, until they are first wanted (see `rows`)."""
        self._counts: dict[str, int] | None = None
        self._texts: dict[str, dict[str, Sample]] = {}
        self._lock = threading.RLock()
        self._snapshot_due: int | None = None

    @classmethod
    def open(cls, workspace: Workspace, *, readonly: bool = False, readonly_if_busy: bool = False,
             keep_snapshot: bool = True) -> "ReviewSession":
        """A writer session (holding the workspace lock), or a reader; `readonly_if_busy`: a reader
        when another process holds the lock or the disk is read-only (`store.readonly_reason`).
        `keep_snapshot=False`: the caller calls `keep_snapshot()` when it has time (after showing)."""
        store = CurationStore.for_workspace(workspace, readonly=readonly, readonly_if_busy=readonly_if_busy)
        session = cls(workspace, store)
        session.reload()
        if keep_snapshot:
            session.keep_snapshot()
        return session

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "ReviewSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- loading -------------------------------------------------------------------------------
    def reload(self, *, fresh: bool = False) -> None:
        """Read the benchmark tree, the extractions and the sample indexes; from the launch snapshot
        where the files it stands for are unchanged, unless `fresh`."""
        started = time.time_ns()
        loaded = None if fresh else self._snapshot().load()
        if loaded is None:
            library = discover(self.workspace.benchmarks_dir, self.workspace.structures_dir)
            summaries, by_benchmark = {}, {}
            for bench in library.benchmarks:
                summaries[bench.id], by_benchmark[bench.id] = self._load_benchmark(bench)
        else:
            library, by_benchmark = loaded.library, None
            summaries = {b.id: BenchmarkSummary(b, **loaded.summaries[b.id]) for b in library.benchmarks}
        with self._lock:
            self.library, self.summaries = library, summaries
            self._texts.clear()
            if by_benchmark is None:
                # The sample rows are read when first wanted (the review list, a decision, a
                # count that needs them): a launch shows the tree without them.
                self._rows_later, self._counts = loaded.rows, loaded.counts
                if self.store.decided():
                    self.take_rows()
            else:
                self._rows_later, self._counts = None, None
                self._keep_rows(by_benchmark)
            self._count_all()
            # Benchmarks changed since the snapshot: read alone, unless one is no benchmark now.
            if loaded is not None and not all(self.refresh_benchmark(b) for b in loaded.stale):
                return self.reload(fresh=True)
        self._snapshot_due = started if loaded is None or loaded.stale else None

    @property
    def rows(self) -> dict[str, SampleRow]:
        """Every sample's row by key."""
        if self._rows_later is not None:
            self.take_rows()
        return self._rows

    @property
    def _by_benchmark(self) -> dict[str, list[str]]:
        if self._rows_later is not None:
            self.take_rows()
        return self._keys

    def take_rows(self) -> None:
        """Read the sample rows a launch left for later, now (a worker calls it once the app is up;
        the first use of `rows` does otherwise)."""
        with self._lock:
            later, self._rows_later = self._rows_later, None
            if later is None:
                return
            by_benchmark = later()
            if by_benchmark is None:  # the snapshot's rows are gone or damaged: the indexes then
                by_benchmark = {b.id: self._load_benchmark(b)[1] for b in self.library.benchmarks}
            self._keep_rows(by_benchmark)
            self._counts = None

    def _keep_rows(self, by_benchmark: dict[str, list[SampleRow]]) -> None:
        rows = {}
        for bench_rows in by_benchmark.values():
            rows.update((r.key, r) for r in bench_rows)
        self._rows = rows
        self._keys = {b: [r.key for r in bench_rows] for b, bench_rows in by_benchmark.items() if bench_rows}

    def _snapshot(self) -> Snapshot:
        key = {"benchmarks": os.path.realpath(self.workspace.benchmarks_dir),
               "structures": str(self.workspace.structures_dir), "cache": str(self.cache.directory),
               "prompts": self.prompts.hashes(),
               "settings": [self.settings.seed, self.settings.repair_rate, self.settings.tries]}
        return Snapshot(self.workspace.cache_dir, key, root=self.workspace.benchmarks_dir,
                        structures=self.workspace.structures_dir, index_of=self.cache.index_name)

    def keep_snapshot(self) -> None:
        """Write the launch snapshot when the last load could not use it all (a no-op otherwise)."""
        started, self._snapshot_due = self._snapshot_due, None
        if started is None:
            return
        with self._lock:
            library = replace(self.library, benchmarks=list(self.library.benchmarks))
            summaries = {k: {name: getattr(s, name) for name in SUMMARY_FIELDS} for k, s in self.summaries.items()}
            rows = {k: [self.rows[key] for key in keys] for k, keys in self._by_benchmark.items()}
        self._snapshot().save(library, summaries, rows, started)

    def refresh_benchmark(self, benchmark_id: str) -> bool:
        """Re-read one benchmark (after an extraction, an edit or a build); False when its folder
        no longer holds a benchmark."""
        found = read_folder(self.workspace.benchmarks_dir, benchmark_id, self.workspace.structures_dir)
        bench = found.benchmarks[0] if found.benchmarks else None
        with self._lock:
            for key in self._by_benchmark.pop(benchmark_id, []):
                self.rows.pop(key, None)
            self._texts.pop(benchmark_id, None)
            if bench is None:
                self.summaries.pop(benchmark_id, None)
                return False
            summary, bench_rows = self._load_benchmark(bench)
            self.summaries[bench.id] = summary
            self.rows.update((r.key, r) for r in bench_rows)
            self._by_benchmark[bench.id] = [r.key for r in bench_rows]
            self.library.benchmarks = [bench if b.id == bench.id else b for b in self.library.benchmarks]
            home = str(bench.path)
            self.library.files = [p for p in self.library.files if os.path.dirname(p) != home] + found.files
            self.library.links = [p for p in self.library.links if os.path.dirname(p) != home] + found.links
            self.library.relocated = sum(b.home is not None for b in self.library.benchmarks)
            self.library.structures = self.workspace.structures_dir if self.library.relocated else None
            self._count(summary)
            return True

    def _load_benchmark(self, bench: Benchmark) -> tuple[BenchmarkSummary, list[SampleRow]]:
        summary = BenchmarkSummary(bench)
        # One read of structure.json and its sidecar serves both the summary and the fingerprint.
        sources = read_sources(bench)
        meta = _read_json(meta_path(bench)) if sources is None else _parse_json(sources[1])
        if sources is not None:
            summary.extraction = "extracted"
            components = (meta or {}).get("components") or {}
            summary.components_total = len(components)
            summary.components_valid = sum(1 for c in components.values() if c.get("ok"))
            summary.faithful = ((meta or {}).get("faithfulness") or {}).get("verdict", "")
            if (meta or {}).get("needs_review"):
                summary.extraction = "needs review"
        elif meta is not None and meta.get("status") == "failed":
            summary.extraction = "failed"
        summary.failure = _failure(meta)
        rows: list[SampleRow] = []
        if summary.extraction in ("extracted", "needs review"):
            print_ = fingerprint(bench, self.prompts, self.settings, sources)
            found = self.cache.load_index(bench.id, print_) if print_ else None
            if found is not None:
                rows, summary.samples_built = found, True
        return summary, rows

    def _count_all(self) -> None:
        """Every benchmark's counts: all pending but what a decision says (a walk over the
        decisions, not over 24,000 samples)."""
        if self._rows_later is not None:  # no decisions: every sample pending
            counts = {b: dict(zip(REVIEW_STATUSES, (n, 0, 0, 0))) for b, n in self._counts.items() if n}
        else:
            counts = {b: dict(zip(REVIEW_STATUSES, (len(keys), 0, 0, 0))) for b, keys in self._keys.items()}
        for key in self.store.decided():
            row = self.rows.get(key)
            status = self.status_of(row) if row is not None else "pending"
            if status != "pending":
                found = counts[row.benchmark_id]
                found["pending"] -= 1
                found[status] += 1
        for benchmark_id, summary in self.summaries.items():
            summary.counts = counts.get(benchmark_id) or dict.fromkeys(REVIEW_STATUSES, 0)

    def _count(self, summary: BenchmarkSummary) -> None:
        counts = dict.fromkeys(REVIEW_STATUSES, 0)
        for key in self._by_benchmark.get(summary.bench.id, ()):
            counts[self.status_of(self.rows[key])] += 1
        summary.counts = counts

    # -- samples -------------------------------------------------------------------------------
    def status_of(self, row: SampleRow) -> str:
        decision = self.store.decision(row.key)
        if decision is None or decision.status == "pending":
            return "pending"
        if decision.content_hash != row.content_hash:
            return CHANGED
        return decision.status

    def sample(self, key: str) -> Sample:
        row = self.rows.get(key)
        if row is None:
            raise ReviewError(f"no sample {key!r}")
        with self._lock:
            texts = self._texts.get(row.benchmark_id)
            if texts is None:
                bench = self.library.get(row.benchmark_id)
                print_ = fingerprint(bench, self.prompts, self.settings) if bench else None
                loaded = self.cache.load(row.benchmark_id, print_) if print_ else None
                texts = self._texts[row.benchmark_id] = {s.key: s for s in loaded or []}
        if key not in texts:
            raise ReviewError(f"the samples of {row.benchmark_id} changed on disk; rescan")
        return texts[key]

    def filtered(self, *, status: str | None = None, task: str | None = None, tone: str | None = None,
                 benchmark: str | None = None, operator: str | None = None, text: str = "") -> list[SampleRow]:
        order = {b.id: i for i, b in enumerate(self.library.benchmarks)}
        out = []
        for row in self.rows.values():
            if (benchmark and row.benchmark_id != benchmark) or (task and row.task != task) \
                    or (tone and row.tone != tone) or (operator and row.operator != operator) \
                    or (text and text.lower() not in row.key.lower()):
                continue
            if status and self.status_of(row) != status:
                continue
            out.append(row)
        return sorted(out, key=lambda r: (order.get(r.benchmark_id, 0), r.key))

    # -- decisions -----------------------------------------------------------------------------
    def decide(self, key: str, status: str, *, edit: str | None = None) -> Decision:
        """Record a decision durably; an edited answer must pass clingo first (see `check_edit`)."""
        row = self.rows.get(key)
        if row is None:
            raise ReviewError(f"no sample {key!r}")
        if edit is None:
            edit = self.saved_edit(key)  # an edit saved earlier travels with the later decision
        if status == "approved" and not row.valid and edit is None:
            raise ReviewError("this sample's answer does not pass clingo; edit it before approving")
        current = self.store.decision(key)
        if current is not None and (current.status, current.content_hash, current.edit) == (status, row.content_hash, edit):
            return current  # the same decision again (a held key): nothing new for undo to step back over
        decision = self.store.record(key, status, row.content_hash, edit=edit)
        self._count(self.summaries[row.benchmark_id])
        return decision

    def check_edit(self, key: str, answer: str, engine) -> tuple[bool, str]:
        """(passes, canonical error) of an edited answer in its sample's context."""
        result = engine.validate(answer, self.sample(key).context)
        return result.ok, result.error_text

    def approve_edit(self, key: str, answer: str, engine) -> Decision:
        self._require_valid(key, answer, engine)
        return self.decide(key, "approved", edit=answer)

    def save_edit(self, key: str, answer: str, engine) -> Decision:
        """Keep an edited answer without approving it: the sample is pending, and approving it
        later (`decide`) approves the edit."""
        self._require_valid(key, answer, engine)
        return self.decide(key, "pending", edit=answer)

    def _require_valid(self, key: str, answer: str, engine) -> None:
        ok, error = self.check_edit(key, answer, engine)
        if not ok:
            raise ReviewError(f"clingo rejects the answer: {error}")

    def saved_edit(self, key: str) -> str | None:
        """The reviewer's edit of this sample's current content, approved or only saved."""
        row, decision = self.rows.get(key), self.store.decision(key)
        if row is None or decision is None or decision.content_hash != row.content_hash:
            return None
        return decision.edit

    def undo(self) -> str | None:
        undone = self.store.undo()
        if undone is None:
            return None
        key = undone[0]
        row = self.rows.get(key)
        if row is not None:
            self._count(self.summaries[row.benchmark_id])
        return key

    def bulk_approve(self, benchmark_id: str) -> int:
        """Approve every valid sample of a benchmark that is pending or changed."""
        targets = [r for r in self.rows_of(benchmark_id) if r.valid and self.status_of(r) in ("pending", CHANGED)]
        self.store.record_many([(r.key, "approved", r.content_hash, self.saved_edit(r.key), None) for r in targets])
        self._count(self.summaries[benchmark_id])
        return len(targets)

    def rows_of(self, benchmark_id: str) -> list[SampleRow]:
        return [self.rows[key] for key in self._by_benchmark.get(benchmark_id, ())]

    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(REVIEW_STATUSES, 0)
        for summary in self.summaries.values():
            for status, n in summary.counts.items():
                out[status] += n
        return out

    # -- building ------------------------------------------------------------------------------
    def build(self, benchmark_ids: Iterable[str], engine) -> int:
        """Build (or re-read from cache) the samples of extracted benchmarks; returns how many built."""
        benches = [b for b in self.library.benchmarks if b.id in set(benchmark_ids)]
        report = build_samples(benches, self.prompts, engine, self.settings, self.cache)
        for bench in benches:
            self.refresh_benchmark(bench.id)
        return report.built

    def all_samples(self) -> list[Sample]:
        out = []
        with self._lock:  # a worker thread may call this while the UI thread refreshes a benchmark
            for benchmark_id, keys in sorted(self._by_benchmark.items()):
                if keys:
                    self.sample(keys[0])
                    out.extend(self._texts[benchmark_id].values())
        return out


def _failure(meta: dict | None) -> str:
    """The error of the last failed extraction recorded in a sidecar, or empty."""
    if not isinstance(meta, dict):
        return ""
    failure = meta if meta.get("status") == "failed" else meta.get("last_failure")
    error = failure.get("error") if isinstance(failure, dict) else None
    return error if isinstance(error, str) else ""


def _read_json(path: Path):
    try:
        return _parse_json(path.read_bytes())
    except OSError:
        return None


def _parse_json(data: bytes):
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None
