"""Read-only view of one benchmark: where it is, its description and its ASP program."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from asp_ft_tui.domain.benchmarks import Benchmark, FolderProblem


class BenchmarkDetail(Static):
    item: Benchmark | FolderProblem | None = None

    def show(self, item: Benchmark | FolderProblem | None, summary=None) -> None:
        self.item = item
        if isinstance(item, Benchmark):
            parts = [
                Text(item.id, style="bold"),
                Text(f"category: {item.category or '(uncategorised)'}   group: {item.group}", style="dim"),
            ]
            if summary is not None:
                c = summary.counts
                parts.append(Text.assemble(
                    ("extraction: ", "dim"), summary.extraction,
                    "   ", ("components valid: ", "dim"), f"{summary.components_valid}/{summary.components_total}",
                    "   ", ("faithful: ", "dim"), summary.faithful or "-",
                    "\n", ("samples: ", "dim"), (f"{c['approved']} approved", "green"), ", ",
                    (f"{c['pending']} pending", "yellow"), ", ", (f"{c['rejected']} rejected", "red"), ", ",
                    (f"{c['changed']} changed since review", "magenta")))
            if item.nl is not None:
                parts += [Text("\nNL.txt", style="bold underline"), Text(item.nl.strip())]
            if item.ir is not None:
                parts += [Text("\nIR.txt", style="bold underline"), Text(item.ir.strip())]
            parts += [Text(f"\n{item.asp_file.name}", style="bold underline"), Text(item.asp.rstrip())]
            self.update(Group(*parts))
        elif isinstance(item, FolderProblem):
            self.update(Group(Text(item.id, style="bold red"), Text(str(item.path), style="dim"), Text(item.reason)))
        else:
            self.update(Text("Select a benchmark to see its description and program.", style="dim"))
