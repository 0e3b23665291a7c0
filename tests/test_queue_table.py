"""QueueTable (the review queue's table) against Textual's own DataTable: the same operations give
the same rows in the same order, the same cursor, the same scrolled-to cursor and the same screen."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable

from asp_ft_tui.tui.widgets.queue_table import QueueTable


class Pair(App):
    AUTO_FOCUS = None  # the focused table draws its cursor row in other colours: neither is

    def compose(self):
        for table in (DataTable(id="plain", cursor_type="row"), QueueTable(id="queue", cursor_type="row")):
            table.styles.height = 10
            table.styles.width = 60
            yield table


def rows(n: int, start: int = 0):
    # Plain text, Text, wide characters, markup and an empty cell: widths as DataTable measures them.
    cells = [(f"s{i % 3}", f"task {i}", f"bench {i // 7}") for i in range(start, start + n)]
    cells[5] = (Text("approved", style="green"), "日本語のタスク", "[b]bold[/b] bench")
    cells[6] = ("", "x" * 30, 12.5)
    cells[7] = ("状態状態状態", "task 7", "bench 1")
    return cells


def snapshot(table: DataTable) -> tuple:
    return ([r.key.value for r in table.ordered_rows], table.cursor_row, table.scroll_offset.y,
            [table.get_row_at(i) for i in range(table.row_count)], table.virtual_size.height,
            [[(segment.text, segment.style) for segment in table.render_line(y)] for y in range(10)])


@pytest.mark.parametrize("script", ["fill", "update", "clear_refill", "sort", "remove"])
async def test_queue_table_matches_data_table(script):
    app = Pair()
    async with app.run_test(size=(130, 12)) as pilot:
        tables = [app.query_one("#plain", DataTable), app.query_one("#queue", QueueTable)]

        async def both(action) -> None:
            for table in tables:
                action(table)
            await pilot.pause()
            assert snapshot(tables[1]) == snapshot(tables[0])

        def fill(table, n=60, start=0):
            for column in ("status", "task", "benchmark"):
                if column not in [c.value for c in table.columns]:
                    table.add_column(column, key=column)
            for i, row in enumerate(rows(n, start)):
                table.add_row(*row, key=f"k{start + i}")

        await both(fill)
        for row in (1, 2, 0, 5, 4):  # the rows left and reached drawn again, the others from the cache
            await both(lambda t, row=row: t.move_cursor(row=row))
        await both(lambda t: t.move_cursor(row=45))
        if script == "update":
            await both(lambda t: t.update_cell("k45", "status", "approved"))
            await both(lambda t: t.move_cursor(row=46))
            await both(lambda t: t.update_cell("k44", "status", "pending"))  # shown, not under the cursor
            await both(lambda t: t.update_cell("k3", "status", "rejected"))  # not shown
            await both(lambda t: t.move_cursor(row=3))
            await both(lambda t: t.update_cell("k3", "task", "a much longer task name", update_width=True))
        elif script == "clear_refill":  # as many rows again at once (the queue's load): a row count
            await both(lambda t: (t.clear(), fill(t, 60, 100)))  # alone would not tell
            await both(lambda t: t.move_cursor(row=59))
        elif script == "sort":
            await both(lambda t: t.sort("task"))
            await both(lambda t: t.move_cursor(row=12))
        elif script == "remove":
            await both(lambda t: t.remove_row("k10"))
            await both(lambda t: t.move_cursor(row=58))
            await both(lambda t: t.add_row("s9", "late", "bench 99", key="late"))
            await both(lambda t: t.move_cursor(row=59))
