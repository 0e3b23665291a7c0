"""The structural teacher: offline, no language model.

Components come from the clingo engine's deconstruction of the reference program; descriptions
from the comment directly above each statement, else a plain sentence built from its predicates;
tone variants are fixed per-tone templates (`template_tones`), and are labelled so.
"""

from __future__ import annotations

import json

from asp_ft_tui.asp.deconstruct import Component, Deconstruction, Statement
from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.structure import Rule, Structure
from asp_ft_tui.domain.tones import TONES, template_tone
from asp_ft_tui.prompts import PromptSet
from asp_ft_tui.teachers.base import Estimate, Extraction, TeacherError


def _names(signatures) -> str:
    names = sorted({s.split("/")[0] for s in signatures})
    if not names:
        return "the problem's atoms"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _joined(statements: list[Statement]) -> str:
    parts = [text for text in (s.description for s in statements if s.comment) if text]
    return " ".join(p if p.endswith((".", "!", "?")) else p + "." for p in parts)


def describe_instance(statements: list[Statement]) -> str:
    return _joined(statements) or f"The instance facts for {_names(h for s in statements for h in s.heads)}."


def describe_generator(statements: list[Statement]) -> str:
    return _joined(statements) or f"Choose the {_names(h for s in statements for h in s.heads)} atoms of a solution."


def describe_component(component: Component, soft: bool) -> str:
    if component.statement.description:
        return component.statement.description
    uses = _names(component.statement.deps)
    if soft:
        return f"Penalise solutions according to {uses}."
    return f"No solution may have {uses} in the combination the rule describes."


def _kinds_by_line(statements: list[Statement]) -> list[dict]:
    """Which kinds of statement were found where, consecutive statements of one kind as one run
    (a large instance's 100,000 facts are one entry, not 100,000)."""
    runs: list[dict] = []
    for s in statements:
        if runs and runs[-1]["kind"] == s.kind:
            runs[-1]["end_line"] = s.end_line
        else:
            runs.append({"line": s.line, "end_line": s.end_line, "kind": s.kind})
    return runs


def _failure(errors: list[dict]) -> str:
    """Why the reference program cannot be taken apart; a limit says what ran out, since the
    program may parse perfectly well."""
    limits = [e["message"].removeprefix("resource limit: ") for e in errors if e.get("kind") == "resource-limit"]
    if limits:
        return "; ".join(limits)
    messages = "; ".join(str(e.get("message", e)) for e in errors)
    if all(e.get("kind") in ("forbidden", "unsupported") for e in errors):
        return f"the reference program cannot be deconstructed: {messages}"
    return f"the reference program does not parse: {messages}"


class StructuralTeacher:
    name = "structural"
    model = None
    template_tones = True
    can_repair = False

    def __init__(self, engine) -> None:
        self.engine = engine

    def extract(self, bench: Benchmark, tone: str, prompts: PromptSet) -> Extraction:
        parts: Deconstruction = self.engine.deconstruct(bench.asp, bench.asp_file.name)
        raw = [{"call": "deconstruct", "attempt": 1, "text": json.dumps(_kinds_by_line(parts.statements))}]
        if parts.errors:
            raise TeacherError(_failure(parts.errors), raw)
        generator = [*parts.generator, *parts.directives]
        structure = Structure(
            instance_template="\n".join(s.text for s in parts.instance),
            generator="\n".join(s.text for s in generator),
            hard_constraints=[Rule(describe_component(c, soft=False), c.code) for c in parts.hard],
            soft_constraints=[Rule(describe_component(c, soft=True), c.code) for c in parts.soft],
            global_objective="\n".join(s.text for s in parts.objective),
            show=[s.text for s in parts.show] or None,
        )
        base = {"instance": describe_instance(parts.instance), "generator": describe_generator(generator)}
        base.update({f"hard/{i}": r.description for i, r in enumerate(structure.hard_constraints)})
        base.update({f"soft/{i}": r.description for i, r in enumerate(structure.soft_constraints)})
        if structure.global_objective:
            base["objective"] = _joined(parts.objective) or "Minimise the total weight of all penalties."
        toned = {slot: template_tone(text, tone) for slot, text in base.items()}
        structure.hard_constraints = [Rule(toned[f"hard/{i}"], r.asp_rule) for i, r in enumerate(structure.hard_constraints)]
        structure.soft_constraints = [Rule(toned[f"soft/{i}"], r.asp_rule) for i, r in enumerate(structure.soft_constraints)]
        return Extraction(structure, toned, raw, neutral=base)

    def repair(self, slot, code, error, context, description, prompts):
        raise TeacherError("the structural teacher copies the reference program and cannot repair code")

    def tone_variants(self, items: dict[str, str], prompts: PromptSet) -> tuple[dict[str, dict[str, str]], list[dict]]:
        return {slot: {tone: template_tone(text, tone) for tone in TONES} for slot, text in items.items()}, []

    def estimate(self, benchmarks: list[Benchmark], prompts: PromptSet) -> Estimate:
        return Estimate(0, 0)

    def close(self) -> None:
        pass
