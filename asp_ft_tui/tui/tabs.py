"""The app's tabs with the keys that belong to each: a key bound here works, and shows in the
footer, only while the focus is inside its tab. The actions live on the app (`app.` prefix), so
the command palette reaches them too; the app's `check_action` greys out what does not apply."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import TabPane

from asp_ft_tui.tui.work_actions import SETTINGS_KEY

# The footer has 80 columns to show a tab's keys in: the filters share one label, and a key that
# works everywhere shows where it matters (the app binds it too, hidden).
FILTERS = Binding.Group("Filter", compact=True)
EXTRACT_KEYS = [
    Binding("x", "app.extract", "Extract", id="extract"),
    Binding("X", "app.extract_all", "Extract all", id="extract_all"),
    Binding("T", "app.cycle_teacher", "Teacher", id="teacher"),
]


class AppTab(TabPane):
    HOME = ""
    """The widgets that get the focus when the tab opens (the first one shown): the tab's keys
    work at once."""

    def prepare(self) -> None:
        """Make what the tab shows, when it is made only once it is first opened."""


class BenchmarksTab(AppTab):
    BINDINGS = [
        *EXTRACT_KEYS,
        Binding("f", "app.cycle_status", "Status", id="filter", group=FILTERS),
        Binding("slash", "app.focus_filter", "Find", id="find", group=FILTERS),
        Binding("B", "app.bulk_approve", "Approve all", id="bulk_approve"),
        Binding(SETTINGS_KEY, "app.settings", "Settings", id="settings.shown"),
    ]
    HOME = "#benchmark-tree, #detail"
    """The tree is hidden in an empty workspace, which shows how to add benchmarks."""


class ComponentsTab(AppTab):
    BINDINGS = [Binding("e", "app.edit", "Edit", id="edit.component"), *EXTRACT_KEYS]
    HOME = "#component-list"

    def prepare(self) -> None:
        self.query_one("ComponentsPane").build()


class ReviewTab(AppTab):
    BINDINGS = [
        Binding("a", "app.approve", "Approve", id="approve"),
        Binding("r", "app.reject", "Reject", id="reject"),
        Binding("e", "app.edit", "Edit", id="edit"),
        Binding("u", "app.undo", "Undo", id="undo"),
        Binding("n", "app.next_pending", "Next pending", show=False, id="next_pending"),
        Binding("j", "app.step(1)", "Next", show=False, id="next"),
        Binding("k", "app.step(-1)", "Previous", show=False, id="previous"),
        Binding("f", "app.cycle_status", "Status", id="filter", group=FILTERS),
        Binding("t", "app.cycle_task", "Task", id="task", group=FILTERS),
        Binding("b", "app.only_benchmark", "This benchmark", id="only_benchmark", group=FILTERS),
        Binding("slash", "app.focus_filter", "Find", id="find", group=FILTERS),
        Binding("B", "app.bulk_approve", "Approve all", id="bulk_approve"),
        Binding("E", "app.export", "Export", id="export.shown"),
    ]
    HOME = "#queue-table"

    def prepare(self) -> None:
        self.query_one("ReviewQueue").build()


class LogTab(AppTab):
    HOME = "#log-view"

    def prepare(self) -> None:
        self.query_one("LogView").open()


class TrainingTab(AppTab):
    HOME = "#train-runs"

    def prepare(self) -> None:
        self.query_one("TrainingPane").build()
