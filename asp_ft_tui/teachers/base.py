"""The teacher protocol, and the shared logic of teachers that are language models.

A teacher turns a benchmark into components (`extract`), fixes a component given clingo's error
(`repair`) and rewrites descriptions in other tones (`tone_variants`). Every raw answer is
returned too, so it can be kept in the structure's sidecar.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.structure import Structure, StructureError
from asp_ft_tui.domain.tones import TONES
from asp_ft_tui.prompts import PromptSet
from asp_ft_tui.redaction import redact, redact_data
from asp_ft_tui.teachers.parsing import AnswerError, parse_json_answer

REASK = (
    "\n\nYour previous answer could not be read as the requested JSON object. Answer again with "
    "exactly one JSON object and nothing else."
)


class TeacherError(Exception):
    """A teacher could not answer (a failed request, a malformed answer twice).

    Message and raw answers are redacted here, where they are born: a server may echo the key.
    """

    def __init__(self, message: str, raw: list[dict] | None = None) -> None:
        super().__init__(redact(message))
        self.raw = redact_data(raw or [])


@dataclass
class Extraction:
    structure: Structure
    descriptions: dict[str, str]
    """slot -> description in the picked tone (instance, generator, hard/N, soft/N, objective)."""
    raw: list[dict] = field(default_factory=list)
    neutral: dict[str, str] = field(default_factory=dict)
    """Template teachers: the descriptions before any tone was applied (tone variants start here)."""


@dataclass(frozen=True)
class Estimate:
    requests: int
    input_tokens: int

    def __str__(self) -> str:
        return f"{self.requests} requests, about {self.input_tokens:,} input tokens"


class Teacher(Protocol):
    name: str
    model: str | None
    template_tones: bool
    """True when tone variants are fixed templates rather than rewritten by a model."""
    can_repair: bool

    def extract(self, bench: Benchmark, tone: str, prompts: PromptSet) -> Extraction: ...

    def repair(self, slot: str, code: str, error: str, context: str, description: str,
               prompts: PromptSet) -> tuple[str, list[dict]]: ...

    def tone_variants(self, items: dict[str, str], prompts: PromptSet) -> tuple[dict[str, dict[str, str]], list[dict]]: ...

    def estimate(self, benchmarks: list[Benchmark], prompts: PromptSet) -> Estimate: ...

    def close(self) -> None: ...


def descriptions_from(structure: Structure, data: dict) -> dict[str, str]:
    given = data.get("descriptions") if isinstance(data.get("descriptions"), dict) else {}
    out = {slot: str(given.get(slot) or "") for slot in ("instance", "generator", "objective")}
    out.update({f"hard/{i}": r.description for i, r in enumerate(structure.hard_constraints)})
    out.update({f"soft/{i}": r.description for i, r in enumerate(structure.soft_constraints)})
    if not structure.global_objective.strip():
        out.pop("objective")
    return out


class LanguageModelTeacher:
    """Prompts in, JSON out: the part the Gemini and MLX teachers share."""

    name = "model"
    model: str | None = None
    template_tones = False
    can_repair = True

    def complete(self, prompt: str) -> str:
        raise NotImplementedError

    def ask_json(self, prompt: str, call: str, check: Callable[[dict], Any] = lambda data: data) -> tuple[Any, list[dict]]:
        """Ask for a JSON object; `check` turns it into the result or raises AnswerError.

        A malformed answer (no JSON, or the wrong shape) is asked again once, then it is the
        benchmark's failure.
        """
        raw: list[dict] = []
        problem = ""
        for attempt in (1, 2):
            text = self.complete(prompt if attempt == 1 else prompt + REASK)
            raw.append({"call": call, "attempt": attempt, "text": text})
            try:
                return check(parse_json_answer(text)), raw
            except (AnswerError, StructureError) as err:
                problem = str(err)
        raise TeacherError(f"malformed {call} answer twice: {problem}", raw)

    def extract(self, bench: Benchmark, tone: str, prompts: PromptSet) -> Extraction:
        prompt = prompts.render("extract", description=bench.description, asp=bench.asp, tone=tone,
                                tone_definition=prompts.tone_definition(tone))

        def check(data: dict) -> Extraction:
            structure = Structure.from_dict(data)
            if not structure.instance_template.strip() and not structure.generator.strip():
                raise AnswerError("the answer has neither an instance nor a generator")
            return Extraction(structure, descriptions_from(structure, data))

        extraction, raw = self.ask_json(prompt, "extract", check)
        extraction.raw = raw
        return extraction

    def repair(self, slot: str, code: str, error: str, context: str, description: str,
               prompts: PromptSet) -> tuple[str, list[dict]]:
        prompt = prompts.render("repair", component=slot, description=description or "(none)",
                                context=context or "(none)", code=code, error=error)
        def check(data: dict) -> str:
            fixed = data.get("asp_rule", data.get("code"))
            if not isinstance(fixed, str) or not fixed.strip():
                raise AnswerError(f"the repair answer for {slot} has no asp_rule")
            return fixed

        return self.ask_json(prompt, f"repair {slot}", check)

    def tone_variants(self, items: dict[str, str], prompts: PromptSet) -> tuple[dict[str, dict[str, str]], list[dict]]:
        definitions = "\n".join(f"- {prompts.tone_definition(t)}" for t in TONES)
        prompt = prompts.render("tones", tone_definitions=definitions, items=json.dumps(items, indent=1))
        data, raw = self.ask_json(prompt, "tones")
        out: dict[str, dict[str, str]] = {}
        for key in items:
            variants = data.get(key)
            if isinstance(variants, dict):
                out[key] = {t: str(variants[t]) for t in TONES if isinstance(variants.get(t), str) and variants[t].strip()}
        return out, raw

    def estimate(self, benchmarks: list[Benchmark], prompts: PromptSet) -> Estimate:
        template = len(prompts.texts["extract"])
        chars = sum(template + len(b.asp) + len(b.description) for b in benchmarks)
        return Estimate(len(benchmarks), chars // 4)

    def close(self) -> None:
        pass
