"""Scoring a generated answer the way clingo sees it, against the sample's own context.

- valid: parses and grounds with its context, no error (the canonical error text is kept);
- exact: the same statements as the reference, whitespace and statement order aside;
- semantic: context + answer has the same answer sets as context + reference (compared on the
  predicates of the context and the reference, so helper predicates of the answer's own do not
  count), or the same optimal cost where there is an objective; `inconclusive` when a side has
  more answer sets than the bound or runs out of time: never counted as agreement;
- repair tasks: the answer is valid, differs from the broken input, and keeps the reference's
  meaning (the semantic check above).

Every text goes through the contained engine (the guard against #include/#script, the memory
and time limits): a hostile answer costs one sample, never the run.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from asp_ft_tui.asp.faithful import signature

MODELS_BOUND = 200
SOLVE_S = 5.0
_SPACE = re.compile(r"\s+")
_AROUND = re.compile(r"\s*([(),.:;{}|=<>!+\-*/\\])\s*")


@dataclass
class Verdict:
    valid: bool = False
    exact: bool = False
    semantic: str = "no"
    """yes, no, inconclusive, or n/a (no reference meaning to compare: an instance)."""
    repair: bool | None = None
    """Repair tasks only: valid, changed and semantic."""
    error: str = ""
    failure: str = ""
    """A generation fault (never stopped, invalid UTF-8, a crash): the sample counts as failed."""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def normalized_statements(engine, text: str) -> list[str] | None:
    """The statements of `text` (parsed in a worker), each with its spacing normalised, sorted;
    None when it does not parse."""
    found = engine.deconstruct(text, "the answer")
    if found.errors:
        return None
    return sorted(_AROUND.sub(r"\1", _SPACE.sub(" ", s.text)).strip() for s in found.statements)


def _project(models, keep: set[str]) -> set[frozenset]:
    return {frozenset(a for a in model if signature(a) in keep) for model in models}


def same_meaning(engine, context: str, reference: str, answer: str, *, bound: int = MODELS_BOUND,
                 time_limit: float = SOLVE_S) -> tuple[str, str]:
    """("yes" | "no" | "inconclusive", why)."""
    ref = engine.solve(_join(context, reference), models=bound + 1, time_limit=time_limit)
    out = engine.solve(_join(context, answer), models=bound + 1, time_limit=time_limit)
    for side, result in (("reference", ref), ("answer", out)):
        if result.status == "ERROR":
            return ("no" if side == "answer" else "inconclusive"), f"the {side} does not solve"
        if result.timed_out:
            return "inconclusive", f"the {side} ran out of its {time_limit:g} s"
    if ref.cost is not None or out.cost is not None:
        if ref.cost is None or out.cost is None:
            return "no", "only one side optimises"
        if not (ref.optimal and out.optimal):
            return "inconclusive", "an optimum was not proven within the bound"
        return ("yes", "same optimal cost") if tuple(ref.cost) == tuple(out.cost) else ("no", "another optimal cost")
    if ref.status != out.status:
        return "no", f"reference is {ref.status}, answer is {out.status}"
    if not (ref.exhausted and out.exhausted) or len(ref.models) > bound or len(out.models) > bound:
        return "inconclusive", f"more than {bound} answer sets"
    keep = {signature(a) for model in ref.models for a in model} | _signatures_of(engine, context)
    if _project(ref.models, keep) == _project(out.models, keep):
        return "yes", f"same {len(ref.models)} answer sets"
    return "no", "other answer sets"


def _signatures_of(engine, context: str) -> set[str]:
    if not context.strip():
        return set()
    found = engine.deconstruct(context, "the context")
    return {h for s in found.statements for h in s.heads}


def _join(context: str, code: str) -> str:
    return f"{context.rstrip()}\n{code}" if context.strip() else code


def score(engine, sample: dict, answer: str) -> Verdict:
    """Score one generated `answer` for a sample row of an export's meta file."""
    verdict = Verdict()
    if not answer.strip():
        verdict.error = "the answer is empty"
        return verdict
    context, reference = sample.get("context", ""), sample["answer"]
    checked = engine.validate(answer, context)
    verdict.valid = checked.ok
    verdict.error = checked.error_text
    if not checked.ok:
        if sample.get("task") == "repair":
            verdict.repair = False
        return verdict
    mine = normalized_statements(engine, answer)
    verdict.exact = mine is not None and mine == normalized_statements(engine, reference)
    if sample.get("task") == "instance" and not context.strip():
        verdict.semantic = "yes" if verdict.exact else "n/a"
    elif verdict.exact:
        verdict.semantic = "yes"
    else:
        verdict.semantic, why = same_meaning(engine, context, reference, answer)
        verdict.notes.append(why)
    if sample.get("task") == "repair":
        broken = sample.get("broken") or ""
        changed = normalized_statements(engine, broken) != mine if broken else True
        if not changed:
            verdict.notes.append("the answer is the broken input")
        verdict.repair = changed and verdict.semantic == "yes"
    return verdict
