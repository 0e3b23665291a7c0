"""One sample: its prompt and answer, or for a repair pair, broken | fixed side by side with the
changed characters highlighted, the operator and clingo's error beneath.

The panel is a line-API scroll view of a fixed size: the sample is rendered to lines once, at the
panel's width, and showing the next one repaints the panel and its scroll bar in one frame, with no
layout of the screen (a text widget in a scrolling container changed height with each sample and
took two or three frames, each a full layout and a repaint of most of the screen).
"""

from __future__ import annotations

from difflib import SequenceMatcher

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from asp_ft_tui.domain.samples import Sample
from asp_ft_tui.tui.widgets.steady_scroll import SteadyScroll

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


class SampleView(SteadyScroll, ScrollView):
    sample: Sample | None = None
    _shown: tuple | None = None
    _body: RenderableType | None = None
    _strips: list[Strip] = []
    _width = 0  # the width the lines were rendered at
    _style: Style | None = None  # and the panel's style then

    def show(self, sample: Sample | None, status: str = "", edit: str | None = None) -> None:
        shown = (sample, status, edit)
        if sample is not None and shown == self._shown:
            return  # already on screen: the same text is not laid out and drawn again
        self._shown = shown
        self.sample = sample
        if sample is None:
            self._show_body(Text("No sample selected.", style="dim"))
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
        self._show_body(body)

    def _show_body(self, body: RenderableType) -> None:
        self._body = body
        self.scroll_to(0, 0, animate=False)  # a sample is shown from its top
        self._render_body()

    def _render_body(self) -> None:
        width = self.scrollable_content_region.width
        if self._body is None or width <= 0:
            return  # not laid out yet: the first resize renders it
        console = self.app.console
        self._style = self.rich_style
        lines = console.render_lines(self._body, console.options.update(width=width, highlight=False),
                                     style=self._style, pad=True)
        self._strips = [Strip(line, width) for line in lines]
        self._width = width
        size = Size(width, len(self._strips))
        if size != self.virtual_size:
            # The panel's own size does not follow its content, so no layout: the scroll bars are
            # updated now, to be drawn in the frame that draws the sample.
            self.set_reactive(Widget.virtual_size, size)
            if self.container_size:
                self._scroll_update(size)
                self._scrolled_for(size)
        self.refresh()

    @property
    def text(self) -> str:
        """The sample as rendered, every line (the panel shows those its scroll position reaches)."""
        return "\n".join(strip.text for strip in self._strips)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self._body is not None and self.rich_style != self._style:
            self._render_body()  # another theme: the lines were drawn in the old one's colours

    def on_resize(self, event: events.Resize) -> None:
        if self.scrollable_content_region.width != self._width:
            self._render_body()

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if index >= len(self._strips):
            return Strip.blank(width, self.rich_style)
        return self._strips[index].crop_extend(0, width, self.rich_style)
