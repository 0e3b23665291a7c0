"""The structural teacher: offline, no language model.

Components come from the clingo engine's deconstruction of the reference program; descriptions
from the comment above each statement or above its block, cleaned of labels such as
`Constraint:`, else a plain sentence built from its predicate names (teachers/sentences.py);
tone variants are fixed per-tone templates (`template_tones`), and are labelled so.
"""

from __future__ import annotations

import json
import re

from asp_ft_tui.asp.deconstruct import Component, Deconstruction, Statement
from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.structure import Rule, Structure
from asp_ft_tui.domain.tones import TONES, template_tone
from asp_ft_tui.prompts import PromptSet
from asp_ft_tui.teachers import sentences
from asp_ft_tui.teachers.base import Estimate, Extraction, TeacherError


_GROUPS = {"fact": "instance", "const": "instance", "choice": "choice", "disjunction": "choice",
           "definition": "rule", "constraint": "rule", "weak": "rule"}


class _Headings:
    """What describes each statement: its own comment, else the comment heading its block (the
    consecutive statements below one comment, no blank line between, of one group: facts, choices,
    rules), as a cleaned sentence."""

    def __init__(self, statements: list[Statement]) -> None:
        self.statements = statements
        self.known: dict[int, str] = {}
        self.origin: dict[int, int] = {}
        """Where each statement's answer comes from: the statement whose comment it is."""

    def __call__(self, statement: Statement) -> str:
        # Walk up the block to its comment; remember the answer for every statement passed, so
        # the 100,000 uncommented facts of one block cost one walk, not one each.
        index, passed = statement.index, []
        while index not in self.known:
            current = self.statements[index]
            passed.append(index)
            if current.comment:
                self.known[index] = sentences.from_comment(current.description)
            elif index == 0 or current.line > self.statements[index - 1].end_line + 1 or \
                    _GROUPS.get(current.kind, current.kind) != _GROUPS.get(self.statements[index - 1].kind):
                self.known[index] = ""
            else:
                index -= 1
        origin = self.origin.get(index, index)
        for seen in passed:
            self.known[seen] = self.known[index]
            self.origin[seen] = origin
        return self.known[index]

    def for_constraint(self, statement: Statement) -> str:
        """A block's heading describes the first constraint below it (with the definitions it
        heads), never the constraints after that one: each says something else."""
        text = self(statement)
        origin = self.origin.get(statement.index, statement.index)
        if text and origin != statement.index and any(
                self.statements[i].kind in ("constraint", "weak") for i in range(origin, statement.index)):
            return ""
        return text


def _described(statements: list[Statement], heading) -> tuple[list[str], list[Statement]]:
    """The distinct sentences describing some of the statements, in order, and the statements
    nothing describes."""
    said: dict[str, None] = {}
    left: list[Statement] = []
    for s in statements:
        text = heading(s)
        if text:
            said[text] = None
        else:
            left.append(s)
    return list(said), left


def describe_instance(statements: list[Statement], heading) -> str:
    said, left = _described(statements, heading)
    constants = [m[1] for s in left if (m := re.match(r"#const\s+(\w+)", s.text))]
    rest = sentences.instance_sentence((h for s in left for h in s.heads), constants, also=bool(said))
    return " ".join([*said, rest]).strip()


def describe_generator(statements: list[Statement], heading) -> str:
    said, left = _described(statements, heading)
    chosen = [h for s in left if s.kind in ("choice", "disjunction") for h in s.heads]
    derived = [h for s in left if s.kind == "definition" for h in s.heads]
    rest = sentences.generator_sentence(chosen, derived, also=bool(said))
    return " ".join([*said, rest]).strip()


def describe_component(component: Component, soft: bool, heading) -> str:
    own = heading.for_constraint(component.statement)
    if own:
        return own
    statement = component.statement
    if soft:
        return sentences.penalty_sentence(statement.text, statement.deps)
    return sentences.constraint_sentence(statement.text, statement.deps)


def describe_objective(statements: list[Statement], heading) -> str:
    said, _ = _described(statements, heading)
    return " ".join(said) or sentences.objective_sentence(
        " ".join(s.text for s in statements), sorted({d for s in statements for d in s.deps}))


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
    messages = "; ".join((f"{e['line']}:{e['column']}: " if e.get("line") else "") + str(e.get("message", e))
                         for e in errors)
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
        heading = _Headings(parts.statements)
        structure = Structure(
            instance_template="\n".join(s.text for s in parts.instance),
            generator="\n".join(s.text for s in generator),
            hard_constraints=[Rule(describe_component(c, False, heading), c.code) for c in parts.hard],
            soft_constraints=[Rule(describe_component(c, True, heading), c.code) for c in parts.soft],
            global_objective="\n".join(s.text for s in parts.objective),
            show=[s.text for s in parts.show] or None,
        )
        base = {"instance": describe_instance(parts.instance, heading),
                "generator": describe_generator(generator, heading)}
        base.update({f"hard/{i}": r.description for i, r in enumerate(structure.hard_constraints)})
        base.update({f"soft/{i}": r.description for i, r in enumerate(structure.soft_constraints)})
        if structure.global_objective:
            base["objective"] = describe_objective(parts.objective, heading)
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
