"""Extraction runs: teacher -> components -> clingo validation with context -> bounded repair
-> faithfulness -> structure.json + structure.meta.json beside the benchmark.

Each benchmark's files are written atomically when that benchmark is done, so an interrupted run
loses only the benchmarks in flight, and a rerun reuses every finished one without asking the
teacher again (unless forced, or the benchmark's text changed since).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable

import clingo

from asp_ft_tui import __version__
from asp_ft_tui.asp.faithful import FAITHFUL, INCONCLUSIVE, compare
from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.labels import clean_description
from asp_ft_tui.domain.structure import (META_FILE, STRUCTURE_FILE, Rule, Structure, StructureError, meta_path, read_json,
                                         structure_path)
from asp_ft_tui.domain.structure import dump_json as _dump_json
from asp_ft_tui.domain.tones import TONES, pick_tone
from asp_ft_tui.fsio import atomic_write_text, make_dirs
from asp_ft_tui.oserrors import is_disk_error
from asp_ft_tui.prompts import PromptSet
from asp_ft_tui.redaction import redact, redact_data
from asp_ft_tui.teachers.base import Teacher, TeacherError

log = logging.getLogger(__name__)
META_VERSION = 1


def dump_json(data: Any) -> str:
    """JSON of a structure or sidecar, through the one redactor: raw answers and error texts may
    echo an API key, and nothing here is written any other way."""
    return _dump_json(redact_data(data))


@dataclass
class Settings:
    seed: int = 0
    max_rounds: int = 3
    force: bool = False
    all_tones: bool = False
    faithful_cap: int = 50
    faithful_time_limit: float = 5.0


@dataclass
class ComponentResult:
    slot: str
    ok: bool
    error_text: str = ""
    rounds: int = 0
    """Repair rounds it took (0: valid as extracted)."""

    @property
    def repaired(self) -> bool:
        return self.ok and self.rounds > 0


@dataclass
class BenchmarkResult:
    benchmark_id: str
    status: str
    """extracted, cached or failed."""
    components: list[ComponentResult] = field(default_factory=list)
    faithful: str = ""
    faithful_reason: str = ""
    error: str = ""
    needs_review: list[str] = field(default_factory=list)


def source_hash(bench: Benchmark) -> str:
    text = "\x00".join([bench.asp, bench.nl or "", bench.ir or ""])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_cached(bench: Benchmark) -> tuple[Structure | None, dict | None]:
    """The structure of a benchmark (ours or another pipeline's) and our sidecar, if any."""
    structure_file = structure_path(bench)
    meta_file = meta_path(bench)
    structure = Structure.from_dict(read_json(structure_file)) if structure_file.is_file() else None
    meta = None
    if meta_file.is_file():
        try:
            meta = read_json(meta_file)
        except StructureError:
            meta = None
    return structure, meta


def _write(bench: Benchmark, meta: dict, structure: Structure | None = None) -> None:
    """The sidecar, then the structure: a structure.json without its sidecar would read as
    another pipeline's. Into the benchmark's folder, or its cache folder when that is read-only."""
    if bench.home is not None:
        make_dirs(bench.home)
    atomic_write_text(bench.structure_home / META_FILE, dump_json(meta))
    if structure is not None:
        atomic_write_text(bench.structure_home / STRUCTURE_FILE, dump_json(structure.to_dict()))


def clean_descriptions(descriptions: dict[str, str], meta: dict) -> dict[str, str]:
    """Teachers' descriptions without their tone labels ("Business Requirements: ..."); the raw
    text of every changed one is kept in the sidecar, and one that still looks labelled is flagged."""
    out = {}
    for slot, text in descriptions.items():
        cleaned = clean_description(text)
        out[slot] = cleaned.text
        if cleaned.changed:
            meta.setdefault("raw_descriptions", {})[slot] = text
        if cleaned.flag:
            meta.setdefault("description_flags", {})[slot] = cleaned.flag
    return out


def _with_descriptions(structure: Structure, descriptions: dict[str, str]) -> Structure:
    def rules(kind: str, items: list[Rule]) -> list[Rule]:
        return [Rule(descriptions.get(f"{kind}/{i}", r.description), r.asp_rule) for i, r in enumerate(items)]

    return Structure(structure.instance_template, structure.generator, rules("hard", structure.hard_constraints),
                     rules("soft", structure.soft_constraints), structure.global_objective, structure.show,
                     structure.extra)


def _flagged(meta: dict) -> list[str]:
    return [f"description {slot}" for slot in meta.get("description_flags") or {}]


class Extractor:
    """Extracts benchmarks with one teacher; safe to call from several threads at once."""

    def __init__(self, teacher: Teacher, engine, prompts: PromptSet, settings: Settings | None = None) -> None:
        self.teacher = teacher
        self.engine = engine
        self.prompts = prompts
        self.settings = settings or Settings()

    # -- one benchmark -------------------------------------------------------------------------
    def extract(self, bench: Benchmark) -> BenchmarkResult:
        try:
            structure, meta = load_cached(bench)
        except StructureError as err:
            if not self.settings.force:
                # Someone's file: never overwrite it unasked.
                return BenchmarkResult(bench.id, "failed", error=f"{err}; fix it, or extract this benchmark again "
                                                                   "to replace it (x in the app, --force in asp-ft extract)")
            structure, meta = None, None
        fresh = meta is not None and meta.get("source_hash") == source_hash(bench) and meta.get("status") == "extracted"
        # Another pipeline's structure is imported again when it or the benchmark changed, never
        # replaced unasked.
        foreign = meta is None or meta.get("teacher", "external") == "external"
        if structure is not None and not self.settings.force and (fresh or foreign):
            return self._reuse(bench, structure, meta)
        return self._extract_new(bench)

    def _reuse(self, bench: Benchmark, structure: Structure, meta: dict | None) -> BenchmarkResult:
        if needs_import(bench, meta):
            meta = import_structure(bench, structure, self.engine, self.settings)
        if self.settings.all_tones and not _has_all_tones(meta):
            self._add_tones(meta)
            _write(bench, meta)
        return _result_from_meta(bench.id, "cached", meta)

    def _extract_new(self, bench: Benchmark) -> BenchmarkResult:
        tone = pick_tone(self.settings.seed, bench.id)
        meta = self._new_meta(bench, "failed", tone)
        try:
            extraction = self.teacher.extract(bench, tone, self.prompts)
        except TeacherError as err:
            self._record_failure(bench, meta, err)
            return BenchmarkResult(bench.id, "failed", error=str(err))
        meta["raw_responses"] = list(extraction.raw)
        descriptions = clean_descriptions(extraction.descriptions, meta)
        structure = _with_descriptions(extraction.structure, descriptions)
        components: list[ComponentResult] = []
        repairs: list[dict] = []
        # Validate in dependency order: a repaired instance changes every later context, and a
        # component whose context still fails cannot be judged (nor repaired) on its own.
        failed: list[str] = []
        for slot, _ in structure.components():
            broken = [dep for dep in _depends_on(slot) if dep in failed]
            if broken:
                component = ComponentResult(slot, False, f"not checked: its context ({', '.join(broken)}) does not pass clingo")
            else:
                structure, component = self._validate_and_repair(structure, slot, descriptions.get(slot, ""), repairs, meta)
            if not component.ok and slot.split("/")[0] in ("instance", "generator", "soft"):
                failed.append(slot.split("/")[0])
            components.append(component)
        verdict = self._faithfulness(bench, structure)
        meta.update(
            status="extracted",
            teacher=self.teacher.name,
            descriptions={slot: {tone: text} for slot, text in descriptions.items()},
            neutral_descriptions=extraction.neutral or None,
            components={c.slot: _component_meta(c) for c in components},
            repairs=repairs,
            faithfulness=verdict.to_dict(),
            needs_review=[c.slot for c in components if not c.ok] + (["faithfulness"] if verdict.verdict != FAITHFUL else [])
            + _flagged(meta),
        )
        if self.settings.all_tones:
            self._add_tones(meta)
        _write(bench, meta, structure)
        return _result_from_meta(bench.id, "extracted", meta)

    def _record_failure(self, bench: Benchmark, meta: dict, err: TeacherError) -> None:
        """Keep the failed attempt's answers; never at the cost of an earlier good extraction."""
        failure = {"error": str(err), "raw_responses": err.raw, "provenance": meta["provenance"]}
        try:
            previous = read_json(meta_path(bench)) if meta_path(bench).is_file() else None
        except StructureError:
            previous = None
        if structure_path(bench).is_file():
            if previous is not None:
                previous["last_failure"] = failure
                _write(bench, previous)
            return
        meta.update(raw_responses=err.raw, error=str(err))
        _write(bench, meta)

    def _validate_and_repair(self, structure: Structure, slot: str, description: str, repairs: list[dict],
                             meta: dict) -> tuple[Structure, ComponentResult]:
        code = structure.code_of(slot)
        context = structure.context_for(slot)
        result = self.engine.validate(code, context)
        rounds = 0
        if any(e.in_context for e in result.errors):
            # Not this component's fault: the components it depends on are broken.
            return structure, ComponentResult(slot, False, "its context has errors:\n" + result.error_text, 0)
        while not result.ok and rounds < self.settings.max_rounds and self.teacher.can_repair:
            rounds += 1
            entry = {"slot": slot, "round": rounds, "code": code, "error": result.error_text}
            try:
                code, raw = self.teacher.repair(slot, code, result.error_text, context, description, self.prompts)
            except TeacherError as err:
                entry["teacher_error"] = str(err)
                meta["raw_responses"] += err.raw
                repairs.append(entry)
                break
            meta["raw_responses"] += raw
            entry["fixed"] = code
            structure = structure.with_code(slot, code)
            result = self.engine.validate(code, context)
            entry["fixed_ok"] = result.ok
            repairs.append(entry)
        return structure, ComponentResult(slot, result.ok, result.error_text, rounds)

    def _faithfulness(self, bench: Benchmark, structure: Structure):
        return compare(self.engine, bench.asp, structure.recombine(), cap=self.settings.faithful_cap,
                       time_limit=self.settings.faithful_time_limit)

    def _add_tones(self, meta: dict) -> None:
        descriptions: dict[str, dict[str, str]] = meta.setdefault("descriptions", {})
        neutral = meta.get("neutral_descriptions") or {}
        items = {slot: neutral.get(slot) or next(iter(tones.values()), "") for slot, tones in descriptions.items()}
        items = {k: v for k, v in items.items() if v}
        if not items:
            return
        try:
            variants, raw = self.teacher.tone_variants(items, self.prompts)
        except TeacherError as err:
            meta.setdefault("raw_responses", []).extend(err.raw)
            meta["tones_error"] = str(err)
            return
        meta.setdefault("raw_responses", []).extend(raw)
        for slot, by_tone in variants.items():
            kept = descriptions.setdefault(slot, {})
            for tone, text in by_tone.items():
                kept.setdefault(tone, clean_description(text).text)
        meta["all_tones"] = True

    def _new_meta(self, bench: Benchmark, status: str, tone: str | None) -> dict[str, Any]:
        return {
            "meta_version": META_VERSION,
            "status": status,
            "source_hash": source_hash(bench),
            "provenance": {
                "teacher": self.teacher.name,
                "model": self.teacher.model,
                "template_tones": self.teacher.template_tones,
                "tone": tone,
                "seed": self.settings.seed,
                "prompt_hashes": self.prompts.hashes(),
                "clingo_version": clingo.__version__,
                "asp_ft_version": __version__,
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            "raw_responses": [],
        }


def structure_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def needs_import(bench: Benchmark, meta: dict | None, structure_bytes: bytes | None = None) -> bool:
    """Whether a structure.json must be imported (again) before anything is built from it: it
    has no sidecar of ours, or it is another pipeline's and it, or the benchmark, changed since."""
    if meta is None or "teacher" not in meta:
        return True
    if meta.get("teacher") != "external":
        return False
    if structure_bytes is None:
        try:
            structure_bytes = structure_path(bench).read_bytes()
        except OSError:
            return False
    return meta.get("structure_hash") != structure_hash(structure_bytes) or meta.get("source_hash") != source_hash(bench)


def import_structure(bench: Benchmark, structure: Structure, engine, settings: Settings | None = None) -> dict:
    """Another pipeline's structure.json, read as it is (never rewritten): its descriptions
    without tone labels, every component checked, its faithfulness judged; our sidecar written
    and returned. Nothing is built from a structure before this (see samples.build_samples)."""
    settings = settings or Settings()
    try:
        read = structure_hash(structure_path(bench).read_bytes())
    except OSError:
        read = None
    meta: dict[str, Any] = {
        "meta_version": META_VERSION, "status": "imported", "source_hash": source_hash(bench), "structure_hash": read,
        "provenance": {"teacher": "external", "model": None, "template_tones": False, "tone": None,
                       "seed": settings.seed, "clingo_version": clingo.__version__, "asp_ft_version": __version__,
                       "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "raw_responses": [],
    }
    given = {f"{kind}/{i}": r.description for kind, rules in (("hard", structure.hard_constraints),
                                                                ("soft", structure.soft_constraints))
             for i, r in enumerate(rules) if r.description.strip()}
    cleaned = clean_descriptions(given, meta)
    # The labels a cache's descriptions carried name their tones; the rest have none ("-").
    meta["descriptions"] = {slot: {clean_description(given[slot]).tone or "-": text} for slot, text in cleaned.items()}
    items = [(code, structure.context_for(slot)) for slot, code in structure.components()]
    results = engine.validate_many(items)
    components = [ComponentResult(slot, r.ok, r.error_text) for (slot, _), r in zip(structure.components(), results)]
    meta["components"] = {c.slot: _component_meta(c) for c in components}
    meta["needs_review"] = [c.slot for c in components if not c.ok] + _flagged(meta)
    verdict = compare(engine, bench.asp, structure.recombine(), cap=settings.faithful_cap,
                      time_limit=settings.faithful_time_limit)
    meta["faithfulness"] = verdict.to_dict()
    if verdict.verdict != FAITHFUL:
        meta["needs_review"].append("faithfulness")
    meta["status"] = "extracted"
    meta["teacher"] = "external"
    _write(bench, meta)
    return meta


def save_component(bench: Benchmark, slot: str, code: str, engine) -> bool:
    """Write a reviewer's edit of one component back to structure.json (atomically) and record
    its clingo status in the sidecar; returns whether it passes clingo with its context."""
    structure, meta = load_cached(bench)
    if structure is None:
        raise StructureError(f"{bench.id} has no structure to edit")
    structure = structure.with_code(slot, code)
    result = engine.validate(code, structure.context_for(slot))
    meta = meta or {}
    components = meta.setdefault("components", {})
    components[slot] = {"ok": result.ok, "error_text": result.error_text, "rounds": components.get(slot, {}).get("rounds", 0),
                        "edited": True}
    review = [s for s in meta.get("needs_review") or [] if s != slot]
    meta["needs_review"] = review + ([] if result.ok else [slot])
    meta.setdefault("edits", []).append({"slot": slot, "code": code, "ok": result.ok,
                                         "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    _write(bench, meta, structure)
    return result.ok


def _depends_on(slot: str) -> tuple[str, ...]:
    if slot == "instance":
        return ()
    if slot == "generator":
        return ("instance",)
    if slot == "objective":
        return ("instance", "generator", "soft")
    return ("instance", "generator")


def _component_meta(c: ComponentResult) -> dict:
    return {"ok": c.ok, "error_text": c.error_text, "rounds": c.rounds}


def _has_all_tones(meta: dict) -> bool:
    descriptions = meta.get("descriptions") or {}
    return bool(descriptions) and all(set(TONES) <= set(v) for v in descriptions.values())


def _result_from_meta(benchmark_id: str, status: str, meta: dict) -> BenchmarkResult:
    components = [
        ComponentResult(slot, c.get("ok", False), c.get("error_text", ""), c.get("rounds", 0))
        for slot, c in (meta.get("components") or {}).items()
    ]
    faith = meta.get("faithfulness") or {}
    return BenchmarkResult(benchmark_id, status, components, faith.get("verdict", INCONCLUSIVE), faith.get("reason", ""),
                           needs_review=list(meta.get("needs_review") or []))


# -- runs --------------------------------------------------------------------------------------
def default_concurrency(teacher_name: str, engine) -> int:
    """Benchmarks extracted at once: Gemini waits on the network; the mlx teacher is one model in
    this process; the structural teacher and imports keep every clingo worker busy."""
    if teacher_name == "gemini":
        return 4
    if teacher_name == "mlx":
        return 1
    return engine.config.workers


@dataclass
class RunEvent:
    kind: str
    """start, done, cancelled, finish."""
    total: int = 0
    completed: int = 0
    result: BenchmarkResult | None = None


@dataclass
class RunSummary:
    results: list[BenchmarkResult] = field(default_factory=list)
    cancelled: bool = False
    total: int = 0

    def row(self) -> dict[str, int]:
        done = [r for r in self.results if r.status != "failed"]
        comps = [c for r in done for c in r.components]
        return {
            "benchmarks": self.total,
            "extracted": sum(r.status == "extracted" for r in self.results),
            "cached": sum(r.status == "cached" for r in self.results),
            "failed": sum(r.status == "failed" for r in self.results),
            "components": len(comps),
            "valid": sum(c.ok for c in comps),
            "repaired": sum(c.repaired for c in comps),
            "needs review": sum(bool(r.needs_review) for r in done),
            "faithful": sum(r.faithful == FAITHFUL for r in done),
        }


def run_extraction(
    extractor: Extractor,
    benchmarks: list[Benchmark],
    *,
    concurrency: int = 1,
    on_event: Callable[[RunEvent], None] | None = None,
    cancel: threading.Event | None = None,
) -> RunSummary:
    """Extract many benchmarks with bounded concurrency; stops starting new ones once `cancel` is set."""
    cancel = cancel or threading.Event()
    emit = on_event or (lambda event: None)
    summary = RunSummary(total=len(benchmarks))
    emit(RunEvent("start", total=len(benchmarks)))
    pending = list(reversed(benchmarks))
    running: dict[Future, Benchmark] = {}
    disk_error: OSError | None = None
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="extract")
    try:
        while pending or running:
            while pending and len(running) < max(1, concurrency) and not cancel.is_set():
                bench = pending.pop()
                running[pool.submit(extractor.extract, bench)] = bench
            if not running:
                break
            done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
            for future in done:
                bench = running.pop(future)
                try:
                    result = future.result()
                except Exception as err:  # one benchmark's failure never ends the run...
                    log.exception("extraction of %s failed", bench.id)
                    result = BenchmarkResult(bench.id, "failed", error=redact(f"{type(err).__name__}: {err}"))
                    if is_disk_error(err):  # ...but a full or read-only disk fails every later one too
                        disk_error = disk_error or err
                        cancel.set()
                summary.results.append(result)
                emit(RunEvent("done", total=len(benchmarks), completed=len(summary.results), result=result))
            if cancel.is_set() and not running:
                break
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=not cancel.is_set(), cancel_futures=True)
        summary.cancelled = cancel.is_set() and len(summary.results) < len(benchmarks)
        emit(RunEvent("cancelled" if summary.cancelled else "finish", total=len(benchmarks),
                      completed=len(summary.results)))
    if disk_error is not None:
        raise disk_error
    return summary
