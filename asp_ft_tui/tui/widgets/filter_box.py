"""A filter field that gives the focus back to its list."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class FilterBox(Input):
    """A filter field that hands the focus back to the list it filters on Enter and Escape, so
    the list's keys (and the app's) work again without reaching for the mouse."""

    BINDINGS = [Binding("escape", "leave", "Back to the list", id="filter.leave")]

    def __init__(self, *, target: str, live: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.live = live
        """Whether the list follows each keystroke (else the filter applies on Enter)."""
        self.applied = ""

    def restore(self, text: str) -> None:
        """Show and apply `text` (a filter remembered from the last session)."""
        self.applied = text
        self.value = text

    def action_leave(self) -> None:
        # Escape takes back text that was never applied: the box shows what filters the list.
        if self.value != self.applied:
            self.value = self.applied
        self.screen.query_one(self.target).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.live:
            self.applied = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # The app (or the queue) applies the filter from the same message; the focus moves on.
        self.applied = event.value
        self.action_leave()
