"""One sample: its prompt and answer, or for a repair pair, broken | fixed side by side with the
changed characters highlighted, the operator and clingo's error beneath (a RenderedPanel: the next
sample is drawn in one frame)."""

from __future__ import annotations

from difflib import SequenceMatcher
from os.path import commonprefix

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from asp_ft_tui.domain.samples import Sample
from asp_ft_tui.tui.visible import cut, excerpt, visible
from asp_ft_tui.tui.widgets.rendered_panel import RenderedPanel

STATUS_STYLE = {"approved": "green", "rejected": "red", "pending": "yellow", "changed": "magenta"}


DIFF_CHARS = 4_000
"""The most characters of the changed middle of a pair compared character by character
(SequenceMatcher is quadratic: 10,000 characters took a second)."""
CHANGED = ("bold white on red", "bold white on dark_green")


def highlighted_pair(broken: str, fixed: str) -> tuple[Text, Text]:
    """Both sides with the characters that differ marked (deleted in red, inserted in green), made
    visible (no control character reaches the terminal)."""
    start = len(commonprefix([broken, fixed]))
    end = len(commonprefix([broken[start:][::-1], fixed[start:][::-1]]))
    a, b = broken[start:len(broken) - end], fixed[start:len(fixed) - end]
    left, right = Text(visible(broken[:start])), Text(visible(fixed[:start]))
    if len(a) + len(b) <= DIFF_CHARS:
        for tag, a1, a2, b1, b2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            left.append(visible(a[a1:a2]), style=None if tag == "equal" else CHANGED[0])
            right.append(visible(b[b1:b2]), style=None if tag == "equal" else CHANGED[1])
    else:  # a change this large is shown as one block
        left.append(visible(a), style=CHANGED[0])
        right.append(visible(b), style=CHANGED[1])
    left.append(visible(broken[len(broken) - end:]))
    right.append(visible(fixed[len(fixed) - end:]))
    return left, right


def shown_pair(broken: str, fixed: str) -> tuple[Text, Text]:
    """`highlighted_pair` of both sides' first lines (see `cut`), each with its note of what is left out."""
    (broken, broken_note), (fixed, fixed_note) = cut(broken), cut(fixed)
    left, right = highlighted_pair(broken, fixed)
    for side, note in ((left, broken_note), (right, fixed_note)):
        if note:
            side.append(f"\n{note}", style="dim italic")
    return left, right


class SampleView(RenderedPanel):
    sample: Sample | None = None
    _shown: tuple | None = None

    def show(self, sample: Sample | None, status: str = "", edit: str | None = None, *,
             empty: str = "No sample selected.") -> None:
        """Show `sample`, or with None the `empty` text (why there is no sample to show)."""
        shown = (sample, status, edit)
        if sample is not None and shown == self._shown:
            return  # already on screen: the same text is not laid out and drawn again
        self._shown = shown
        self.sample = sample
        if sample is None:
            self.show_content(Text(empty, style="dim"))
            return
        head = Text.assemble((visible(sample.key), "bold"), "  ", (status or "", STATUS_STYLE.get(status, "")),
                             "" if sample.valid else "  ", ("" if sample.valid else "answer does not pass clingo", "bold red"))
        whole = "e shows all of the answer"
        if sample.task == "repair" and sample.broken is not None:
            left, right = shown_pair(sample.broken, edit if edit is not None else sample.answer)
            table = Table.grid(expand=True, padding=(0, 1))
            table.add_column(ratio=1)
            table.add_column(ratio=1)
            table.add_row(Panel(left, title="broken", border_style="red"),
                          Panel(right, title="fixed" + (" (edited)" if edit is not None else ""), border_style="green"))
            body = Group(head, table, Text.assemble(("operator ", "dim"), (visible(sample.operator or "-"), "bold")),
                         Panel(excerpt(sample.error), title="clingo says", border_style="yellow"))
        else:
            answer = edit if edit is not None else sample.answer
            tone = f"tone {sample.tone}" if sample.tone else ""
            body = Group(head, Text(visible(f"{sample.task} · {sample.slot} · {tone}"), style="dim"),
                         Panel(excerpt(sample.user), title="prompt", border_style="blue"),
                         Panel(excerpt(answer, more=whole), title="answer" + (" (edited)" if edit is not None else ""),
                               border_style="green" if sample.valid else "red"),
                         excerpt(sample.answer_error, "red") if sample.answer_error else Text(""))
        self.show_content(body)
