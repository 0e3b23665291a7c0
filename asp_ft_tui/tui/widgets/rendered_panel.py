"""A Rich renderable in a panel of fixed size that scrolls: the sample under review, the benchmark
under the tree's cursor.

It is a line-API scroll view. What it shows is rendered to lines once, at the panel's width, and
showing something else repaints the panel and its scroll bar in one frame, with no layout of the
screen. A text widget inside a scrolling container, as these panels were, changes height with what
it shows; Textual then lays the screen out again two or three times (the widget's virtual size, the
container's, its scroll bar), each a frame that also repaints most of the screen.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from asp_ft_tui.tui.visible import already_visible
from asp_ft_tui.tui.widgets.steady_scroll import SteadyScroll


class RenderedPanel(SteadyScroll, ScrollView):
    """Shows `show_content(renderable)`; whoever gives it text passes it through `visible` first."""

    _body: RenderableType | None = None
    _strips: list[Strip] = []
    _width = 0  # the width the lines were rendered at
    _style: Style | None = None  # and the panel's style then

    @property
    def content(self) -> RenderableType | None:
        """What the panel shows."""
        return self._body

    @property
    def text(self) -> str:
        """What the panel shows as rendered, every line (the panel shows those its scroll position reaches)."""
        return "\n".join(strip.text for strip in self._strips)

    def show_content(self, body: RenderableType, *, top: bool = True) -> None:
        """Show `body`, from its top unless `top` is False (the same thing again, newer)."""
        self._body = body
        if top:
            self.scroll_to(0, 0, animate=False)
        self._render_body()

    def _render_body(self) -> None:
        width = self.scrollable_content_region.width
        if self._body is None or width <= 0:
            # Not laid out yet, or on a hidden tab: drawn when it is shown (a shown widget gets a
            # resize), and not from lines of an older content or theme.
            self._width = 0
            return
        console = self.app.console
        self._style = self.rich_style
        lines = console.render_lines(self._body, console.options.update(width=width, highlight=False),
                                     style=self._style, pad=True)
        self._strips = [Strip(line, width) for line in lines]
        self._width = width
        size = Size(width, len(self._strips))
        if size != self.virtual_size:
            # The panel's own size does not follow its content, so no layout: the scroll bars are
            # updated now, to be drawn in the frame that draws the content.
            self.set_reactive(Widget.virtual_size, size)
            self.settle_scroll_bars()
        self.refresh()

    def get_line_filters(self):
        return already_visible(super().get_line_filters())  # what it shows passed `visible`

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self._body is not None and self.rich_style != self._style:
            self._render_body()  # another theme: the lines were drawn in the old one's colours

    def on_resize(self, event: events.Resize) -> None:
        if self.scrollable_content_region.width == self._width:
            return
        # Wrapped again to another width: the same place in the text stays in view (the end if it
        # was there), not the same line number. The line that was at the top is looked for by as
        # many of its words as a new line holds, nearest to where its share of the text puts it.
        top = int(self.scroll_y)
        at_end = top > 0 and top + self.scrollable_content_region.height >= len(self._strips)
        place = top / max(1, len(self._strips))
        words = self._strips[top].text.split() if 0 < top < len(self._strips) else []
        self._render_body()
        if at_end:
            self.scroll_to(y=self.max_scroll_y, animate=False)
        elif top and self._width:
            self.scroll_to(y=self._line_with(words, round(place * len(self._strips))), animate=False)

    def _line_with(self, words: list[str], guess: int) -> int:
        lines = [" ".join(strip.text.split()) for strip in self._strips]
        for count in range(len(words), 0, -1):
            anchor = " ".join(words[:count])
            found = [n for n, line in enumerate(lines) if anchor in line]
            if found:
                return min(found, key=lambda n: abs(n - guess))
        return guess

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if index >= len(self._strips):
            return Strip.blank(width, self.rich_style)
        return self._strips[index].crop_extend(0, width, self.rich_style)
