"""Scroll views whose scroll bars are refreshed when what they show changes, not at every layout."""

from __future__ import annotations

from textual.geometry import Size


class SteadyScroll:
    """Mixin for a Textual ScrollView (line API widget).

    On every layout of the screen, Textual's `ScrollView._size_updated` compares the viewport the
    compositor hands it with the widget's own virtual size. The two differ whenever the content is
    longer than the view, so each layout refreshed the scroll bars again; a refresh made during a
    frame waits for the next one (Textual's 60 Hz timer), and a key press that changed anything laid
    out took a second frame for an unchanged scroll bar. Here the scroll bars are updated when the
    widget's size, its container or its own virtual size changed since the last layout.
    """

    _laid_out: tuple[Size, Size, Size] | None = None

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        state = (size, self.virtual_size, container_size)
        if state == self._laid_out:
            return False
        self._laid_out = state
        return super()._size_updated(size, virtual_size, container_size, layout)

    def settle_scroll_bars(self) -> None:
        """Update the scroll bars for the widget's virtual size now, before the frame that draws it.
        Done in that frame's layout, a scroll bar shown or hidden asks for another layout, a frame
        of its own; done now, the frame lays it out too."""
        if not self.container_size:
            return  # not laid out yet: its first layout does it
        self._scroll_update(self.virtual_size)
        if self._laid_out is not None:
            self._laid_out = (self._laid_out[0], self.virtual_size, self._laid_out[2])
