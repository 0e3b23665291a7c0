"""The result of evaluating a run: the comparison table (base vs adapter), and per sample the
reference | output side by side with clingo's diagnostics, like the repair-pair view."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from asp_ft_tui.evaluation.evaluate import table_rows
from asp_ft_tui.tui.visible import cell, excerpt, visible
from asp_ft_tui.tui.widgets.rendered_panel import RenderedPanel
from asp_ft_tui.tui.widgets.sample_view import shown_pair


class EvaluationScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="eval.back")]

    def __init__(self, run_name: str, summaries: list, folders: list[Path]) -> None:
        super().__init__()
        self.run_name, self.summaries, self.folders = run_name, summaries, folders
        self.samples: list[dict] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"clingo-scored answers of {self.run_name} (Escape: back)"), id="eval-title")
            yield DataTable(id="eval-summary", cursor_type="row")
            yield DataTable(id="eval-samples", cursor_type="row", zebra_stripes=True)
            yield RenderedPanel(id="eval-detail")
        yield Footer()

    def on_mount(self) -> None:
        header, rows = table_rows(self.summaries)
        summary = self.query_one("#eval-summary", DataTable)
        summary.add_columns(*header)
        for row in rows:
            summary.add_row(*map(cell, row))
        table = self.query_one("#eval-samples", DataTable)
        table.add_columns("model", "task", "valid", "exact", "semantic", "key")
        for summary_obj, folder in zip(self.summaries, self.folders):
            for line in (folder / "samples.jsonl").read_text(encoding="utf-8").splitlines():
                sample = {**json.loads(line), "model": summary_obj.label}
                verdict = sample["verdict"]
                self.samples.append(sample)
                table.add_row(*map(cell, (summary_obj.label, sample.get("task") or "?",
                                          "failed" if verdict["failure"] else ("yes" if verdict["valid"] else "no"),
                                          "yes" if verdict["exact"] else "no", str(verdict["semantic"]),
                                          sample.get("key") or "")))
        self.query_one("#eval-detail", RenderedPanel).show_content(
            Text("Select a sample to compare its output with the reference.", style="dim"))
        table.focus()

    @on(DataTable.RowHighlighted, "#eval-samples")
    def _show(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.samples):
            self.query_one("#eval-detail", RenderedPanel).show_content(detail(self.samples[event.cursor_row]))


def detail(sample: dict) -> Group:
    verdict = sample["verdict"]
    left, right = shown_pair(sample["reference"], sample["output"])
    sides = Table.grid(expand=True, padding=(0, 1))
    sides.add_column(ratio=1)
    sides.add_column(ratio=1)
    sides.add_row(Panel(left, title="reference", border_style="green"),
                  Panel(right, title=Text(visible(f"output ({sample['model']})")),
                        border_style="green" if verdict["valid"] else "red"))
    says = verdict["failure"] or verdict["error"] or "; ".join(verdict.get("notes") or []) or "no error"
    head = Text.assemble((visible(sample.get("key") or ""), "bold"), "  ", (visible(sample.get("task") or ""), "dim"))
    return Group(head, Panel(excerpt(sample["prompt"]), title="prompt", border_style="blue"), sides,
                 Panel(excerpt(says), title="clingo says", border_style="yellow"))
