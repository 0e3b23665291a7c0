"""The app's tabs with the keys that belong to each: a key bound here works, and shows in the
footer, only while the focus is inside its tab. The actions live on the app (`app.` prefix), so
the command palette reaches them too; the app's `check_action` greys out what does not apply."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import TabPane

EXTRACT_KEYS = [
    Binding("x", "app.extract", "Extract", id="extract"),
    Binding("X", "app.extract_all", "Extract all", id="extract_all"),
    Binding("T", "app.cycle_teacher", "Teacher", id="teacher"),
]


class BenchmarksTab(TabPane):
    BINDINGS = [
        *EXTRACT_KEYS,
        Binding("f", "app.cycle_status", "Filter", id="filter"),
        Binding("slash", "app.focus_filter", "Find", id="find"),
        Binding("B", "app.bulk_approve", "Approve all", id="bulk_approve"),
    ]
    HOME = "#benchmark-tree"
    """The widget that gets the focus when the tab opens: its keys work at once."""


class ComponentsTab(TabPane):
    BINDINGS = [Binding("e", "app.edit", "Edit", id="edit.component"), *EXTRACT_KEYS]
    HOME = "#component-list"


class ReviewTab(TabPane):
    BINDINGS = [
        Binding("a", "app.approve", "Approve", id="approve"),
        Binding("r", "app.reject", "Reject", id="reject"),
        Binding("e", "app.edit", "Edit", id="edit"),
        Binding("u", "app.undo", "Undo", id="undo"),
        Binding("n", "app.next_pending", "Pending", id="next_pending"),
        Binding("j", "app.step(1)", "Next", show=False, id="next"),
        Binding("k", "app.step(-1)", "Previous", show=False, id="previous"),
        Binding("f", "app.cycle_status", "Status", id="filter"),
        Binding("t", "app.cycle_task", "Task", id="task"),
        Binding("b", "app.only_benchmark", "Benchmark", id="only_benchmark"),
        Binding("slash", "app.focus_filter", "Find", id="find"),
        Binding("B", "app.bulk_approve", "Approve all", id="bulk_approve"),
    ]
    HOME = "#queue-table"


class LogTab(TabPane):
    HOME = "#log-view"


class TrainingTab(TabPane):
    HOME = "#train-runs"
