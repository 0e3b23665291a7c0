"""The extracted structure of a benchmark (`structure.json`) and its sidecar (`structure.meta.json`).

structure.json keeps the seed pipeline's shape so other tools still read ours:

    {"instance_template": str, "generator": str,
     "hard_constraints": [{"description": str, "asp_rule": str}],
     "soft_constraints": [{"description": str, "asp_rule": str}],
     "global_objective": str, "show": [str]}          # show is our optional addition

Everything else (provenance, raw teacher answers, repair rounds, descriptions in every tone,
validity, the faithfulness verdict) lives in the sidecar.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STRUCTURE_FILE = "structure.json"
_SIGNATURE = re.compile(r"-?[a-z_][A-Za-z0-9_']*/[0-9]+")
META_FILE = "structure.meta.json"


@dataclass(frozen=True)
class Rule:
    description: str
    asp_rule: str


@dataclass
class Structure:
    instance_template: str = ""
    generator: str = ""
    hard_constraints: list[Rule] = field(default_factory=list)
    soft_constraints: list[Rule] = field(default_factory=list)
    global_objective: str = ""
    show: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields another pipeline wrote that we do not know: kept and written back as they were."""

    def components(self) -> list[tuple[str, str]]:
        """(slot, code) for every component: instance, generator, hard/N, soft/N, objective."""
        out = [("instance", self.instance_template), ("generator", self.generator)]
        out += [(f"hard/{i}", r.asp_rule) for i, r in enumerate(self.hard_constraints)]
        out += [(f"soft/{i}", r.asp_rule) for i, r in enumerate(self.soft_constraints)]
        if self.global_objective.strip():
            out.append(("objective", self.global_objective))
        return out

    def code_of(self, slot: str) -> str:
        return dict(self.components())[slot]

    def with_code(self, slot: str, code: str) -> "Structure":
        """A copy with one component's code replaced."""
        data = self.to_dict()
        if slot == "instance":
            data["instance_template"] = code
        elif slot == "generator":
            data["generator"] = code
        elif slot == "objective":
            data["global_objective"] = code
        else:
            kind, index = slot.split("/")
            key = "hard_constraints" if kind == "hard" else "soft_constraints"
            data[key][int(index)]["asp_rule"] = code
        return Structure.from_dict(data)

    def context_for(self, slot: str) -> str:
        """What a component is validated with: instance alone; generator with the instance;
        constraints with both; the objective with both and the soft constraints."""
        if slot == "instance":
            return ""
        if slot == "generator":
            return self.instance_template
        base = "\n".join(p for p in (self.instance_template, self.generator) if p.strip())
        if slot == "objective":
            return "\n".join([base, *(r.asp_rule for r in self.soft_constraints)])
        return base

    def recombine(self) -> str:
        parts = [self.instance_template, self.generator]
        parts += [r.asp_rule for r in self.hard_constraints]
        parts += [r.asp_rule for r in self.soft_constraints]
        parts += [self.global_objective, *(self.show or [])]
        return "\n".join(p.strip() for p in parts if p and p.strip()) + "\n"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.extra)
        data.update(
            instance_template=self.instance_template,
            generator=self.generator,
            hard_constraints=[{"description": r.description, "asp_rule": r.asp_rule} for r in self.hard_constraints],
            soft_constraints=[{"description": r.description, "asp_rule": r.asp_rule} for r in self.soft_constraints],
            global_objective=self.global_objective,
        )
        if self.show is not None:
            data["show"] = list(self.show)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Structure":
        """Read our shape or another pipeline's; a wrong type is a StructureError naming the field."""
        if not isinstance(data, dict):
            raise StructureError(f"expected a JSON object, got {type(data).__name__}")
        known = {"instance_template", "generator", "hard_constraints", "soft_constraints", "global_objective", "show"}

        def text(key: str) -> str:
            value = data.get(key, "")
            if value is None:
                return ""
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return "\n".join(value)
            if not isinstance(value, str):
                raise StructureError(f"{key} should be a string, got {type(value).__name__}")
            return value

        def rules(key: str) -> list[Rule]:
            value = data.get(key) or []
            if not isinstance(value, list):
                raise StructureError(f"{key} should be a list, got {type(value).__name__}")
            out = []
            for i, item in enumerate(value):
                if isinstance(item, str):
                    out.append(Rule("", item))
                elif isinstance(item, dict) and isinstance(item.get("asp_rule", ""), str):
                    # A description that is not text (a number, a list, a dict) describes nothing.
                    description = item.get("description")
                    out.append(Rule(description if isinstance(description, str) else "", item.get("asp_rule") or ""))
                else:
                    raise StructureError(f"{key}[{i}] should be an object with description and asp_rule")
            return out

        show = data.get("show")
        if show is not None and not (isinstance(show, list) and all(isinstance(s, str) for s in show)):
            raise StructureError("show should be a list of strings")
        if show is not None:
            # Some pipelines list signatures (`in/1`) rather than statements.
            show = [f"#show {s.strip()}." if _SIGNATURE.fullmatch(s.strip()) else s for s in show]
        return cls(
            instance_template=text("instance_template"),
            generator=text("generator"),
            hard_constraints=rules("hard_constraints"),
            soft_constraints=rules("soft_constraints"),
            global_objective=text("global_objective"),
            show=list(show) if show is not None else None,
            extra={k: v for k, v in data.items() if k not in known},
        )


def structure_path(bench) -> Path:
    """Where a benchmark's structure.json is read from: its structure home, else (when that is a
    cache folder holding none yet) the read-only benchmark folder's own copy."""
    own = bench.structure_home / STRUCTURE_FILE
    return own if bench.home is None or own.is_file() else bench.path / STRUCTURE_FILE


def meta_path(bench) -> Path:
    """Where a benchmark's sidecar is read from: like structure.json (a read-only folder may hold
    ours from before it became read-only). Writers use `bench.structure_home`."""
    own = bench.structure_home / META_FILE
    return own if bench.home is None or own.is_file() else bench.path / META_FILE


class StructureError(ValueError):
    """A structure.json (or a teacher's answer) does not have the expected shape."""


def read_json(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise StructureError(f"cannot read {path.name}: {err}") from None
    return parse_json(data.removeprefix(b"\xef\xbb\xbf"), path.name)


def parse_json(data: bytes | str, name: str) -> Any:
    """JSON from someone's file, or a StructureError naming it: also for nesting too deep to
    read and for text that cannot be written back (a lone surrogate, `"\\ud800"`)."""
    try:
        value = json.loads(data)
    except ValueError as err:
        raise StructureError(f"cannot read {name}: {err}") from None
    except RecursionError:
        raise StructureError(f"cannot read {name}: it is nested too deeply") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise StructureError(f"cannot read {name}: it holds text that is not valid Unicode (a lone surrogate)") from None
    return value


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
