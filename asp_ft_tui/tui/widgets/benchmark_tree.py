"""The benchmark tree: categories, groups with their variants beneath, problem folders, and per
benchmark its extraction state and review counts."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Span, Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from asp_ft_tui.domain.benchmarks import Benchmark, FolderProblem, Library
from asp_ft_tui.tui.plural import counted
from asp_ft_tui.tui.widgets.steady_scroll import SteadyScroll

NodeData = Benchmark | FolderProblem | None
STATUS_FILTERS = ("all", "not extracted", "needs review", "pending", "changed", "done", "problems")


def badge(summary, head: str = "") -> Text:
    """Extraction state and review counts of one benchmark, compact, after `head`."""
    if summary is None:
        return Text(head)
    parts: list[tuple[str, str]] = []
    if summary.extraction == "not extracted":
        parts.append(("not extracted", "dim"))
    elif summary.extraction == "failed":
        parts.append(("extraction failed", "red"))
    else:
        style = "green" if summary.components_valid == summary.components_total else "yellow"
        parts.append((f"{summary.components_valid}/{summary.components_total}", style))
        parts.append(("F" if summary.faithful == "faithful" else "F?" if summary.faithful != "not faithful" else "F!",
                      "green" if summary.faithful == "faithful" else "red"))
        c = summary.counts
        if summary.samples_built:
            parts.append((f"+{c['approved']}", "green"))
            parts.append((f"?{c['pending']}", "yellow" if c["pending"] else "dim"))
            parts.append((f"-{c['rejected']}", "red" if c["rejected"] else "dim"))
            if c["changed"]:
                parts.append((f"~{c['changed']}", "magenta"))
        else:
            parts.append(("no samples", "dim"))
    return _spaced(parts, head)


def _spaced(parts: list[tuple[str, str]], head: str = "") -> Text:
    """`head` then each part after a space, in its style: one Text built at once (a tree of
    1,000 benchmarks builds 1,000 of them at launch)."""
    text, spans, at = [head], [], len(head)
    for label, style in parts:
        text.append(" ")
        text.append(label)
        spans.append(Span(at + 1, at + 1 + len(label), style))
        at += 1 + len(label)
    return Text("".join(text), spans=spans)


def matches(summary, bench: Benchmark, text: str, status: str) -> bool:
    if text and text.lower() not in bench.id.lower():
        return False
    if status in ("all", "problems"):
        return status == "all"
    if summary is None:
        return False
    c = summary.counts
    return {
        "not extracted": summary.extraction in ("not extracted", "failed"),
        "needs review": summary.extraction == "needs review",
        "pending": c["pending"] > 0,
        "changed": c["changed"] > 0,
        "done": summary.samples_built and c["pending"] == 0 and c["changed"] == 0 and sum(c.values()) > 0,
    }[status]


class BenchmarkTree(SteadyScroll, Tree[NodeData]):
    """Shows a `Library`; node data is the Benchmark or FolderProblem a leaf stands for."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="tree.up"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__("Benchmarks", **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self._leaves: dict[str, TreeNode[NodeData]] = {}
        self._grouped: set[str] = set()

    _filling = False

    def _invalidate(self) -> None:
        # Tree starts its caches over and asks for a layout at each node added: once for the
        # whole library here (1,200 nodes at launch).
        if not self._filling:
            super()._invalidate()

    def show_library(self, library: Library, summaries: dict | None = None, *, text: str = "",
                     status: str = "all") -> None:
        self._filling = True
        try:
            self._fill(library, summaries or {}, text, status)
        finally:
            self._filling = False
        self._invalidate()
        # The tree's lines (reading their count builds them) and its scroll bars now: the frame that
        # draws the tree lays them out too. Made in that frame, they would each ask for another.
        if self.last_line >= 0:
            self.settle_scroll_bars()

    def _fill(self, library: Library, summaries: dict, text: str, status: str) -> None:
        self.clear()
        self._leaves = {}
        self._grouped = set()
        categories: dict[str, TreeNode[NodeData]] = {}
        shown = 0
        for members in library.groups().values():
            members = [b for b in members if matches(summaries.get(b.id), b, text, status)]
            if not members:
                continue
            shown += len(members)
            parent = self._category_node(categories, members[0].category)
            if len(members) == 1:
                self._leaves[members[0].id] = parent.add_leaf(self._label(members[0], summaries), data=members[0])
                continue
            variants = sum(1 for m in members if m.variant is not None)
            label = Text.assemble(members[0].base_name, "  ", ("+" + counted(variants, "variant"), "dim"))
            group_node = parent.add(label, data=None, expand=True)
            for bench in members:
                self._leaves[bench.id] = group_node.add_leaf(self._label(bench, summaries, True), data=bench)
                self._grouped.add(bench.id)
        problems = [p for p in library.problems if not text or text.lower() in p.id.lower()]
        if problems and status in ("all", "problems"):
            node = self.root.add(Text(f"Problems ({len(problems)})", style="bold red"), data=None, expand=True)
            for problem in problems:
                node.add_leaf(Text.assemble((problem.id, "red"), "  ", (problem.reason, "dim")), data=problem)
        counts = dict.fromkeys(categories, 0)
        for node in self._leaves.values():
            category = node.data.category
            if not category:
                counts[""] += 1
            while category:  # a benchmark counts in its category and every category above it
                counts[category] += 1
                category = category.rpartition("/")[0]
        for path, node in categories.items():
            node.set_label(Text.assemble((path.rsplit("/", 1)[-1] or "(uncategorised)", "bold"), "  ",
                                         (str(counts[path]), "dim")))
        self.root.expand()
        self.border_title = f"Benchmarks ({shown}/{len(library.benchmarks)})"
        self.border_subtitle = f"showing {status} (f)" if status != "all" else ""

    def update_benchmark(self, bench: Benchmark, summary) -> None:
        node = self._leaves.get(bench.id)
        if node is not None:
            node.data = bench
            node.set_label(self._label(bench, {bench.id: summary}, in_group=bench.id in self._grouped))

    def select_benchmark(self, benchmark_id: str) -> bool:
        node = self._leaves.get(benchmark_id)
        if node is None:
            return False
        self.call_after_refresh(self.move_cursor, node)
        return True

    def benchmarks_under(self, node: TreeNode[NodeData]) -> list[Benchmark]:
        """The benchmarks shown below a category or group row."""
        found = []
        for child in node.children:
            if isinstance(child.data, Benchmark):
                found.append(child.data)
            found += self.benchmarks_under(child)
        return found

    def node_of(self, benchmark_id: str | None) -> TreeNode[NodeData] | None:
        """The leaf of a benchmark shown, if it is."""
        return self._leaves.get(benchmark_id) if benchmark_id else None

    def _category_node(self, categories: dict[str, TreeNode[NodeData]], category: str) -> TreeNode[NodeData]:
        node = self.root
        path = ""
        for part in category.split("/") if category else [""]:
            path = f"{path}/{part}" if path else part
            if path not in categories:
                categories[path] = node.add(part or "(uncategorised)", data=None, expand=True)
            node = categories[path]
        return node

    def get_label_width(self, node: TreeNode[NodeData]) -> int:
        # What `render_label` would make, measured without making it: the tree asks for every
        # line's width each time it is built (1,200 lines at launch).
        if not node.allow_expand:
            return node.label.cell_len
        return node.label.cell_len + cell_len(self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE)

    def first_benchmark_node(self) -> TreeNode[NodeData] | None:
        return next((n for n in _walk(self.root) if isinstance(n.data, Benchmark)), None)

    def benchmark_count(self) -> int:
        """How many benchmark leaves the tree shows."""
        return len(self._leaves)

    @staticmethod
    def _label(bench: Benchmark, summaries: dict, in_group: bool = False) -> Text:
        name = f"variant {bench.variant}" if in_group and bench.variant is not None else bench.name
        return badge(summaries.get(bench.id), head=name + " ")


def _walk(node: TreeNode[NodeData]):
    for child in node.children:
        yield child
        yield from _walk(child)
