"""The panels drawn line by line (the sample under review, the benchmark detail), and the scroll
views whose scroll bars are settled before a frame or refreshed only when what they show changed."""

from __future__ import annotations

from textual.app import App
from textual.widgets import DataTable, Static

import os
from dataclasses import replace
from pathlib import Path

from asp_ft_tui.domain.benchmarks import Benchmark, Library
from asp_ft_tui.domain.samples import Sample
from asp_ft_tui.tui.widgets.benchmark_detail import BenchmarkDetail
from asp_ft_tui.tui.widgets.benchmark_tree import BenchmarkTree
from asp_ft_tui.tui.widgets.queue_table import QueueTable
from asp_ft_tui.tui.widgets.sample_view import SampleView


def sample(key: str, lines: int) -> Sample:
    answer = "\n".join(f"p({i}) :- q({i}), not r({i})." for i in range(lines))
    return Sample(key=key, benchmark_id="Puzzles/x", group="g", task="generator", slot="generator",
                  system="s", user="Write the rules.", answer=answer, context="", tone="Casual")


class Panel(App):
    CSS = "SampleView { height: 12; border: round red; padding: 0 1; scrollbar-gutter: stable; overflow-x: hidden; }"

    def compose(self):
        yield SampleView()


def shown(view: SampleView) -> list[str]:
    return [line.text for line in view.render_lines(view.region.reset_offset)]


async def test_a_long_sample_scrolls_and_the_next_one_starts_at_its_top():
    app = Panel()
    async with app.run_test(size=(70, 20)) as pilot:
        view = app.query_one(SampleView)
        view.show(sample("long", 40), "pending")
        await pilot.pause()
        rendered = view.text.splitlines()
        assert "p(39) :- q(39), not r(39)." in view.text
        assert view.virtual_size.height == len(rendered) > view.scrollable_content_region.height
        assert view.show_vertical_scrollbar and view.vertical_scrollbar.window_virtual_size == len(rendered)
        assert not any("p(39)" in line for line in shown(view)), "the end is below the panel"
        view.focus()
        await pilot.press("end")
        await pilot.pause()
        assert any("p(39)" in line for line in shown(view)), "scrolled to the end"
        assert view.scroll_offset.y == view.max_scroll_y > 0

        view.show(sample("short", 2), "approved")
        await pilot.pause()
        assert view.scroll_offset.y == 0 and view.virtual_size.height == len(view.text.splitlines())
        assert any("short" in line for line in shown(view)), "the next sample is shown from its top"
        assert not view.show_vertical_scrollbar

        view.show(None)
        await pilot.pause()
        assert view.sample is None and "No sample selected." in view.text


async def test_a_sample_shown_while_the_panel_has_no_width_is_drawn_when_it_has_one_again():
    app = Panel()
    async with app.run_test(size=(70, 20)) as pilot:
        view = app.query_one(SampleView)
        view.show(sample("first", 3), "pending")
        await pilot.pause()
        await pilot.resize_terminal(4, 20)  # no room for text inside the border and padding
        await pilot.pause()
        view.show(sample("second", 3), "approved")
        await pilot.pause()
        await pilot.resize_terminal(70, 20)
        await pilot.pause()
        assert view.text.splitlines()[0].startswith("second") and "first" not in view.text


async def test_wrapped_again_the_same_place_of_the_text_stays_in_view():
    app = Panel()
    async with app.run_test(size=(70, 20)) as pilot:
        view = app.query_one(SampleView)
        view.show(sample("long", 200), "pending")
        await pilot.pause()
        view.scroll_to(y=view.max_scroll_y, animate=False)
        await pilot.pause()
        for width in (30, 110, 50):
            await pilot.resize_terminal(width, 20)
            await pilot.pause()
            assert view.scroll_y == view.max_scroll_y > 0, "it was at the end: it stays there"
        answer = "\n".join(f"p({i}) :- q({i}), not r({i}), s({i}, a_long_constant_name), t({i})." for i in range(200))
        long = replace(sample("long lines", 0), answer=answer)
        view.show(long, "pending")
        await pilot.pause()
        lines = view.text.splitlines()
        view.scroll_to(y=next(n for n, line in enumerate(lines) if "p(100) :-" in line), animate=False)
        await pilot.pause()
        await pilot.resize_terminal(40, 20)  # each line wraps: the text is longer
        await pilot.pause()
        top = int(view.scroll_y)
        in_view = " ".join(view.text.splitlines()[top:top + view.scrollable_content_region.height])
        assert any(f"p({n})" in in_view for n in range(98, 103)), in_view


