"""The five tones every description can be written in, and the seeded choice of one."""

from __future__ import annotations

import hashlib
import re

TONES = ("Academic", "Casual", "Business", "Succinct", "Didactic")


def pick_tone(seed: int, benchmark_id: str) -> str:
    """The tone of one extraction: stable for a seed and a benchmark, spread over all five."""
    digest = hashlib.sha256(f"{seed}:{benchmark_id}".encode()).digest()
    return TONES[digest[0] % len(TONES)]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if text and text[-1] not in ".!?":
        text += "."
    return text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


_FILLER = re.compile(r"\b(really|just|simply|basically|actually)\b\s*|\s*\([^)]*\)", re.IGNORECASE)


def template_tone(description: str, tone: str) -> str:
    """A deterministic rewrite of a description into a tone, without a language model.

    The structural teacher uses it; such variants are labelled as template tones wherever they
    are shown or recorded, because they are a fixed frame around the same sentence.
    """
    base = _sentence(description)
    if not base:
        return base
    if tone == "Academic":
        return f"Formally, the model requires the following: {_lower_first(base)}"
    if tone == "Casual":
        return f"So basically, {_lower_first(base)}"
    if tone == "Business":
        return f"Business rule: {base}"
    if tone == "Succinct":
        first = re.split(r"(?<=[.!?])\s+", _FILLER.sub("", base))[0]
        words = first.split()
        short = " ".join(words[:20]).rstrip(".,;:")
        return (short[:1].upper() + short[1:] + ".") if short else base
    if tone == "Didactic":
        return f"Let us state this rule step by step. {base} Keep this in mind when writing the code."
    raise ValueError(f"unknown tone {tone!r}; expected one of {', '.join(TONES)}")
