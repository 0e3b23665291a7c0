"""The review queue: every sample, filtered by status, task and text, one row each."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from asp_ft_tui.samples import SampleRow
from asp_ft_tui.tui.plural import counted
from asp_ft_tui.tui.visible import cell
from asp_ft_tui.tui.widgets.filter_box import FilterBox
from asp_ft_tui.tui.widgets.queue_table import QueueTable
from asp_ft_tui.tui.widgets.sample_view import STATUS_STYLE, SampleView

STATUS_CYCLE = (None, "pending", "approved", "rejected", "changed")
TASK_CYCLE = (None, "instance", "generator", "hard", "soft", "repair")


class ReviewQueue(Vertical):
    class Highlighted(Message):
        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.status_filter: str | None = None
        self.task_filter: str | None = None
        self.benchmark_filter: str | None = None
        self.keys: list[str] = []
        self._text = ""
        self._built = False

    def build(self) -> None:
        """Make the queue's widgets, once, when the Review tab first opens (not at launch).
        Mounted directly: each is in the DOM at once, for the focus that follows."""
        if self._built:
            return
        self._built = True
        text = FilterBox(placeholder="/ filter by key text (enter to apply)", id="queue-text", target="#queue-table")
        if self._text:
            text.restore(self._text)
        table = QueueTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        for label in ("status", "task", "slot", "tone / operator", "benchmark"):
            table.add_column(label, key=label, width=8 if label == "status" else None)
        self.mount(Static(id="queue-filters"), text, table, SampleView(id="sample"))

    @property
    def text(self) -> str:
        """The text filter in force (what was applied in the box)."""
        return self.query_one("#queue-text", FilterBox).applied if self._built else self._text

    def restore_text(self, text: str) -> None:
        if self._built:
            self.query_one("#queue-text", FilterBox).restore(text)
        self._text = text

    def load(self, rows: list[SampleRow], status_of, keep: str | None = None) -> None:
        """Fill the table; keep the cursor on `keep` (a key) when it is still listed."""
        self.build()
        table = self.query_one(DataTable)
        table.clear()
        self.keys = []
        for row in rows:
            status = status_of(row)
            table.add_row(Text(status, style=STATUS_STYLE.get(status, "")), cell(row.task), cell(row.slot),
                          cell(row.operator if row.task == "repair" else (row.tone or "-")),
                          cell(row.benchmark_id), key=row.key)
            self.keys.append(row.key)
        self.query_one("#queue-filters", Static).update(self.filters_line(len(rows)))
        if keep in self.keys:
            self.move_to(keep)
        # The cursor may stay on the same row number, which raises no highlight of its own: the
        # sample panel must not go on showing a sample the filters no longer list.
        self.post_message(self.Highlighted(self.current))

    def filters_line(self, count: int) -> Text:
        """The count, then the filters in force (f, t and b change them), highlighted when on."""
        line = Text.assemble((counted(count, "sample"), "bold"))
        for label, value, key in (("status", self.status_filter, "f"), ("task", self.task_filter, "t"),
                                  ("benchmark", self.benchmark_filter, "b")):
            line.append_text(Text.assemble("  ", (f"{label} ", "dim"), (value, "bold reverse") if value else "all",
                                           (f" ({key})", "dim")))
        return line

    def update_row(self, key: str, status: str) -> None:
        if self._built and key in self.keys:
            self.query_one(DataTable).update_cell(key, "status", Text(status, style=STATUS_STYLE.get(status, "")),
                                                  update_width=False)

    def move_to(self, key: str) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=self.keys.index(key))

    @property
    def current(self) -> str | None:
        if not self._built:
            return None
        table = self.query_one(DataTable)
        if not self.keys or table.cursor_row is None or table.cursor_row >= len(self.keys):
            return None
        return self.keys[table.cursor_row]

    def step(self, delta: int) -> None:
        if not self.keys:
            return
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, min(len(self.keys) - 1, table.cursor_row + delta)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(event.row_key.value if event.row_key else None))
