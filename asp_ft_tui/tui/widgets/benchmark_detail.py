"""Read-only view of one benchmark: where it is, its description and its ASP program."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from asp_ft_tui.domain.benchmarks import Benchmark, FolderProblem


class BenchmarkDetail(Static):
    item: Benchmark | FolderProblem | None = None

    def show(self, item: Benchmark | FolderProblem | None) -> None:
        self.item = item
        if isinstance(item, Benchmark):
            parts = [
                Text(item.id, style="bold"),
                Text(f"category: {item.category or '(uncategorised)'}   group: {item.group}", style="dim"),
            ]
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
