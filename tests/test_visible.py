"""Text the app did not write is drawn safely: no control character reaches the terminal, and a
huge file or sample is shown from its start with a note, not rendered whole."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import Static

from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.samples import Sample
from asp_ft_tui.tui.app import NO_CONTROL_CODES, make_app
from asp_ft_tui.tui.visible import MAX_LINES, controls_in, cut, excerpt, visible
from asp_ft_tui.tui.widgets.benchmark_detail import BenchmarkDetail
from asp_ft_tui.tui.widgets.sample_view import DIFF_CHARS, CHANGED, SampleView, highlighted_pair

CLEAR_SCREEN = "\x1b[2J\x1b[H"


def test_control_characters_are_shown_as_their_pictures():
    assert visible(f"a{CLEAR_SCREEN}b\x07\x7f\x9bc\td\ne") == "a␛[2J␛[Hb␇␡\ufffdc\td\ne"
    assert visible("größe 日本語 \u00a0 ok") == "größe 日本語 \u00a0 ok"
    assert visible("abc\u202edef\u2066g\u2028h") == "abc\ufffddef\ufffdg\ufffdh"  # they reorder or break lines
    assert controls_in(f"a{CLEAR_SCREEN}\u202eb\tc\n") == 3 and controls_in("plain\ttext\n") == 0


def test_a_long_text_is_cut_with_a_note_of_what_is_left_out():
    text = "\n".join(f"fact({i})." for i in range(5000))
    head, note = cut(text)
    assert head.count("\n") == MAX_LINES - 1 and head.startswith("fact(0).")
    assert note == f"... {5000 - MAX_LINES:,} more lines ({len(text) - len(head):,} characters) not shown"
    assert cut(text + "\n")[1] == note.replace(f"({len(text) - len(head):,}", f"({len(text) - len(head) + 1:,}")
    assert cut("short\ntext") == ("short\ntext", "")
    exactly = "".join(f"fact({i}).\n" for i in range(MAX_LINES))  # every line shown: no note
    assert cut(exactly) == (exactly, "")
    assert cut(exactly + "x")[1] == "... 1 more line (2 characters) not shown"
    one_line = "x" * 300_000
    head, note = cut(one_line)
    assert len(head) == 100_000 and "200,000 characters" in note
    shown = excerpt(text, more="the whole file is in /x")
    assert shown.plain.endswith("not shown; the whole file is in /x")


def test_a_pair_is_compared_only_where_it_differs():
    broken = "".join(f"edge({i},{i + 1}).\n" for i in range(20_000))
    fixed = broken.replace("edge(9000,9001).", "edge(9000,9001)", 1)
    left, right = highlighted_pair(broken, fixed)  # 300,000 characters: SequenceMatcher alone took minutes
    assert left.plain == broken and right.plain == fixed
    marked = [left.plain[span.start:span.end] for span in left.spans if span.style == CHANGED[0]]
    assert marked == ["."]
    left, right = highlighted_pair("x" + "a" * DIFF_CHARS + "y.", "x" + "b" * DIFF_CHARS + "z.")
    assert [left.plain[s.start:s.end] for s in left.spans] == ["a" * DIFF_CHARS + "y"]  # one block
    assert [right.plain[s.start:s.end] for s in right.spans] == ["b" * DIFF_CHARS + "z"]
    left, right = highlighted_pair("p(X) :- q(X)\x1b.", "p(X) :- q(X).")
    assert "\x1b" not in left.plain and "␛" in left.plain


def big_benchmark() -> Benchmark:
    asp = "".join(f"edge({i},{i + 1}).\n" for i in range(100_000))
    nl = f"Find a path.{CLEAR_SCREEN}Really."
    return Benchmark(id="Graphs/huge", path=Path("/nowhere/Graphs/huge"), asp=asp, nl=nl, ir=None,
                     asp_file=Path("/nowhere/Graphs/huge/ASP.txt"))


class Panels(App):
    CSS = "BenchmarkDetail, SampleView { height: 10; scrollbar-gutter: stable; overflow-x: hidden; }"

    def compose(self):
        yield BenchmarkDetail()
        yield SampleView()
        yield Static(f"raw{CLEAR_SCREEN}te\u202ext", id="raw")

    def get_line_filters(self):
        return [*super().get_line_filters(), NO_CONTROL_CODES]  # as the app's (checked below)


async def test_huge_and_hostile_benchmark_text_is_drawn_safely_and_from_its_start():
    app = Panels()
    async with app.run_test(size=(100, 30)) as pilot:
        detail = app.query_one(BenchmarkDetail)
        bench = big_benchmark()
        detail.show(bench)
        await pilot.pause()
        assert "Find a path.␛[2J␛[HReally." in detail.text
        assert "edge(999,1000)." in detail.text and "edge(1000,1001)." not in detail.text
        assert "99,000 more lines" in detail.text and "the whole file is in /nowhere/Graphs/huge" in detail.text
        assert detail.virtual_size.height < MAX_LINES + 50
        view = app.query_one(SampleView)
        view.show(Sample(key="Graphs/huge::instance", benchmark_id=bench.id, group="g", task="instance",
                         slot="instance", system="s", user=bench.nl, answer=bench.asp, context=""), "pending")
        await pilot.pause()
        assert "␛[2J" in view.text and "more lines" in view.text and "e shows all of the answer" in view.text
        # Whatever a widget holds, what is drawn has no control character.
        raw = app.query_one("#raw")
        drawn = "".join(strip.text for strip in raw.render_lines(raw.region.reset_offset))
        assert "rawtext" in drawn.replace("[2J[H", "") and "\x1b" not in drawn and "\u202e" not in drawn
        for widget in (detail, view):
            assert not any("\x1b" in strip.text for strip in widget.render_lines(widget.region.reset_offset))


def test_the_app_draws_through_the_filter(tmp_path):
    from asp_ft_tui.workspace import init_workspace

    app = make_app(init_workspace(tmp_path / "ws", with_samples=False))
    assert NO_CONTROL_CODES in app.get_line_filters()


def test_an_evaluated_sample_is_shown_from_its_start_and_safely():
    from rich.console import Console

    from asp_ft_tui.tui.screens.evaluation import detail

    huge = "".join(f"edge({i},{i + 1}).\n" for i in range(100_000))
    sample = {"key": f"k{CLEAR_SCREEN}", "task": "instance", "prompt": f"Write it.{CLEAR_SCREEN}", "model": "adapter",
              "reference": huge, "output": huge.replace("edge(5,6).", "edge(5,6)", 1),
              "verdict": {"valid": False, "failure": "", "error": "1:1: error: syntax error", "notes": []}}
    console = Console(width=120, record=True, file=open("/dev/null", "w"))
    console.print(detail(sample))
    text = console.export_text()
    assert "more lines" in text and "edge(999,1000)." in text and "edge(1000,1001)." not in text
    assert "\x1b" not in text and "␛[2J" in text
    assert len(text.splitlines()) < MAX_LINES + 50


async def test_the_evaluation_screen_shows_keys_and_names_as_written(tmp_path):
    import json

    from textual.widgets import DataTable

    from asp_ft_tui.evaluation.evaluate import Summary
    from asp_ft_tui.tui.screens.evaluation import EvaluationScreen

    folder = tmp_path / "adapter"
    folder.mkdir()
    key = "Puzzles/a[/b]::instance::[red]x"  # a folder `a[` holding `b]`: DataTable read it as markup
    verdict = {"valid": True, "exact": False, "semantic": "equal", "failure": "", "error": "", "notes": []}
    (folder / "samples.jsonl").write_text(json.dumps({"key": key, "task": "instance", "prompt": "p",
                                                      "reference": "a.", "output": "a.", "verdict": verdict}) + "\n")
    counts = {"all": {"n": 1, "valid": 1, "exact": 0, "semantic": 1, "inconclusive": 0, "repair": 0, "failed": 0}}

    class Host(App):
        def on_mount(self):
            self.push_screen(EvaluationScreen("run [/x]", [Summary("adapter [/y]", counts)], [folder]))

    app = Host()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#eval-samples", DataTable)
        assert table.get_row_at(0)[-1].plain == key and app.screen.query_one("#eval-summary").row_count == 1
