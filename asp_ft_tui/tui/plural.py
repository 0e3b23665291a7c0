"""Counts in words the way a person writes them: "1 sample", "2 samples", "+1 variant"."""

from __future__ import annotations


def counted(n: int, word: str, many: str | None = None) -> str:
    """`n` and the word for one or for many (`many` where adding an s is wrong)."""
    return f"{n} {word if n == 1 else many or word + 's'}"
