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
    assert "1 benchmark folder has problems (see the tree)" in notices


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


TABS = ["benchmarks", "components", "review", "log", "training"]


async def _settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _typed(app) -> dict[str, str]:
    from textual.widgets import Input

    return {widget.id: widget.value for widget in app.query(Input)}


async def test_global_keys_work_whatever_has_the_focus(workspace):
    """Every focusable widget of every tab: a tab key switches the tab (and puts the focus in it),
    `?` shows help and Escape closes it, E opens the export question; nothing is typed anywhere.
    A text field keeps its keys for text: Escape hands the focus back to the list first."""
    from textual.widgets import Input

    app = make_app(workspace)
    app.animation_level = "none"  # the tab underline's slide would be waited for on every key
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(pilot)
        assert app.focused is app.query_one(BenchmarkTree), "the tree has the focus at launch"
        tabs = app.query_one("#tabs")
        for tab in TABS:  # a tab's widgets may be made only when it is first opened
            await pilot.press(str(TABS.index(tab) + 1))
            await _settle(pilot)
        typed = _typed(app)
        for tab in TABS:
            await pilot.press(str(TABS.index(tab) + 1))
            await _settle(pilot)
            # One of each kind in each place: the training form's twelve text fields behave alike.
            kinds = {(type(w), w.parent): w for w in reversed(app.screen.focus_chain)}
            widgets = list(kinds.values())
            assert len(widgets) >= 2, tab
            for k, widget in enumerate(widgets):
                # Its own tab's key and one other tab's, the next widget another one: each widget
                # is tried both ways, and the suite stays short on a busy machine.
                others = [t for t in TABS if t != tab]
                for target in (tab, others[k % len(others)]):
                    number = TABS.index(target) + 1
                    await pilot.press(str(TABS.index(tab) + 1))
                    widget.focus()
                    await pilot.pause()
                    assert app.focused is widget
                    if isinstance(widget, Input):
                        await pilot.press("escape")
                        assert not isinstance(app.focused, Input), f"escape leaves {widget.id}"
                    await pilot.press(str(number))
                    await pilot.pause()
                    where = f"{number} pressed on {widget!r} in {tab}"
                    assert tabs.active == target, where
                    assert app.focused is not None and tabs.active_pane in app.focused.ancestors_with_self, where
                    assert not isinstance(app.focused, Input), where
                await pilot.press(str(TABS.index(tab) + 1))
                widget.focus()
                await pilot.pause()
                if isinstance(widget, Input):
                    await pilot.press("escape")
                await pilot.press("question_mark")
                await pilot.pause()
                assert app.screen.query("HelpPanel"), f"? on {widget!r}"
                await pilot.press("escape")
                await pilot.pause()
                assert not app.screen.query("HelpPanel"), f"escape closes help on {widget!r}"
                await pilot.press("E")
                await pilot.pause()
                assert type(app.screen).__name__ == "ConfirmScreen", f"E on {widget!r}"
                await pilot.press("escape")
                await pilot.pause()
                assert _typed(app) == typed, f"nothing typed from {widget!r}"
        await pilot.press("1")
        assert tabs.active == "benchmarks"
        await pilot.press("q")
    assert app.return_code == 0


@pytest.mark.parametrize("box, target", [("#tree-filter", "#benchmark-tree"), ("#queue-text", "#queue-table")])
async def test_enter_and_escape_leave_a_filter_box(workspace, box, target):
    app = make_app(workspace)
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(pilot)
        await pilot.press("1" if box == "#tree-filter" else "3", "slash")
        await _settle(pilot)
        assert app.focused is app.query_one(box)
        await pilot.press("x", "enter")
        assert app.focused is app.query_one(target)
        assert app.query_one(box).value == "x"
        await pilot.press("slash", "escape")
        assert app.focused is app.query_one(target)
        await pilot.press("question_mark")
        assert app.screen.query("HelpPanel") and app.query_one(box).value == "x"
        await pilot.press("escape", "slash", "z", "escape")
        # The tree follows each keystroke; the queue applies on Enter, so Escape takes back what
        # was never applied: the box always shows what filters its list.
        assert app.query_one(box).value == ("z" if box == "#tree-filter" else "x")


@pytest.mark.parametrize("n, word, many, expected", [
    (0, "sample", None, "0 samples"), (1, "sample", None, "1 sample"), (2, "sample", None, "2 samples"),
    (1, "variant", None, "1 variant"), (3, "benchmark folder", None, "3 benchmark folders"),
    (1, "analysis", "analyses", "1 analysis"), (2, "analysis", "analyses", "2 analyses"),
])
def test_counts_read_as_words(n, word, many, expected):
    from asp_ft_tui.tui.plural import counted

    assert counted(n, word, many) == expected


async def test_a_group_with_one_variant_says_so(workspace):
    for name in ("solo", "solo_variant_b"):
        folder = workspace.benchmarks_dir / "Tiny" / name
        folder.mkdir(parents=True)
        (folder / "NL.txt").write_text("Pick one colour.")
        (folder / "ASP.txt").write_text("colour(red;blue). 1 { pick(C) : colour(C) } 1.\n")
    app = make_app(workspace)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        labels = [str(node.label) for node in _all_nodes(app.query_one(BenchmarkTree).root)]
    assert "solo  +1 variant" in labels


@pytest.mark.parametrize("first, second", [("5", "2"), ("2", "4"), ("5", "3"), ("3", "5"), ("5", "1")])
async def test_two_tab_keys_in_one_burst_end_on_the_second(workspace, first, second):
    """Keys typed fast arrive before the first tab's own messages (its focus, its activation),
    which used to take the tab back."""
    from textual import events
    from textual.widgets import TabbedContent

    names = {"1": "benchmarks", "2": "components", "3": "review", "4": "log", "5": "training"}
    app = make_app(workspace)
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(pilot)
        app.post_message(events.Key(first, first))
        app.post_message(events.Key(second, second))
        await _settle(pilot)
        await pilot.pause(0.6)
        await _settle(pilot)
        tabs = app.query_one(TabbedContent)
        assert tabs.active == names[second]
        assert tabs.get_pane(names[second]) in app.focused.ancestors_with_self


async def test_x_on_a_group_row_acts_on_no_hidden_benchmark(workspace):
    app = make_app(workspace)
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(pilot)
        tree = app.query_one(BenchmarkTree)
        group = next(n for n in _all_nodes(tree.root) if n.children and n.parent is not tree.root and
                     not isinstance(n.data, Benchmark))
        tree.move_cursor(group)
        await _settle(pilot)
        assert app.current_benchmark is None
        await pilot.press("x")
        await _settle(pilot)
        assert len(app.screen_stack) == 1  # no question about a benchmark nobody sees
        assert any("select a benchmark first" in str(n.message) for n in app._notifications)
