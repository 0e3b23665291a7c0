"""Building training samples from extracted structures, with a per-benchmark cache on disk.

Per benchmark: a translation sample for the instance, the generator and each hard and soft
constraint that holds code (not only comments), one per description variant (the picked tone, or
all five after "all tones"); repair samples from the corruption engine (for each valid snippet,
with probability `repair_rate`, one pair clingo really rejects) and from the teacher's real repair
rounds. A benchmark's repeated samples (same messages) are kept once. Built samples and their
validity are cached in `data/cache/samples/`, rebuilt only when what they are made of changes.
Validation runs in two batches over all benchmarks being built, so the clingo pool stays busy.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol, Sequence

from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.samples import Sample, sample_key, without_repeats
from asp_ft_tui.domain.structure import (META_FILE, STRUCTURE_FILE, Structure, StructureError, meta_path, parse_json,
                                         structure_path)
from asp_ft_tui.fsio import atomic_write_text, make_dirs
from asp_ft_tui.prompts import PromptSet

log = logging.getLogger(__name__)
CACHE_VERSION = 3
_NAMES = {"instance": "the instance facts", "generator": "the generator", "hard": "the hard constraint",
          "soft": "the soft constraint"}
_DEFAULT_DESCRIPTIONS = {"instance": "Encode the given data as facts.",
                         "generator": "Generate the candidate solutions with choice rules."}


@dataclass(frozen=True)
class BuildSettings:
    seed: int = 0
    repair_rate: float = 0.5
    tries: int = 3


def task_of(slot: str) -> str:
    return slot.split("/")[0]


def translation_user(bench: Benchmark, structure: Structure, slot: str, description: str) -> str:
    task = task_of(slot)
    parts = [f"Problem description:\n{bench.description.strip()}"]
    if task != "instance" and structure.instance_template.strip():
        parts.append(f"Instance:\n{structure.instance_template.strip()}")
    if task in ("hard", "soft") and structure.generator.strip():
        parts.append(f"Generator:\n{structure.generator.strip()}")
    parts.append(f"Write {_NAMES[task]}: {description.strip()}")
    return "\n\n".join(parts)


def repair_user(broken: str, error: str, context: str) -> str:
    parts = ["This clingo code does not pass clingo."]
    if context.strip():
        parts.append(f"Context (valid, do not repeat it):\n{context.strip()}")
    parts.append(f"Code:\n{broken}")
    parts.append(f"clingo says:\n{error}")
    parts.append("Return the corrected code.")
    return "\n\n".join(parts)


def descriptions_for(structure: Structure, meta: dict | None, slot: str) -> dict[str, str]:
    """tone -> description; tone None where nothing says which tone it is."""
    variants = ((meta or {}).get("descriptions") or {}).get(slot) or {}
    if variants:
        return {tone: text for tone, text in variants.items() if isinstance(text, str) and text.strip()}
    task = task_of(slot)
    if task in ("hard", "soft"):
        # A constraint nobody described gives no translation task: "Write the hard constraint:
        # Write the hard constraint." teaches nothing (its repair pairs still count).
        rules = structure.hard_constraints if task == "hard" else structure.soft_constraints
        text = rules[int(slot.split("/")[1])].description.strip()
        return {"-": text} if text else {}
    return {"-": _DEFAULT_DESCRIPTIONS[task]}


def read_sources(bench: Benchmark) -> tuple[bytes, bytes] | None:
    """The bytes of structure.json and of its sidecar (empty when absent); None without a structure."""
    try:
        structure = structure_path(bench).read_bytes()
    except OSError:
        return None
    try:
        meta = meta_path(bench).read_bytes()
    except OSError:
        meta = b""
    return structure, meta


def fingerprint(bench: Benchmark, prompts: PromptSet, settings: BuildSettings,
                sources: tuple[bytes, bytes] | None = None) -> str | None:
    """What the samples of a benchmark are made of; None when it has no structure yet."""
    sources = sources or read_sources(bench)
    if sources is None:
        return None
    h = hashlib.sha256(sources[0])
    if sources[1]:
        try:
            meta = parse_json(sources[1], META_FILE)
            h.update(json.dumps([meta.get("descriptions"), meta.get("repairs")], sort_keys=True).encode())
        except (StructureError, AttributeError):
            pass
    h.update(bench.description.encode("utf-8"))
    h.update(json.dumps([prompts.hashes(), CACHE_VERSION, settings.seed, settings.repair_rate, settings.tries]).encode())
    return h.hexdigest()[:24]


def _needs_import(bench: Benchmark, sources: tuple[bytes, bytes]) -> bool:
    from asp_ft_tui.extraction import needs_import

    try:
        meta = parse_json(sources[1], META_FILE) if sources[1] else None
    except StructureError:
        meta = None
    return needs_import(bench, meta if isinstance(meta, dict) else None, sources[0])


def _imported(bench: Benchmark, sources: tuple[bytes, bytes], engine) -> tuple[bytes, bytes] | None:
    """The sources of a benchmark after importing its foreign structure (None when it cannot be
    read: the benchmark is then reported missing, with the reason in the log)."""
    from asp_ft_tui.extraction import import_structure

    try:
        structure, _ = _parse_sources(sources)
    except StructureError as err:
        log.warning("%s: %s", bench.id, err)
        return None
    import_structure(bench, structure, engine)
    return read_sources(bench)


def _parse_sources(sources: tuple[bytes, bytes]) -> tuple[Structure, dict | None]:
    structure = Structure.from_dict(parse_json(sources[0], STRUCTURE_FILE))
    try:
        meta = parse_json(sources[1], META_FILE) if sources[1] else None
    except StructureError:
        meta = None
    return structure, meta


def has_code(code: str) -> bool:
    from asp_ft_tui.asp.corrupt import has_code as code_in  # the corruption engine: only to build

    return code_in(code)


class SampleRow(NamedTuple):
    """What lists and counts need of a sample, without its text (the cache's index). A named
    tuple: 24,000 of them are made at launch, four times faster than a frozen dataclass."""

    key: str
    benchmark_id: str
    task: str
    slot: str
    tone: str | None
    operator: str | None
    content_hash: str
    valid: bool

    @classmethod
    def of(cls, sample: Sample) -> "SampleRow":
        return cls(sample.key, sample.benchmark_id, sample.task, sample.slot, sample.tone, sample.operator,
                   sample.content_hash, sample.valid)


class SampleCache:
    """Per benchmark: `<h>.json` with the samples, and `<h>.idx.json` with their rows only, so
    an app can list and count 20,000 samples without reading their text."""

    def __init__(self, directory: Path, settings: "BuildSettings | None" = None) -> None:
        self.directory = Path(directory)
        settings = settings or BuildSettings()
        # Builds with other settings (convert --seed 3) live beside the app's, not over them.
        self._tag = f"{settings.seed}|{settings.repair_rate}|{settings.tries}"

    def path_for(self, benchmark_id: str) -> Path:
        return self.directory / f"{hashlib.sha256(f'{benchmark_id}|{self._tag}'.encode()).hexdigest()[:20]}.json"

    def index_path_for(self, benchmark_id: str) -> Path:
        return Path(self.index_name(benchmark_id))

    def index_name(self, benchmark_id: str) -> str:
        """`index_path_for` as text: a launch checks a thousand of them."""
        return f"{self.directory}/{hashlib.sha256(f'{benchmark_id}|{self._tag}'.encode()).hexdigest()[:20]}.idx.json"

    def load_index(self, benchmark_id: str, print_: str) -> list[SampleRow] | None:
        try:
            data = json.loads(self.index_path_for(benchmark_id).read_bytes())
        except (OSError, ValueError):
            return None
        if data.get("fingerprint") != print_ or data.get("benchmark_id") != benchmark_id:
            return None
        return [SampleRow(row[0], benchmark_id, *row[1:]) for row in data["rows"]]

    def load(self, benchmark_id: str, print_: str) -> list[Sample] | None:
        path = self.path_for(benchmark_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("fingerprint") != print_ or data.get("benchmark_id") != benchmark_id:
            return None
        return [Sample.from_dict(s) for s in data["samples"]]

    def save(self, benchmark_id: str, print_: str, samples: list[Sample]) -> None:
        make_dirs(self.directory)
        payload = {"benchmark_id": benchmark_id, "fingerprint": print_, "samples": [s.to_dict() for s in samples]}
        atomic_write_text(self.path_for(benchmark_id), json.dumps(payload, ensure_ascii=False))
        rows = [[s.key, s.task, s.slot, s.tone, s.operator, s.content_hash, s.valid] for s in samples]
        index = {"benchmark_id": benchmark_id, "fingerprint": print_, "rows": rows}
        atomic_write_text(self.index_path_for(benchmark_id), json.dumps(index, ensure_ascii=False))


@dataclass
class BuildReport:
    samples: dict[str, list[Sample]]
    built: int = 0
    cached: int = 0
    missing: list[str] | None = None
    """Benchmarks without a structure (extract them first)."""


class Checker(Protocol):
    """What building needs of the clingo engine (`Engine` is one); a tree with other pipelines'
    structures needs the rest of it too (validate_many, solve, fingerprint: see import_structure)."""

    def check_and_pair(self, snippets: Sequence[tuple[str, str]], seeds: Sequence[int], *, rate: float,
                       tries: int) -> list: ...


def build_samples(
    benchmarks: list[Benchmark],
    prompts: PromptSet,
    checker: Checker,
    settings: BuildSettings | None = None,
    cache: SampleCache | None = None,
) -> BuildReport:
    settings = settings or BuildSettings()
    report = BuildReport(samples={}, missing=[])
    todo: list[tuple[Benchmark, str, Structure, dict | None]] = []
    for bench in benchmarks:
        sources = read_sources(bench)
        if sources is not None and _needs_import(bench, sources):
            # Another pipeline's structure.json (no sidecar of ours): never built from unchecked,
            # with its tone labels; imported first, as `asp-ft extract` and `convert` do.
            sources = _imported(bench, sources, checker)
        print_ = fingerprint(bench, prompts, settings, sources) if sources else None
        if sources is None or print_ is None:
            report.missing.append(bench.id)
            continue
        cached = cache.load(bench.id, print_) if cache else None
        if cached is not None:
            report.samples[bench.id] = cached
            report.cached += 1
            continue
        try:
            structure, meta = _parse_sources(sources)
        except StructureError as err:
            log.warning("%s: %s", bench.id, err)
            report.missing.append(bench.id)
            continue
        todo.append((bench, print_, structure, meta))
    if not todo:
        return report

    drafts: list[tuple[int, dict]] = []
    for n, (bench, _, structure, meta) in enumerate(todo):
        for slot, code in structure.components():
            # An empty instance or generator (or one that is only comments) teaches nothing.
            if slot == "objective" or not has_code(code):
                continue
            for tone, text in descriptions_for(structure, meta, slot).items():
                tone = None if tone == "-" else tone
                drafts.append((n, dict(
                    key=sample_key(bench.id, task_of(slot), slot, tone), benchmark_id=bench.id, group=bench.group,
                    task=task_of(slot), slot=slot, tone=tone, system=prompts.text(f"task_{task_of(slot)}"),
                    user=translation_user(bench, structure, slot, text), answer=code,
                    context=structure.context_for(slot))))
    # Every component is checked once with its context and, when valid, may be broken on purpose
    # with its own seed (so its pair does not depend on which benchmarks are built alongside).
    snippets, owners = [], []
    for n, (bench, _, structure, meta) in enumerate(todo):
        seen = set()
        for slot, code in structure.components():
            context = structure.context_for(slot)
            if slot != "objective" and has_code(code) and (code, context) not in seen:
                seen.add((code, context))
                snippets.append((code, context))
                owners.append((n, slot))
    seeds = [int(hashlib.sha256(f"{settings.seed}:{todo[n][0].id}:{slot}".encode()).hexdigest()[:12], 16)
             for n, slot in owners]
    checked = checker.check_and_pair(snippets, seeds, rate=settings.repair_rate, tries=settings.tries)
    verdicts = {snippet: result for snippet, (result, _) in zip(snippets, checked)}
    pairs = [pair for _, pair in checked]
    built: list[list[Sample]] = [[] for _ in todo]
    for n, draft in drafts:
        result = verdicts[(draft["answer"], draft["context"])]
        built[n].append(Sample(**draft, valid=result.ok, answer_error=result.error_text))

    for (n, slot), pair in zip(owners, pairs):
        if pair is None:
            continue
        bench = todo[n][0]
        context = todo[n][2].context_for(slot)
        built[n].append(Sample(
            key=sample_key(bench.id, "repair", slot, operator=pair.operator, seed=settings.seed),
            benchmark_id=bench.id, group=bench.group, task="repair", slot=slot, system=prompts.text("task_repair"),
            user=repair_user(pair.broken, pair.error, context), answer=pair.fixed, context=context,
            operator=pair.operator, broken=pair.broken, error=pair.error))

    for n, (bench, _, structure, meta) in enumerate(todo):
        for entry in (meta or {}).get("repairs") or []:
            slot = entry.get("slot", "")
            broken = entry.get("code") or ""
            if slot not in dict(structure.components()) or not entry.get("error") or not has_code(broken):
                continue
            final = structure.code_of(slot)
            context = structure.context_for(slot)
            result = verdicts.get((final, context))
            if result is None or not result.ok:
                continue
            built[n].append(Sample(
                key=sample_key(bench.id, "repair", slot, operator="teacher", seed=int(entry.get("round", 0))),
                benchmark_id=bench.id, group=bench.group, task="repair", slot=slot,
                system=prompts.text("task_repair"), user=repair_user(broken, entry["error"], context),
                answer=final, context=context, operator="teacher", broken=broken, error=entry["error"]))

    for n, (bench, print_, _, _) in enumerate(todo):
        # Two tones with one text, two constraints with one description and rule, a repeated repair round.
        built[n] = without_repeats(built[n])
        report.samples[bench.id] = built[n]
        if cache:
            cache.save(bench.id, print_, built[n])
        report.built += 1
    return report
