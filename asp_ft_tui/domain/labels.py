"""Labels a teacher put in front of a description ("Business Requirements:", "**Academic:**",
"Sanity check:"), taken off before the text becomes a prompt.

A model asked for a tone often names it; another pipeline's cache keeps those names. Trained on
them, a model learns to expect "Academic:" in front of every request. Known labels are removed
(and the tone they name kept); a description that still opens with something that looks like a
label is left as it is and flagged, for a person to look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asp_ft_tui.domain.tones import TONES

_TONE_WORDS = {tone.lower(): tone for tone in TONES} | {"formal": "Academic", "informal": "Casual",
                                                         "concise": "Succinct", "short": "Succinct",
                                                         "educational": "Didactic", "teaching": "Didactic"}
_TONE_SUFFIXES = (r"(?:\s+(?:tone|style|version|variant|description|explanation|rule|summary|perspective)"
                  r"|(?<=business)\s+requirements?)?(?:\s*\([^)\n]{0,40}\))?")
# Labels that name no tone; words that could be a description's own subject ("Penalty: 5 points
# per late task", "Goal: ...") are not among them.
_OTHER_LABELS = (r"sanity\s+check", r"tone", r"description", r"explanation", r"summary", r"in\s+short", r"tl;\s*dr",
                 r"note", r"plain\s+english", r"(?:hard|soft)?\s*constraint(?:\s+\d+)?", r"rule(?:\s+\d+)?")
_WORD = "(?P<word>" + "|".join(sorted(_TONE_WORDS, key=len, reverse=True)) + ")" + _TONE_SUFFIXES
# A label: optional list marker, markdown emphasis, heading marks or brackets, the words, then a
# colon, a dash or arrow between blanks, or the end of its line; more emphasis after it.
_DECOR = r"(?:\s*(?:\d{1,2}[.)]|[-\u2022])\s+)?[\s*_#>\[\(]*"
_CLOSE = r"\s*[\]\)]?\s*(?:\*\*|__)?"
_SEPARATOR = r"(?:\s*:|\s+(?:-{1,2}|\u2013|\u2014|\u2192|->)(?=\s)|[ \t]*\n)"
_KNOWN = re.compile(
    rf"^{_DECOR}(?:{_WORD}|(?P<other>{'|'.join(_OTHER_LABELS)})){_CLOSE}{_SEPARATOR}"
    rf"\s*(?:\*\*|__|\*)?\s*(?=\S|$)",
    re.IGNORECASE,
)
# A tone's name alone as the first sentence ("Academic. The set of ...").
_TONE_SENTENCE = re.compile(rf"^{_DECOR}(?P<word>{'|'.join(_TONE_WORDS)})\s*\.\s+(?=\S)", re.IGNORECASE)
_TONE_TAG = re.compile(rf"^{_DECOR}[\[\(]\s*{_WORD}\s*[\]\)]\s*(?=\S|$)", re.IGNORECASE)
_TRAILING_TAG = re.compile(rf"\s*[\[\(]\s*{_WORD}\s*[\]\)]\s*$", re.IGNORECASE)
_PLAIN_WORD = re.compile(r"[a-z]+(?=[\s,;.!?]|$)")
# What still reads as a tone label, not as the description's own heading ("Clue: ..."): up to
# four words before a colon, one of them about style or wording.
_LOOKS_LIKE_LABEL = re.compile(
    r"^[\s*_#>\[(]*(?:[\w'/&;-]+\s+){0,3}?[\w'/&;-]*"
    r"(?:tone|style|version|variant|voice|register|audience|rewrite|rewritten|paraphrase|eli5|wording|phrasing"
    r"|explanation|explained|perspective|framing|layman|formal|informal|friendly|professional|technical)"
    r"[\w'/&;-]*\s*[\])]?\s*(?:\*\*)?(?::|\s+-{1,2}\s)",
    re.IGNORECASE)


@dataclass(frozen=True)
class Cleaned:
    text: str
    """The description without its labels (unchanged when it had none)."""
    tone: str | None = None
    """The tone a removed label named, if any."""
    removed: tuple[str, ...] = ()
    """The labels taken off, as written."""
    flag: str = ""
    """Why a person should look at it: it still opens with what looks like a label."""

    @property
    def changed(self) -> bool:
        return bool(self.removed)


def clean_description(text: str) -> Cleaned:
    """Take known labels off the start of a description (several in a row too)."""
    rest = text.strip()
    removed: list[str] = []
    tone = None
    while True:
        match = _KNOWN.match(rest) or _TONE_TAG.match(rest) or _TONE_SENTENCE.match(rest)
        if not match:
            break
        removed.append(re.sub(r"[*_#>]", "", match.group(0)).strip())
        word = match.groupdict().get("word")
        if word and tone is None:
            tone = _TONE_WORDS[word.lower()]
        rest = rest[match.end():].strip()
    trailing = _TRAILING_TAG.search(rest)
    if trailing and trailing.start() > 0:
        removed.append(trailing.group(0).strip())
        tone = tone or _TONE_WORDS[trailing["word"].lower()]
        rest = rest[: trailing.start()].rstrip()
    # "every room ..." becomes a sentence; "adj(X,Y) must ..." and "x_1 ..." keep their case.
    if removed and _PLAIN_WORD.match(rest):
        rest = rest[0].upper() + rest[1:]
    flag = ""
    head = _LOOKS_LIKE_LABEL.match(rest)
    if head:
        flag = f"the description starts with what looks like a tone label: {rest[:head.end()].strip(' -:*')!r}"
    if not rest:
        return Cleaned(text.strip(), None, (), "the description is only a label")
    return Cleaned(rest, tone, tuple(removed), flag)