async def test_the_sample_is_wrapped_again_to_a_new_width():
    app = Panel()
    async with app.run_test(size=(70, 20)) as pilot:
        view = app.query_one(SampleView)
        view.show(sample("wide", 3), "pending")
        await pilot.pause()
        narrow = view.text.splitlines()
        assert {len(line) for line in narrow} == {view.scrollable_content_region.width}
        await pilot.resize_terminal(110, 20)
        await pilot.pause()
        wide = view.text.splitlines()
        assert {len(line) for line in wide} == {view.scrollable_content_region.width} != {len(narrow[0])}
        assert any("p(2) :- q(2), not r(2)." in line for line in shown(view))


async def test_another_theme_draws_the_sample_in_its_colours():
    app = Panel()
    async with app.run_test(size=(70, 20)) as pilot:
        view = app.query_one(SampleView)
        view.show(sample("themed", 3), "pending")
        await pilot.pause()
        dark = {segment.style.bgcolor for segment in view.render_line(0)}
        text = view.text
        app.theme = "textual-light"
        await pilot.pause()
        light = {segment.style.bgcolor for segment in view.render_line(0)}
        assert view.text == text and light != dark
        assert light == {view.rich_style.bgcolor}


class TwoTabs(App):
    CSS = "SampleView { height: 12; scrollbar-gutter: stable; overflow-x: hidden; }"

    def compose(self):
        from textual.widgets import Static, TabbedContent, TabPane

        with TabbedContent(initial="one"):
            with TabPane("one", id="one"):
                yield Static("the other tab")
            with TabPane("two", id="two"):
                yield SampleView()


async def test_a_panel_on_a_hidden_tab_is_drawn_with_what_it_was_given_meanwhile():
    from textual.widgets import TabbedContent

    app = TwoTabs()
    async with app.run_test(size=(70, 20)) as pilot:
        tabs, view = app.query_one(TabbedContent), app.query_one(SampleView)
        tabs.active = "two"
        await pilot.pause()
        view.show(sample("first", 3), "pending")
        await pilot.pause()
        dark = {segment.style.bgcolor for segment in view.render_line(0)}
        tabs.active = "one"
        await pilot.pause()
        view.show(sample("second", 3), "approved")  # while hidden
        app.theme = "textual-light"
        await pilot.pause()
        tabs.active = "two"
        await pilot.pause()
        assert "second" in view.text.splitlines()[0] and "approved" in view.text.splitlines()[0]
        light = {segment.style.bgcolor for segment in view.render_line(0)}
        assert light == {view.rich_style.bgcolor} != dark


class Tables(App):
    CSS = "DataTable { height: 8; }"

    def compose(self):
        yield DataTable(id="plain", cursor_type="row")
        yield QueueTable(id="queue", cursor_type="row")


async def test_a_layout_that_changes_nothing_leaves_the_queue_scroll_bar_alone():
    app = Tables()
    async with app.run_test(size=(60, 20)) as pilot:
        tables = [app.query_one("#plain", DataTable), app.query_one("#queue", QueueTable)]
        for table in tables:
            table.add_column("key", key="key")
            for i in range(40):
                table.add_row(f"row {i}", key=f"k{i}")
        await pilot.pause()
        refreshed = {table.id: 0 for table in tables}
        for table in tables:
            bar, real = table.vertical_scrollbar, table.vertical_scrollbar.refresh

            def counted(*args, _id=table.id, _real=real, **kwargs):
                refreshed[_id] += 1
                return _real(*args, **kwargs)

            bar.refresh = counted
        app.screen.refresh(layout=True)
        await pilot.pause()
        # Textual's DataTable refreshes its scroll bar at any layout: a frame of its own, after the one drawn
        assert refreshed == {"plain": 1, "queue": 0}
        for table in tables:
            for i in range(40, 80):
                table.add_row(f"row {i}", key=f"k{i}")
        await pilot.pause()
        assert refreshed["queue"] >= 1, "more rows: the scroll bar shows the new length"
        assert [t.vertical_scrollbar.window_virtual_size for t in tables] == [81, 81]
        assert tables[1].vertical_scrollbar.window_size == tables[0].vertical_scrollbar.window_size


