"""The app shell, driven by Textual's pilot."""

from __future__ import annotations

import pytest

from asp_ft_tui.domain.benchmarks import Benchmark, discover
from asp_ft_tui.tui.app import make_app
from asp_ft_tui.tui.widgets.benchmark_detail import BenchmarkDetail
from asp_ft_tui.tui.widgets.benchmark_tree import BenchmarkTree


async def _until_the_cursor_is_on_a_benchmark(pilot, tree) -> None:
    """The tree moves its cursor after the refresh that shows it: wait for that, not for a clock."""
    for _ in range(1200):  # a guard against a hang only
        node = tree.cursor_node
        if node is not None and isinstance(node.data, Benchmark):
            return
        await pilot.pause(0.05)
    pytest.fail("the tree never put its cursor on a benchmark")


async def test_lists_every_benchmark_and_quits_cleanly(workspace):
    app = make_app(workspace)
    async with app.run_test(size=(100, 32)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.query_one(BenchmarkTree)
        await _until_the_cursor_is_on_a_benchmark(pilot, tree)
        assert tree.benchmark_count() == len(discover(workspace.benchmarks_dir).benchmarks) >= 18
        assert isinstance(tree.cursor_node.data, Benchmark)
        assert app.query_one(BenchmarkDetail).item is tree.cursor_node.data
        await pilot.press("down", "down")
        assert app.query_one(BenchmarkDetail).item is tree.cursor_node.data
        await pilot.press("q")
    assert app.return_code == 0


async def test_problem_folders_show_with_their_reason(workspace):
    bad = workspace.benchmarks_dir / "Broken" / "only_nl"
    bad.mkdir(parents=True)
    (bad / "NL.txt").write_text("words")
    app = make_app(workspace)
    notices = []
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        notices = [n.message for n in app._notifications]
        tree = app.query_one(BenchmarkTree)
        labels = [str(node.label) for node in _all_nodes(tree.root)]
    assert any("Broken/only_nl" in label and "no ASP.txt" in label for label in labels)
    assert any("have problems" in n for n in notices)


def _all_nodes(node):
    for child in node.children:
        yield child
        yield from _all_nodes(child)


async def test_demo_workspace_is_announced_on_screen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("demo workspace" in n.message for n in app._notifications)
        assert app.query_one(BenchmarkTree).benchmark_count() >= 18


async def test_help_key_toggles_the_help_panel(workspace):
    app = make_app(workspace)
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        assert app.screen.query("HelpPanel")
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")
