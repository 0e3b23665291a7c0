"""The benchmark tree: categories, groups with their variants beneath, and problem folders."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from asp_ft_tui.domain.benchmarks import Benchmark, FolderProblem, Library

NodeData = Benchmark | FolderProblem | None


class BenchmarkTree(Tree[NodeData]):
    """Shows a `Library`; node data is the Benchmark or FolderProblem a leaf stands for."""

    def __init__(self, **kwargs) -> None:
        super().__init__("Benchmarks", **kwargs)
        self.show_root = False

    def show_library(self, library: Library) -> None:
        self.clear()
        categories: dict[str, TreeNode[NodeData]] = {}
        for group, members in library.groups().items():
            parent = self._category_node(categories, members[0].category)
            if len(members) == 1:
                parent.add_leaf(_bench_label(members[0]), data=members[0])
                continue
            variants = sum(1 for m in members if m.variant is not None)
            label = Text.assemble(members[0].base_name, (f"  +{variants} variants", "dim"))
            group_node = parent.add(label, data=None, expand=True)
            for bench in members:
                group_node.add_leaf(_bench_label(bench, in_group=True), data=bench)
        if library.problems:
            problems = self.root.add(
                Text(f"Problems ({len(library.problems)})", style="bold red"), data=None, expand=True
            )
            for problem in library.problems:
                problems.add_leaf(Text.assemble((problem.id, "red"), ("  " + problem.reason, "dim")), data=problem)
        for path, node in categories.items():
            count = sum(1 for b in library.benchmarks if b.category == path or b.category.startswith(path + "/"))
            node.set_label(Text.assemble((path.rsplit("/", 1)[-1] or "(uncategorised)", "bold"), (f"  {count}", "dim")))
        self.root.expand()

    def _category_node(self, categories: dict[str, TreeNode[NodeData]], category: str) -> TreeNode[NodeData]:
        node = self.root
        path = ""
        for part in category.split("/") if category else [""]:
            path = f"{path}/{part}" if path else part
            if path not in categories:
                categories[path] = node.add(part or "(uncategorised)", data=None, expand=True)
            node = categories[path]
        return node

    def first_benchmark_node(self) -> TreeNode[NodeData] | None:
        return next((n for n in _walk(self.root) if isinstance(n.data, Benchmark)), None)

    def benchmark_count(self) -> int:
        """How many benchmark leaves the tree shows."""
        return sum(1 for node in _walk(self.root) if isinstance(node.data, Benchmark))


def _walk(node: TreeNode[NodeData]):
    for child in node.children:
        yield child
        yield from _walk(child)


def _bench_label(bench: Benchmark, in_group: bool = False) -> Text:
    name = bench.name
    if in_group and bench.variant is not None:
        name = f"variant {bench.variant}"
    tags = " ".join(t for t, on in (("NL", bench.nl), ("IR", bench.ir), ("structure", bench.structure_file)) if on)
    return Text.assemble(name, (f"  {tags}", "dim"))