def benchmark(bench_id: str, lines: int = 60) -> Benchmark:
    asp = "\n".join(f"fact({i})." for i in range(lines))
    return Benchmark(id=bench_id, path=Path("/nowhere") / bench_id, asp=asp, nl="Words.", ir=None,
                     asp_file=Path("/nowhere") / bench_id / "ASP.txt")


class Detail(App):
    CSS = "BenchmarkDetail { height: 10; scrollbar-gutter: stable; overflow-x: hidden; }"

    def compose(self):
        yield BenchmarkDetail()


async def test_the_same_benchmark_again_stays_where_it_was_read_another_starts_at_its_top():
    app = Detail()
    async with app.run_test(size=(70, 14)) as pilot:
        detail = app.query_one(BenchmarkDetail)
        first, second = benchmark("Puzzles/a"), benchmark("Puzzles/b")
        detail.show(first)
        await pilot.pause()
        detail.scroll_to(0, 20, animate=False)
        await pilot.pause()
        detail.show(first)  # newer counts for the benchmark being read
        await pilot.pause()
        assert detail.scroll_offset.y == 20
        assert "fact(59)." in detail.text and detail.content is not None
        detail.show(second)
        await pilot.pause()
        assert detail.scroll_offset.y == 0 and "Puzzles/b" in shown(detail)[1]


class TreeApp(App):
    CSS = "BenchmarkTree { height: 10; }"

    def compose(self):
        yield BenchmarkTree()


async def test_a_filled_tree_has_its_scroll_bar_before_the_frame_that_draws_it():
    app = TreeApp()
    async with app.run_test(size=(70, 14)) as pilot:
        tree = app.query_one(BenchmarkTree)
        await pilot.pause()
        library = Library(root=Path("/nowhere"), benchmarks=[benchmark(f"Puzzles/p{i}", 1) for i in range(40)])
        tree.show_library(library)
        # Known now, so the one layout that draws the tree places its scroll bar too.
        assert tree.show_vertical_scrollbar and tree.virtual_size.height == 41
        await pilot.pause()
        assert tree.vertical_scrollbar.window_virtual_size == 41
        tree.show_library(Library(root=Path("/nowhere"), benchmarks=[benchmark("Puzzles/p0", 1)]))
        assert not tree.show_vertical_scrollbar


class Queue(App):
    CSS = "QueueTable { height: 1fr; }"

    def compose(self):
        yield QueueTable(cursor_type="row")


async def test_the_cursor_row_stays_on_screen_when_the_queue_gets_smaller():
    app = Queue()
    async with app.run_test(size=(60, 40)) as pilot:
        table = app.query_one(QueueTable)
        table.add_column("key", key="key")
        for i in range(100):
            table.add_row(f"row {i}", key=f"k{i}")
        await pilot.pause()
        table.move_cursor(row=30, animate=False)
        await pilot.pause()
        await pilot.resize_terminal(60, 8)
        await pilot.pause()
        await pilot.pause()
        visible = table.scrollable_content_region.height - table.header_height
        assert table.scroll_offset.y <= table.cursor_row < table.scroll_offset.y + visible
        assert any("row 30" in table.render_line(y).text for y in range(table.size.height))


class LogApp(App):
    def compose(self):
        from asp_ft_tui.tui.logpane import LogView

        yield LogView()


async def test_log_lines_are_wrapped_to_the_tab_and_again_when_it_changes_width():
    from asp_ft_tui.tui.logpane import LogView

    app = LogApp()
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(LogView)
        log._waiting = None  # opened
        words = " ".join(f"word{i}" for i in range(40))
        log.add("first " + words)
        log.add("second line")
        await pilot.pause()
        width = log.scrollable_content_region.width
        narrow = [line.text.rstrip() for line in log.lines]
        assert max(len(line) for line in narrow) <= width < 78, "wrapped to the tab, not to 78 columns"
        await pilot.resize_terminal(120, 20)
        await pilot.pause()
        wide = [line.text.rstrip() for line in log.lines]
        assert len(wide) < len(narrow) and " ".join(wide).split() == " ".join(narrow).split()
        assert wide[-1] == "second line"


