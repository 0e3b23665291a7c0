"""Prompt files: bundled in prompts/, overridable one by one by a workspace's own prompts/.

Placeholders are `$name` (string.Template); each prompt must use exactly its own set, checked at
load, so a typo in an edited prompt is an error naming the file and the placeholder.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from string import Template

from asp_ft_tui import paths
from asp_ft_tui.domain.tones import TONES

PLACEHOLDERS: dict[str, frozenset[str]] = {
    "extract": frozenset({"description", "asp", "tone", "tone_definition"}),
    "repair": frozenset({"component", "description", "context", "code", "error"}),
    "tones": frozenset({"tone_definitions", "items"}),
    **{f"tone_{tone.lower()}": frozenset() for tone in TONES},
    **{f"task_{task}": frozenset() for task in ("instance", "generator", "hard", "soft", "repair")},
}


class PromptError(ValueError):
    """A prompt file is missing or its placeholders are wrong; the message names the file."""


def placeholders_in(text: str, path: Path) -> set[str]:
    found = set()
    for match in Template.pattern.finditer(text):
        if match.group("invalid") is not None:
            line = text.count("\n", 0, match.start()) + 1
            raise PromptError(f"{path}: line {line}: a lone '$' (write $$ for a dollar sign)")
        name = match.group("named") or match.group("braced")
        if name:
            found.add(name)
    return found


@dataclass(frozen=True)
class PromptSet:
    texts: dict[str, str]
    sources: dict[str, Path]

    def render(self, name: str, **values: str) -> str:
        return Template(self.texts[name]).substitute(values)

    def text(self, name: str) -> str:
        """A prompt without placeholders (task and tone prompts), `$$` turned into `$`."""
        return Template(self.texts[name]).substitute().strip()

    def tone_definition(self, tone: str) -> str:
        return self.text(f"tone_{tone.lower()}")

    @cached_property
    def _hashes(self) -> dict[str, str]:
        return {name: hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] for name, text in sorted(self.texts.items())}

    def hashes(self) -> dict[str, str]:
        return dict(self._hashes)


def load_prompts(override_dir: Path | None = None) -> PromptSet:
    bundled = paths.bundled_prompts()
    texts: dict[str, str] = {}
    sources: dict[str, Path] = {}
    for name, expected in PLACEHOLDERS.items():
        path = bundled / f"{name}.txt"
        if override_dir is not None and (override_dir / f"{name}.txt").is_file():
            path = override_dir / f"{name}.txt"
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as err:
            raise PromptError(f"{path}: cannot read the prompt file ({err.strerror or err})") from None
        except UnicodeDecodeError as err:
            raise PromptError(f"{path}: the prompt file is not UTF-8 (byte offset {err.start})") from None
        found = placeholders_in(text, path)
        missing, unknown = expected - found, found - expected
        if missing:
            raise PromptError(f"{path}: missing placeholder {', '.join('$' + m for m in sorted(missing))}")
        if unknown:
            allowed = ", ".join("$" + p for p in sorted(expected)) or "none"
            raise PromptError(f"{path}: unknown placeholder {', '.join('$' + u for u in sorted(unknown))} "
                              f"(allowed: {allowed})")
        texts[name], sources[name] = text, path
    return PromptSet(texts, sources)
