"""Text the app did not write (benchmark files, samples, teacher answers, clingo's messages), drawn
safely: never a control character for the terminal, never more than a panel can draw at once.

A benchmark's NL.txt may hold an escape sequence (`ESC [2J` clears the screen): Rich keeps ESC in
text, and Textual passes it to the terminal. Panels show such characters as their Unicode control
pictures (the reviewer sees that the text holds one), and a line filter drops any control character
left in what any widget draws. Rich renders about 20,000 lines a second: a 100,000-line program
shown whole froze the app for seconds at each cursor move, so panels show the first lines and say
how much more there is.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.text import Text
from textual.color import Color
from textual.filter import LineFilter

MAX_LINES = 1_000
MAX_CHARS = 100_000

# C0 controls but tab and newline, DEL, the C1 controls (ESC's 8-bit forms among them), the
# bidirectional controls, which reorder what follows them on screen (borders included), and the
# line and paragraph separators.
_BIDI = [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_PICTURES = {code: 0x2400 + code for code in range(32) if code not in (9, 10)}
_PICTURES[0x7F] = 0x2421
_PICTURES.update({code: 0xFFFD for code in [*range(0x80, 0xA0), *_BIDI]})
_REMOVED = dict.fromkeys(_PICTURES)
_DROPPED = {**_REMOVED, 9: None, 10: None}  # from a drawn line: tabs and newlines are none of its text


def controls_in(text: str) -> int:
    """How many control characters `text` holds (those `visible` shows as pictures)."""
    return len(text) - len(text.translate(_REMOVED))


def visible(text: str) -> str:
    """`text` with each control character (but tab and newline) as its visible picture (ESC as ␛)."""
    return text.translate(_PICTURES)


def cut(text: str, *, max_lines: int = MAX_LINES, max_chars: int = MAX_CHARS) -> tuple[str, str]:
    """(the first `max_lines` lines and `max_chars` characters of `text`, a note saying how much
    is left out: empty when nothing is)."""
    head = text
    if text.count("\n") >= max_lines:
        head = "\n".join(text.split("\n", max_lines)[:max_lines])
    if len(head) > max_chars:
        head = head[:max_chars]
    rest = text[len(head):]
    if not rest.strip("\n"):
        return text, ""  # nothing but the line ends of the lines shown
    lines = rest.count("\n") + (not rest.startswith("\n")) - rest.endswith("\n")
    return head, (f"... {lines:,} more line{'s' if lines != 1 else ''} ({len(rest):,} character"
                  f"{'s' if len(rest) != 1 else ''}) not shown")


def cell(value: str) -> str | Text:
    """A table cell shown as written: DataTable reads a string as markup, and a benchmark folder may
    be called `[red]` or `a[/b]` (an unmatched closing tag stops the app)."""
    value = visible(value)
    return Text(value) if "[" in value else value


def excerpt(text: str, style: str = "", *, more: str = "", max_lines: int = MAX_LINES,
            max_chars: int = MAX_CHARS) -> Text:
    """`text` made visible and cut (see `cut`), then a line saying how much is not shown (and
    `more`: where to see it all)."""
    head, note = cut(text, max_lines=max_lines, max_chars=max_chars)
    shown = Text(visible(head), style=style)
    if note:
        shown.append(f"\n{note}{'; ' + more if more else ''}", style="dim italic")
    return shown


class NoControlCodes(LineFilter):
    """Drops control characters from every line drawn (zero cells wide to Rich, so no line changes
    width): whatever a widget was given, no escape sequence reaches the terminal."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(segment.text.isprintable() for segment in segments):
            return segments
        return [segment if segment.text.isprintable() else
                Segment(segment.text.translate(_DROPPED), segment.style, segment.control) for segment in segments]


def already_visible(filters: Sequence[LineFilter]) -> list[LineFilter]:
    """The line filters of a widget whose every text passed `visible` (the sample panel, the queue):
    without NoControlCodes, which makes a new strip of each line it sees (a cost in every frame of
    an approve, and objects for the collector)."""
    return [line_filter for line_filter in filters if not isinstance(line_filter, NoControlCodes)]