async def test_log_lines_that_came_while_the_tab_was_hidden_are_wrapped_to_it_when_shown():
    from textual.widgets import TabbedContent, TabPane

    from asp_ft_tui.tui.logpane import LogView

    class Tabs(App):
        def compose(self):
            with TabbedContent(initial="log"):
                with TabPane("log", id="log"):
                    yield LogView()
                with TabPane("other", id="other"):
                    yield Static("other")

    app = Tabs()
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(LogView)
        log._waiting = None  # opened
        log.add("a line while shown")
        await pilot.pause()
        app.query_one(TabbedContent).active = "other"
        await pilot.pause()
        log.add("hidden line of several words")
        await pilot.pause()
        app.query_one(TabbedContent).active = "log"
        await pilot.pause()
        await pilot.pause()
        shown = [line.text.rstrip() for line in log.lines]
        assert shown[-1] == "hidden line of several words", shown
        assert shown[0] == "a line while shown"


async def test_the_line_read_stays_in_view_when_only_part_of_the_text_wraps_again():
    app = Detail()
    async with app.run_test(size=(130, 14)) as pilot:
        detail = app.query_one(BenchmarkDetail)
        paragraph = " ".join(f"word{i}" for i in range(500))  # wraps more when narrower; the lines below do not
        bench = benchmark("Puzzles/mixed", 1)
        detail.show(replace(bench, nl=paragraph + "\n" + "\n".join(f"line {i} of the list" for i in range(200))))
        await pilot.pause()
        detail.scroll_to(y=next(n for n, line in enumerate(detail.text.splitlines()) if "line 100 of" in line),
                         animate=False)
        await pilot.pause()
        await pilot.resize_terminal(50, 14)
        await pilot.pause()
        top = int(detail.scroll_y)
        assert "line 100 of" in detail.text.splitlines()[top], detail.text.splitlines()[top]


async def test_the_line_read_stays_in_view_when_lines_start_alike_and_the_end_stays_the_end():
    app = Detail()
    async with app.run_test(size=(200, 14)) as pilot:
        detail = app.query_one(BenchmarkDetail)
        long = "\n".join(" ".join(f"w{i}x{j}" for j in range(60)) for i in range(100))
        alike = "\n".join(f"same words here N{i}" for i in range(300))
        detail.show(replace(benchmark("Puzzles/alike", 1), nl=long + "\n" + alike))
        await pilot.pause()
        detail.scroll_to(y=next(n for n, line in enumerate(detail.text.splitlines()) if "here N250" in line),
                         animate=False)
        await pilot.pause()
        await pilot.resize_terminal(60, 14)
        await pilot.pause()
        assert "same words here N250" in detail.text.splitlines()[int(detail.scroll_y)]
        detail.scroll_to(y=detail.max_scroll_y, animate=False)
        for width in (200, 80, 60):
            await pilot.resize_terminal(width, 14)
            await pilot.pause()
            assert detail.scroll_y == detail.max_scroll_y > 0, width


async def test_a_very_long_log_line_is_cut_and_pushes_no_other_line_out(tmp_path):
    from asp_ft_tui.tui.logpane import LINE_CHARS, LogView, tail

    app = LogApp()
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(LogView)
        log._waiting = None  # opened
        log.add("the first line")
        log.add("x" * 100_000)
        await pilot.pause()
        shown = [line.text.rstrip() for line in log.lines]
        assert shown[0] == "the first line" and "98,000 more characters in the log file" in " ".join(shown)
        assert sum(len(line) for line in shown) < LINE_CHARS + 200
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)
    assert tail(fifo) == []  # not a wait for a writer that never comes


def test_a_log_path_that_is_a_fifo_is_refused_with_a_warning_not_waited_on(tmp_path, monkeypatch, capsys):
    import logging

    from asp_ft_tui.logs import setup_logging

    monkeypatch.setenv("ASP_FT_HOME", str(tmp_path / "home"))
    path = setup_logging()  # makes the folder
    for handler in [h for h in logging.getLogger().handlers if getattr(h, "asp_ft_log", False)]:
        logging.getLogger().removeHandler(handler)
        handler.close()
    path.unlink()
    os.mkfifo(path)
    assert setup_logging() == path
    assert "is not a regular file" in capsys.readouterr().err
    assert not [h for h in logging.getLogger().handlers if getattr(h, "asp_ft_log", False)]
