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
    if text and not re.search(r"[.!?][\"')\]]*$", text):
        text += "."
    return text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


_DANGLING = {"a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "with", "that", "by", "at", "from", "is",
             "are", "be", "its", "their", "as", "than", "if", "when", "which"}
_FILLER = re.compile(r"\b(really|just|simply|basically|actually)\b\s*|\s*\([^)]*\)", re.IGNORECASE)


def template_tone(description: str, tone: str) -> str:
    """A deterministic rewrite of a description into a tone, without a language model.

    The structural teacher uses it; such variants are labelled as template tones wherever they
    are shown or recorded, because they are a fixed frame around the same sentence.
    """
    base = _sentence(description)
    if not base:
        return base
    # Frames open like a person would start a sentence, never with a `Word(s):` label (labels
    # are what a label importer strips from teachers' descriptions).
    if tone == "Academic":
        return f"In formal terms, {_lower_first(base)}"
    if tone == "Casual":
        return f"So basically, {_lower_first(base)}"
    if tone == "Business":
        return f"As a business rule, {_lower_first(base)}"
    if tone == "Succinct":
        first = re.split(r"(?<!i\.e\.)(?<!e\.g\.)(?<=[.!?])\s+", _FILLER.sub("", base))[0]
        words = first.split()
        if len(words) > 20:
            # Cut at the last clause boundary, else after a word that can end a sentence (a
            # noun, not "of the").
            words = words[:20]
            clause = max((i for i, w in enumerate(words) if w.endswith((",", ";")) and i >= 4), default=None)
            if clause is not None:
                words = words[: clause + 1]
            while len(words) > 1 and words[-1].lower().rstrip(".,;:") in _DANGLING:
                words.pop()
        short = " ".join(words).rstrip(",;:")
        return _sentence(short[:1].upper() + short[1:]) if short else base
    if tone == "Didactic":
        return f"Let us go through this part of the problem. {base} Keep it in mind while writing the code."
    raise ValueError(f"unknown tone {tone!r}; expected one of {', '.join(TONES)}")
