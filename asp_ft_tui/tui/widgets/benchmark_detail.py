"""Read-only view of one benchmark: where it is, its description and its ASP program (a
RenderedPanel: the launch and each move of the tree's cursor draw it in one frame)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.console import Group
from rich.text import Text

from asp_ft_tui.domain.benchmarks import Benchmark, FolderProblem
from asp_ft_tui.tui.plural import counted
from asp_ft_tui.tui.visible import excerpt, visible
from asp_ft_tui.tui.widgets.rendered_panel import RenderedPanel


class BenchmarkDetail(RenderedPanel):
    item: Benchmark | FolderProblem | None = None

    def show(self, item: Benchmark | FolderProblem | None, summary=None, *,
             empty: str = "Select a benchmark to see its description and program.") -> None:
        """Show a benchmark (with its summary) or a problem folder; with None, the `empty` text."""
        top = item is not self.item  # the same benchmark again (newer counts) stays where it was read
        self.item = item
        if isinstance(item, Benchmark):
            parts = [
                Text(visible(item.id), style="bold"),
                Text(visible(f"category: {item.category or '(uncategorised)'}   group: {item.group}"), style="dim"),
            ]
            if summary is not None:
                parts.append(Text.assemble(
                    ("extraction: ", "dim"), summary.extraction,
                    "   ", ("components valid: ", "dim"), f"{summary.components_valid}/{summary.components_total}",
                    "   ", ("faithful: ", "dim"), summary.faithful or "-", "\n", _samples(summary.counts)))
                if summary.failure:
                    why = "why it failed: " if summary.extraction == "failed" else "the last extraction failed (the one before is kept): "
                    parts.append(Text.assemble((why, "bold red"), excerpt(summary.failure)))
            for name, text in (("NL.txt", item.nl), ("IR.txt", item.ir), (item.asp_file.name, item.asp)):
                if text is not None:
                    parts += [Text(f"\n{visible(name)}", style="bold underline"),
                              excerpt(text.strip() if name != item.asp_file.name else text.rstrip(),
                                      more=f"the whole file is in {visible(str(item.path))}")]
            self.show_content(Group(*parts), top=top)
        elif isinstance(item, FolderProblem):
            self.show_content(Group(Text(visible(item.id), style="bold red"), Text(visible(str(item.path)), style="dim"),
                                    Text(visible(item.reason))), top=top)
        else:
            self.show_content(Text(empty, style="dim"))

    def show_group(self, title: str, benchmarks: list[Benchmark], summaries: dict) -> None:
        """A category or a problem with its variants: how many benchmarks, their state, their samples."""
        self.item = None
        states = Counter(summaries[b.id].extraction if b.id in summaries else "not read" for b in benchmarks)
        counts = Counter()
        for bench in benchmarks:
            if bench.id in summaries:
                counts.update(summaries[bench.id].counts)
        self.show_content(Group(
            Text(visible(title), style="bold"),
            Text(f"{counted(len(benchmarks), 'benchmark')}: " + ", ".join(f"{n} {state}" for state, n in states.items()),
                 style="dim"),
            _samples(counts),
            Text("\nMove to one of its benchmarks to see its description and program.", style="dim")))

    def show_guide(self, benchmarks_dir: Path) -> None:
        """An empty workspace: how benchmarks are laid out, and where they go."""
        self.item = None
        layout = Text.assemble(
            f"{benchmarks_dir}/\n",
            "  Graph Problems/            ", ("a category: the folders above a benchmark\n", "dim"),
            "    clique/                  ", ("a benchmark: any folder with ASP.txt and NL.txt\n", "dim"),
            "      NL.txt                 ", ("the problem in words (or IR.txt)\n", "dim"),
            "      ASP.txt                ", ("its ASP program\n", "dim"),
            "    clique_variant_dense/    ", ("a variant of clique: <name>_variant_<x>,\n", "dim"),
            "      NL.txt                 ", ("  kept in the same split as clique\n", "dim"),
            "      ASP.txt\n")
        self.show_content(Group(
            Text("No benchmarks yet", style="bold"),
            Text(f"\nPut benchmark folders under {benchmarks_dir}, laid out like this:\n"),
            layout,
            Text.assemble("\nThen press ", ("ctrl+r", "bold"), " to read them. To start from the bundled examples, ",
                          "make a workspace with them: ", ("asp-ft init DIR", "bold"), " (then ",
                          ("asp-ft-tui DIR", "bold"), ").")))


def _samples(counts) -> Text:
    """The review counts of one benchmark or of several."""
    return Text.assemble(("samples: ", "dim"), (f"{counts['approved']} approved", "green"), ", ",
                         (f"{counts['pending']} pending", "yellow"), ", ", (f"{counts['rejected']} rejected", "red"),
                         ", ", (f"{counts['changed']} changed since review", "magenta"))
