"""The review queue's table: Textual's DataTable, kept fast at tens of thousands of one-line rows.

DataTable rebuilds two lists over every row (rows in display order, and the row of each screen
line) after any cell update, and sums the heights of all rows above the cursor to scroll it into
view. At 20,000 samples that was most of an approve (about 140 of 200 ms, growing with the queue).
Every row here is one line high, so line y is row y, and both lists change only when rows are
added, removed, cleared or sorted: they are cached on that instead. A cell update (a new status)
re-renders its own row, where DataTable starts all its render caches over, and moving the cursor
re-renders the rows it leaves and reaches, not every row on screen. New rows of
one-line text get their column widths from the text's length, without a Rich measure of every cell
(opening the Review tab on 20,000 samples spent seconds there).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, Row, RowKey

from asp_ft_tui.tui.visible import already_visible
from asp_ft_tui.tui.widgets.steady_scroll import SteadyScroll


_ELSEWHERE = Coordinate(-2, 0)  # on no row, not even the header (-1)


class QueueTable(SteadyScroll, DataTable):
    # One sample a row: home and end go to the first and the last (DataTable's go to the first and
    # last column, which a row cursor does not have).
    BINDINGS = [Binding("home", "scroll_top", "First", show=False), Binding("end", "scroll_bottom", "Last", show=False)]

    # Class defaults: DataTable's own __init__ already asks for the rows.
    _rows_version = 0
    _order_cache: tuple[tuple[int, int], list[Row], list[tuple[RowKey, int]]] | None = None

    def _order(self) -> tuple[list[Row], list[tuple[RowKey, int]]]:
        key = (self.row_count, self._rows_version)
        if self._order_cache is None or self._order_cache[0] != key:
            rows = [self.rows[self._row_locations.get_key(i)] for i in range(self.row_count)]
            self._order_cache = (key, rows, [(row.key, 0) for row in rows])
        return self._order_cache[1], self._order_cache[2]

    @property
    def ordered_rows(self) -> list[Row]:
        return self._order()[0]

    @property
    def _y_offsets(self) -> list[tuple[RowKey, int]]:
        return self._order()[1]

    def _get_row_region(self, row_index: int) -> Region:
        if row_index == 0 or not self.is_valid_row_index(row_index):
            return super()._get_row_region(row_index)
        first = super()._get_row_region(0)
        return first._replace(y=first.y + row_index)

    def _get_cell_region(self, coordinate: Coordinate) -> Region:
        if coordinate.row == 0 or not self.is_valid_coordinate(coordinate):
            return super()._get_cell_region(coordinate)
        first = super()._get_cell_region(Coordinate(0, coordinate.column))
        return first._replace(y=first.y + coordinate.row)

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: CellType, *,
                    update_width: bool = False) -> None:
        row_key = RowKey(row_key) if isinstance(row_key, str) else row_key
        column_key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        row_index = self._row_locations.get(row_key)
        if update_width or row_index is None or column_key not in self._column_locations:
            super().update_cell(row_key, column_key, value, update_width=update_width)
            return
        self._data[row_key][column_key] = value
        for cache, position, wanted in ((self._cell_render_cache, 0, row_key), (self._row_render_cache, 0, row_key),
                                        (self._row_renderable_cache, 1, row_index)):
            for key in [key for key in cache.keys() if key[position] == wanted]:
                cache.discard(key)
        self._line_cache.clear()  # keyed by screen line, and rebuilt from the rows' caches
        self.refresh_row(row_index)

    def get_line_filters(self):
        return already_visible(super().get_line_filters())  # its cells are made with `visible.cell`

    def on_resize(self, event: events.Resize) -> None:
        # A smaller table keeps the cursor's row on screen (DataTable keeps its scroll offset,
        # which could leave the highlighted row below the table's last line).
        if self.row_count:
            self.move_cursor(row=self.cursor_row, animate=False)

    def _render_line_in_row(self, row_key: RowKey, line_no: int, base_style: Style, cursor_location: Coordinate,
                            hover_location: Coordinate):
        # DataTable keys each rendered row on where the cursor and the mouse are, so moving the
        # cursor one row rendered every row on screen again. A row is drawn the same wherever the
        # cursor or the mouse is, as long as it is not on this row: those all share one key here.
        if self.cursor_type == "row":
            row_index = self._row_locations.get(row_key)
            row_index = -1 if row_index is None else row_index  # the header's, as DataTable has it
            cursor_location = Coordinate(row_index, 0) if cursor_location.row == row_index else _ELSEWHERE
            hover_location = Coordinate(row_index, 0) if hover_location.row == row_index else _ELSEWHERE
        return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)

    def _update_dimensions(self, new_rows) -> None:
        measured = []
        columns = self.ordered_columns
        for row_key in new_rows:
            row = self.rows.get(row_key)
            if row is None:
                continue
            if row.label is not None or row.auto_height or row.height != 1:
                measured.append(row_key)
                continue
            cells = self._data[row_key]
            for column in columns:
                width = _plain_width(cells.get(column.key))
                if width is None:
                    measured.append(row_key)
                    break
                column.content_width = max(column.content_width, width)
        super()._update_dimensions(measured)

    # Whatever changes which rows there are, or their order, starts a new version (the row count
    # alone misses a clear followed by as many new rows, and a sort).
    def add_row(self, *cells, **kwargs) -> RowKey:
        try:
            return super().add_row(*cells, **kwargs)
        finally:
            self._rows_version += 1

    def remove_row(self, row_key) -> None:
        try:
            super().remove_row(row_key)
        finally:
            self._rows_version += 1

    def clear(self, columns: bool = False):
        try:
            return super().clear(columns)
        finally:
            self._rows_version += 1

    def sort(self, *columns, **kwargs):
        try:
            return super().sort(*columns, **kwargs)
        finally:
            self._rows_version += 1


def _plain_width(value) -> int | None:
    """The width DataTable would measure for a one-line cell; None when only a measure can tell."""
    if isinstance(value, Text):
        text = value.plain
    elif isinstance(value, str) and "[" not in value:  # DataTable reads other strings as markup
        text = value
    else:
        return None
    return None if "\n" in text else cell_len(text)
