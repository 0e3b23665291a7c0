"""Reading a JSON object out of a language model's answer, however it was wrapped."""

from __future__ import annotations

import json
import re

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n(.*?)```", re.DOTALL)


class AnswerError(ValueError):
    """The answer holds no usable JSON object."""


def parse_json_answer(text: str) -> dict:
    """The first JSON object in `text`: bare, inside ``` fences, wrapped in a list, or
    surrounded by stray prose."""
    try:
        found = _first_object(text)
    except RecursionError:
        raise AnswerError("the answer nests too deeply to be read") from None
    try:
        json.dumps(found, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise AnswerError("the answer holds invalid Unicode (a lone surrogate)") from None
    return found


def _first_object(text: str) -> dict:
    if not text or not text.strip():
        raise AnswerError("the answer is empty")
    candidates = [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]
    for candidate in candidates:
        try:
            found = _as_object(json.loads(candidate))
        except ValueError:
            continue
        if found is not None:
            return found
    decoder = json.JSONDecoder()
    for start, char in enumerate(text):
        if char not in "{[":
            continue
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        found = _as_object(value)
        if found is not None:
            return found
    raise AnswerError(f"no JSON object in the answer ({len(text)} characters, starting {text.strip()[:60]!r})")


def _as_object(value) -> dict | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return next((v for v in value if isinstance(v, dict)), None)
    return None
