"""Training samples: identity (a key that survives re-extraction and edits), content hash,
chat messages in mlx-lm's format, and review status against a stored decision."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

TASKS = ("instance", "generator", "hard", "soft", "repair")
CHANGED = "changed"
"""Review status of a sample whose content changed after the decision on it was made."""


def sample_key(benchmark_id: str, task: str, slot: str, tone: str | None = None, operator: str | None = None,
               seed: int | None = None) -> str:
    """`benchmark::task::slot::tone::operator::seed` with `-` for what does not apply."""
    parts = [benchmark_id, task, slot, tone or "-", operator or "-", "-" if seed is None else str(seed)]
    return "::".join(parts)


@dataclass(frozen=True)
class Sample:
    key: str
    benchmark_id: str
    group: str
    task: str
    slot: str
    system: str
    user: str
    answer: str
    context: str
    """What the answer is validated with (instance; instance + generator)."""
    tone: str | None = None
    operator: str | None = None
    broken: str | None = None
    error: str = ""
    """Repair samples: the canonical clingo error of the broken code."""
    valid: bool = True
    """The answer passes clingo with its context."""
    answer_error: str = ""

    @property
    def content_hash(self) -> str:
        text = "\x00".join((self.system, self.user, self.answer))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def messages(self, answer: str | None = None) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.user},
            {"role": "assistant", "content": self.answer if answer is None else answer},
        ]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Sample":
        return cls(**data)


def without_repeats(samples: list[Sample]) -> list[Sample]:
    """The first of each set of samples with the same system, user and assistant messages, in
    the order given: a repeated pair teaches nothing and weighs its mistakes twice."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for sample in samples:
        content = (sample.system, sample.user, sample.answer)
        if content not in seen:
            seen.add(content)
            out.append(sample)
    return out


def review_status(sample: Sample, decision) -> str:
    """pending, approved, rejected, or `changed` when the content moved under the decision."""
    if decision is None or decision.status == "pending":
        return "pending"
    if decision.content_hash != sample.content_hash:
        return CHANGED
    return decision.status
