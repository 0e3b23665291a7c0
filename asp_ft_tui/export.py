"""Dataset export in mlx-lm's chat format, versioned.

Each export goes to `<data>/exports/<id>/` (train.jsonl, valid.jsonl, test.jsonl when asked,
card.json and card.md) and is copied to `<data>/train.jsonl` / `<data>/valid.jsonl` where
mlx-lm looks; earlier exports are kept. Lines are `{"messages": [...]}` with no timestamps, in a
stable order, so the same samples and seed give byte-identical files. Repeated samples (the same
messages, e.g. from a copy of a benchmark) are written once. Before anything is written the export
stops, with the list, on an empty answer or prompt, on an answer clingo rejects with its context,
and when the validation split would be empty (mlx-lm fails on an empty valid.jsonl).

An export folder is written under a unique temporary name and renamed into place once complete,
so a full disk or a kill leaves no half export and two exports at once never share a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from asp_ft_tui.asp.corrupt import has_code
from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.samples import Sample, review_status, without_repeats
from asp_ft_tui.domain.split import split_benchmarks
from asp_ft_tui.fsio import atomic_copy, atomic_write_text, fsync_dir, make_dirs

ONLY = ("valid", "approved", "approved+pending")


class ExportError(Exception):
    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class ExportSettings:
    seed: int = 0
    valid_fraction: float = 0.2
    test_fraction: float = 0.0
    only: str = "valid"
    """valid: every clingo-valid sample; approved: what reviewers approved (unchanged since);
    approved+pending: approved plus not yet reviewed."""
    budget_chars: int = 16_000
    budget_tokens: int | None = None
    """Also report samples over this many tokens (estimated as characters / 4)."""


@dataclass
class ExportResult:
    export_id: str
    path: Path
    counts: dict[str, int]
    card: dict = field(default_factory=dict)


def select(samples: list[Sample], only: str, decisions: dict | None = None) -> list[Sample]:
    if only not in ONLY:
        raise ExportError(f"unknown selection {only!r}; expected one of {', '.join(ONLY)}")
    if only == "valid":
        return [s for s in samples if s.valid]
    decisions = decisions or {}
    wanted = {"approved"} if only == "approved" else {"approved", "pending"}
    out = []
    for sample in samples:
        decision = decisions.get(sample.key)
        status = review_status(sample, decision)
        if status not in wanted:
            continue
        if decision is not None and decision.edit is not None and status == "approved":
            # A reviewer's fix: exported whatever the original answer was (checked again below;
            # an edit that emptied the answer stops the export instead of exporting the original).
            out.append(Sample(**{**sample.to_dict(), "answer": decision.edit, "valid": True}))
        elif sample.valid:
            out.append(sample)
    return out


def _line(sample: Sample) -> str:
    return json.dumps({"messages": sample.messages()}, ensure_ascii=False)


def _meta_line(sample: Sample) -> str:
    """What evaluation needs beside a chat row: the context the answer is checked with."""
    meta = {"key": sample.key, "benchmark": sample.benchmark_id, "task": sample.task, "slot": sample.slot,
            "context": sample.context, "answer": sample.answer, "broken": sample.broken}
    return json.dumps(meta, ensure_ascii=False)


def export_dataset(
    samples: list[Sample],
    benchmarks: list[Benchmark],
    data_dir: Path,
    validate_many: Callable,
    settings: ExportSettings | None = None,
    decisions: dict | None = None,
) -> ExportResult:
    settings = settings or ExportSettings()
    chosen = select(samples, settings.only, decisions)
    if not chosen:
        reason = {"valid": "no clingo-valid samples (extract and build first)",
                  "approved": "no approved samples (review some, or export with pending ones included)",
                  "approved+pending": "no approved or pending samples"}[settings.only]
        raise ExportError(f"nothing to export: {reason}")
    # Checked here, not only when building: a reviewer's edit or an old sample cache can be empty.
    empty = [f"{s.key}: empty answer" for s in chosen if not has_code(s.answer)]
    empty += [f"{s.key}: empty prompt" for s in chosen if not s.user.strip()]
    if empty:
        raise ExportError(f"{len(empty)} samples have an empty answer or prompt; nothing was exported", empty)
    ordered = sorted(chosen, key=lambda s: s.key)
    chosen = without_repeats(_one_copy(ordered, benchmarks))
    repeats = len(ordered) - len(chosen)

    # Fractions count the groups that have something to export (whole groups, duplicates merged).
    exported = {s.benchmark_id for s in chosen}
    split = split_benchmarks([b for b in benchmarks if b.id in exported], settings.seed, settings.valid_fraction,
                             settings.test_fraction)
    by_split: dict[str, list[Sample]] = {"train": [], "valid": [], "test": []}
    for sample in chosen:
        by_split[split.assignment.get(sample.benchmark_id, "train")].append(sample)
    if not by_split["valid"]:
        raise ExportError(_no_valid_split(settings.only, sorted({s.benchmark_id for s in chosen})))

    pairs = sorted({(s.answer, s.context) for s in chosen})
    verdicts = dict(zip(pairs, validate_many(pairs)))
    invalid = [f"{s.key}: {verdicts[(s.answer, s.context)].error_text.splitlines()[0]}"
               for s in chosen if not verdicts[(s.answer, s.context)].ok]
    if invalid:
        raise ExportError(f"{len(invalid)} answers do not pass clingo; nothing was exported", invalid)
    files = {name: "".join(_line(s) + "\n" for s in items) for name, items in by_split.items()
             if items or name != "test" or settings.test_fraction > 0}

    digest = hashlib.sha256("".join(files.values()).encode("utf-8")).hexdigest()[:8]
    export_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{digest}"
    card = _card(export_id, settings, chosen, by_split, split, repeats)
    data_dir = Path(data_dir)
    meta = {f"{name}.meta": "".join(_meta_line(s) + "\n" for s in by_split[name]) for name in files}
    target = _write_export_folder(data_dir / "exports", export_id, {**files, **meta}, card)
    atomic_copy({data_dir / f"{name}.jsonl": target / f"{name}.jsonl" for name in files})
    if "test" not in files and (data_dir / "test.jsonl").exists():
        (data_dir / "test.jsonl").unlink(missing_ok=True)  # an earlier export's test split
        fsync_dir(data_dir)
    return ExportResult(export_id, target, {k: len(v) for k, v in by_split.items()}, card)


def _one_copy(samples: list[Sample], benchmarks: list[Benchmark]) -> list[Sample]:
    """The samples without those of identical copies of a benchmark (same description and ASP
    under another name): a copy may have been given another tone, so its samples are not
    repeats word for word, yet it adds nothing. The first copy (by id) with samples is kept."""
    having = {s.benchmark_id for s in samples}
    copies = split_benchmarks([b for b in benchmarks if b.id in having]).duplicates
    dropped = {bench_id for ids in copies for bench_id in ids[1:]}
    return [s for s in samples if s.benchmark_id not in dropped] if dropped else samples


def _no_valid_split(only: str, ids: list[str]) -> str:
    """Why the export stops when validation would be empty (mlx-lm fails on an empty valid.jsonl),
    and what to do about it."""
    shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    fix = ("approve samples from at least one more benchmark (not a variant or copy of these), or add benchmarks"
           if only != "valid" else "add benchmarks (not variants or copies of these)")
    return (f"the validation split would be empty: every sample comes from one benchmark group ({shown}) and a "
            f"group never straddles splits. mlx-lm needs a non-empty valid.jsonl: {fix}. Nothing was exported.")


def _write_export_folder(exports: Path, export_id: str, files: dict[str, str], card: dict) -> Path:
    make_dirs(exports)
    target = exports / export_id
    staging = Path(tempfile.mkdtemp(prefix=f".{export_id}.", suffix=".tmp", dir=exports))
    try:
        for name, text in files.items():
            atomic_write_text(staging / f"{name}.jsonl", text)
        atomic_write_text(staging / "card.json", json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        atomic_write_text(staging / "card.md", _card_markdown(card))
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, target)
        except OSError as err:
            if target.is_symlink() or not (target / "card.json").is_file():
                raise OSError(err.errno, err.strerror, str(target)) from err
            # The same export (same second, same lines) finished first: keep that one.
            shutil.rmtree(staging)
        fsync_dir(exports)
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, OSError) and err.filename and Path(err.filename).is_relative_to(staging):
            # Name the file the user will look for, not the staging folder that is gone now.
            raise OSError(err.errno, err.strerror, str(target / Path(err.filename).relative_to(staging))) from err
        raise
    return target


def _card(export_id: str, settings: ExportSettings, chosen: list[Sample], by_split: dict, split,
          repeats: int) -> dict:
    def count(attr: str, items) -> dict:
        return dict(sorted(Counter(getattr(s, attr) or "-" for s in items).items()))

    long = []
    for s in chosen:
        chars = sum(len(m["content"]) for m in s.messages())
        if chars > settings.budget_chars or (settings.budget_tokens and chars // 4 > settings.budget_tokens):
            long.append({"key": s.key, "chars": chars, "approx_tokens": chars // 4})
    return {
        "id": export_id,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": {"seed": settings.seed, "valid_fraction": settings.valid_fraction,
                     "test_fraction": settings.test_fraction, "only": settings.only,
                     "budget_chars": settings.budget_chars, "budget_tokens": settings.budget_tokens},
        "samples": {name: len(items) for name, items in by_split.items()},
        "per_task": {name: count("task", items) for name, items in by_split.items()},
        "per_tone": count("tone", chosen),
        "per_operator": count("operator", [s for s in chosen if s.task == "repair"]),
        "benchmarks": split.counts(),
        "groups": len(split.groups),
        "duplicates": split.duplicates,
        "repeats_dropped": repeats,
        "over_budget": long,
    }


def _card_markdown(card: dict) -> str:
    lines = [f"# Dataset export {card['id']}", "", f"Created {card['created']}; settings {card['settings']}.", "",
             "| split | samples | benchmarks |", "|---|---|---|"]
    for name, n in card["samples"].items():
        lines.append(f"| {name} | {n} | {card['benchmarks'].get(name, 0)} |")
    lines += ["", f"Per task: {card['per_task']}", "", f"Per tone: {card['per_tone']}", "",
              f"Per corruption operator: {card['per_operator']}", "",
              f"Duplicate benchmarks (same description and ASP, kept in one group): {card['duplicates'] or 'none'}", "",
              f"Repeated samples (same messages as an earlier one, or of an identical copy of a benchmark) dropped: "
              f"{card['repeats_dropped']}", "",
              f"Samples over {card['settings']['budget_chars']} characters"
              + (f" or about {card['settings']['budget_tokens']} tokens" if card['settings']['budget_tokens'] else "")
              + f": {len(card['over_budget'])}", ""]
    return "\n".join(lines)
