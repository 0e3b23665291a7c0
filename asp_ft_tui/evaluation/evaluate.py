"""Evaluate a model (base, adapter, or one checkpoint) on an export split, scored by clingo.

Generation is mlx-lm's (`batch_generate`, greedy, a token bound per sample from its reference's
length); a batch that fails is generated again one prompt at a time, so one bad prompt costs one
sample. Generation faults are sample failures: an answer that never stops, comes out as invalid
UTF-8, or whose generation raised, is scored failed with the reason.

Writes `samples.jsonl` (prompt, reference, output, verdicts, clingo's diagnostics, generation
time) and `summary.json` (per task and overall) to the output folder.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from asp_ft_tui.evaluation.scoring import Verdict, score
from asp_ft_tui.fsio import atomic_write_text

TOKEN_CAP = 1024
BATCH = 8


class EvalError(Exception):
    """The evaluation cannot run; the message says why."""


@dataclass
class Summary:
    label: str
    counts: dict = field(default_factory=dict)
    """task -> {"n", "valid", "exact", "semantic", "inconclusive", "repair", "failed"}; plus "all"."""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"label": self.label, "counts": self.counts, "seconds": round(self.seconds, 3)}


def read_split(data: Path, limit: int | None = None) -> list[tuple[dict, dict]]:
    """(chat row, meta row) pairs of a split file and its `<split>.meta.jsonl`."""
    data = Path(data)
    meta_path = data.with_name(data.name.removesuffix(".jsonl") + ".meta.jsonl")
    try:
        rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
        metas = [json.loads(line) for line in meta_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError as err:
        raise EvalError(f"{err.filename} is missing: evaluation needs an export made by asp-ft (it writes the "
                        f"samples' contexts to {meta_path.name}); export again") from None
    except ValueError as err:
        raise EvalError(f"{data} is not JSON lines: {err}") from None
    if len(rows) != len(metas):
        raise EvalError(f"{data} and {meta_path.name} disagree ({len(rows)} vs {len(metas)} rows)")
    pairs = list(zip(rows, metas))
    return pairs[:limit] if limit else pairs


def adapter_folder(run_dir: Path, checkpoint: int | None, scratch: Path) -> Path:
    """A folder mlx-lm's `load(adapter_path=...)` reads, for the run's latest or one checkpoint."""
    from asp_ft_tui.training.fuse import adapter_weights

    weights = adapter_weights(run_dir, checkpoint)
    if checkpoint is None:
        return Path(run_dir)
    folder = scratch / f"checkpoint-{checkpoint}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(run_dir) / "adapter_config.json", folder / "adapter_config.json")
    shutil.copyfile(weights, folder / "adapters.safetensors")
    return folder


def generate_answers(model, tokenizer, prompts: list[list[dict]], max_tokens: list[int],
                     progress: Callable[[int], None] | None = None) -> list[dict]:
    """{"text", "failure", "seconds"} per prompt."""
    from mlx_lm.generate import batch_generate

    outputs: list[dict] = []
    for start in range(0, len(prompts), BATCH):
        chunk = prompts[start:start + BATCH]
        limits = max_tokens[start:start + BATCH]
        tokens = [tokenizer.apply_chat_template(p, add_generation_prompt=True) for p in chunk]
        began = time.perf_counter()
        try:
            response = batch_generate(model, tokenizer, tokens, max_tokens=limits, return_token_ids=True)
            each = (time.perf_counter() - began) / len(chunk)
            produced = [{"text": text, "failure": _fault(text, ids, limit, tokenizer), "seconds": each}
                        for text, ids, limit in zip(response.texts, response.token_ids, limits)]
        except Exception:  # one prompt may break a batch: find it by going one at a time
            produced = [_one(model, tokenizer, t, limit) for t, limit in zip(tokens, limits)]
        outputs.extend(produced)
        if progress is not None:
            progress(len(outputs))
    return outputs


def _one(model, tokenizer, tokens: list[int], limit: int) -> dict:
    from mlx_lm.generate import batch_generate

    began = time.perf_counter()
    try:
        response = batch_generate(model, tokenizer, [tokens], max_tokens=[limit], return_token_ids=True)
    except Exception as err:
        return {"text": "", "failure": f"generation failed: {type(err).__name__}: {err}",
                "seconds": time.perf_counter() - began}
    text = response.texts[0]
    return {"text": text, "failure": _fault(text, response.token_ids[0], limit, tokenizer),
            "seconds": time.perf_counter() - began}


def _fault(text: str, ids, limit: int, tokenizer) -> str:
    eos = set(getattr(tokenizer, "eos_token_ids", ()) or ())
    if len(ids) >= limit and not (ids and ids[-1] in eos):
        return f"did not stop within {limit} tokens"
    if "\ufffd" in text:
        return "invalid UTF-8 in the output"
    return ""


def evaluate(model: str, data: Path, out_dir: Path, engine, *, adapter: Path | None = None,
             checkpoint: int | None = None, limit: int | None = None, label: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> Summary:
    from mlx_lm import load

    from asp_ft_tui.training.gguf import imported_model

    pairs = read_split(data, limit)
    if not pairs:
        raise EvalError(f"{data} has no rows")
    label = label or ("base" if adapter is None else (f"checkpoint {checkpoint}" if checkpoint else "adapter"))
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="asp-ft-eval-") as scratch:
        adapter_path = None if adapter is None else str(adapter_folder(Path(adapter), checkpoint, Path(scratch)))
        model_obj, tokenizer = load(imported_model(model), adapter_path=adapter_path)
        prompts = [row["messages"][:-1] for row, _ in pairs]
        limits = [min(TOKEN_CAP, 2 * len(tokenizer.encode(meta["answer"])) + 32) for _, meta in pairs]
        outputs = generate_answers(model_obj, tokenizer, prompts, limits,
                                   progress=(lambda n: progress(n, len(pairs))) if progress else None)
    lines, counts = [], defaultdict(lambda: defaultdict(int))
    for (row, meta), out in zip(pairs, outputs):
        if out["failure"]:
            verdict = Verdict(failure=out["failure"], repair=False if meta.get("task") == "repair" else None)
        else:
            verdict = score(engine, meta, out["text"])
        for task in (meta.get("task", "?"), "all"):
            row_counts = counts[task]
            row_counts["n"] += 1
            row_counts["valid"] += verdict.valid
            row_counts["exact"] += verdict.exact
            row_counts["semantic"] += verdict.semantic == "yes"
            row_counts["inconclusive"] += verdict.semantic == "inconclusive"
            row_counts["repair"] += bool(verdict.repair)
            row_counts["failed"] += bool(verdict.failure)
        lines.append(json.dumps({"key": meta.get("key"), "task": meta.get("task"), "prompt": row["messages"][-2]["content"],
                                 "reference": meta["answer"], "output": out["text"], "verdict": verdict.to_dict(),
                                 "seconds": round(out["seconds"], 4)},
                                ensure_ascii=False))
    summary = Summary(label, {task: dict(c) for task, c in counts.items()}, time.perf_counter() - began)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "samples.jsonl", "".join(line + "\n" for line in lines))
    atomic_write_text(out_dir / "summary.json", json.dumps({**summary.to_dict(), "model": model,
                                                            "adapter": str(adapter) if adapter else None,
                                                            "checkpoint": checkpoint, "data": str(data)}, indent=2))
    return summary


def table_rows(summaries: list[Summary]) -> tuple[list[str], list[list[str]]]:
    """A comparison: one row per model and task, rates as percentages."""
    header = ["model", "task", "n", "valid", "exact", "semantic", "inconclusive", "repair", "failed"]
    rows = []
    for summary in summaries:
        for task in sorted(summary.counts, key=lambda t: (t == "all", t)):
            c = summary.counts[task]
            pct = (lambda k: f"{100 * c[k] / c['n']:.0f}%" if c["n"] else "-")
            rows.append([summary.label, task, str(c["n"]), pct("valid"), pct("exact"), pct("semantic"),
                         pct("inconclusive"), pct("repair") if task in ("repair", "all") else "", pct("failed")])
    return header, rows
