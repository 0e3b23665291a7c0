"""One sample: its prompt and answer, or for a repair pair, broken | fixed side by side with the
changed characters highlighted, the operator and clingo's error beneath (a RenderedPanel: the next
sample is drawn in one frame)."""

from __future__ import annotations

from difflib import SequenceMatcher

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from asp_ft_tui.domain.samples import Sample
from asp_ft_tui.tui.widgets.rendered_panel import RenderedPanel

STATUS_STYLE = {"approved": "green", "rejected": "red", "pending": "yellow", "changed": "magenta"}


def highlighted_pair(broken: str, fixed: str) -> tuple[Text, Text]:
    """Both sides with the characters that differ marked (deleted in red, inserted in green)."""
    left, right = Text(), Text()
    for tag, a1, a2, b1, b2 in SequenceMatcher(None, broken, fixed, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append(broken[a1:a2])
            right.append(fixed[b1:b2])
        else:
            left.append(broken[a1:a2], style="bold white on red")
            right.append(fixed[b1:b2], style="bold white on dark_green")
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
        head = Text.assemble((sample.key, "bold"), "  ", (status or "", STATUS_STYLE.get(status, "")),
                             "" if sample.valid else "  ", ("" if sample.valid else "answer does not pass clingo", "bold red"))
        if sample.task == "repair" and sample.broken is not None:
            left, right = highlighted_pair(sample.broken, edit if edit is not None else sample.answer)
            table = Table.grid(expand=True, padding=(0, 1))
            table.add_column(ratio=1)
            table.add_column(ratio=1)
            table.add_row(Panel(left, title="broken", border_style="red"),
                          Panel(right, title="fixed" + (" (edited)" if edit is not None else ""), border_style="green"))
            body = Group(head, table, Text.assemble(("operator ", "dim"), (sample.operator or "-", "bold")),
                         Panel(Text(sample.error), title="clingo says", border_style="yellow"))
        else:
            answer = edit if edit is not None else sample.answer
            tone = f"tone {sample.tone}" if sample.tone else ""
            body = Group(head, Text(f"{sample.task} · {sample.slot} · {tone}", style="dim"),
                         Panel(Text(sample.user), title="prompt", border_style="blue"),
                         Panel(Text(answer), title="answer" + (" (edited)" if edit is not None else ""),
                               border_style="green" if sample.valid else "red"),
                         Text(sample.answer_error, style="red") if sample.answer_error else Text(""))
        self.show_content(body)
