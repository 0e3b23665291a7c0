"""The curation app driven by Textual's pilot: extraction, review keys, restart, cancel."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading

import pytest

from asp_ft_tui import paths
from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.review import ReviewSession
from asp_ft_tui.tui.app import make_app
from asp_ft_tui.tui.widgets.benchmark_tree import BenchmarkTree
from asp_ft_tui.tui.widgets.queue import ReviewQueue
from asp_ft_tui.workspace import copy_benchmark_inputs, init_workspace

PICKED = ["Graph Problems/clique", "Puzzles/sudoku_4x4", "Planning and Configuration/knapsack"]
LATER = "Scheduling/meeting_room_booking"


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def small_workspace(root, engine, extracted=PICKED):
    from asp_ft_tui.extraction import Extractor, Settings, run_extraction
    from asp_ft_tui.prompts import load_prompts
    from asp_ft_tui.teachers.structural import StructuralTeacher

    ws = init_workspace(root, with_samples=False)
    for rel in [*PICKED, LATER]:
        copy_benchmark_inputs(paths.bundled_benchmarks() / rel, ws.benchmarks_dir / rel)
    benches = [b for b in discover(ws.benchmarks_dir).benchmarks if b.id in extracted]
    run_extraction(Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings()), benches)
    with ReviewSession.open(ws) as session:
        session.build([b.id for b in benches], engine)
    return ws


async def settle(pilot, app):
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def review_tab(pilot, app) -> ReviewQueue:
    """The app read, its Review tab open: the queue."""
    await settle(pilot, app)
    await pilot.press("3")
    await settle(pilot, app)
    return app.query_one(ReviewQueue)


@pytest.fixture
def ws(tmp_path, engine):
    return small_workspace(tmp_path / "ws", engine)


async def test_review_keys_and_restart_returns_to_the_same_place(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        queue = await review_tab(pilot, app)
        first = queue.current
        assert first is not None
        await pilot.press("a")
        assert app.session.store.decision(first).status == "approved"
        second = queue.current
        assert second != first
        await pilot.press("r")
        assert app.session.store.decision(second).status == "rejected"
        await pilot.press("u")
        assert app.session.store.decision(second) is None and queue.current == second
        clique = app.session.summaries["Graph Problems/clique"]
        assert clique.counts["approved"] == 1
        await pilot.press("j", "j")
        position = queue.current
        await pilot.pause(0.7)
        await pilot.press("q")
    again = make_app(ws, engine=engine)
    async with again.run_test(size=(120, 36)) as pilot:
        await settle(pilot, again)
        assert again.query_one("#tabs").active == "review"
        assert again.query_one(ReviewQueue).current == position
        assert again.session.store.decision(first).status == "approved"


async def test_a_held_key_on_the_last_sample_is_one_decision_and_one_undo_takes_it_back(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        queue = await review_tab(pilot, app)
        last = queue.keys[-1]
        queue.move_to(last)
        await pilot.pause()
        await pilot.press("a", "a", "a", "a")
        assert queue.current == last and app.session.store.decision(last).status == "approved"
        await pilot.press("u")
        assert app.session.store.decision(last) is None, "one undo takes the one decision back"
        await pilot.press("r", "r", "r", "u")
        assert app.session.store.decision(last) is None


async def test_a_tree_filter_that_leaves_nothing_says_so_beside_it(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"nomatchxyz", "enter")
        await settle(pilot, app)
        assert app.query_one(BenchmarkTree).benchmark_count() == 0 and app.current_benchmark is None
        assert app.query_one("#detail").text.startswith("No benchmark matches the filters")


async def test_home_and_end_go_to_the_first_and_the_last_sample(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        queue = await review_tab(pilot, app)
        await pilot.press("end")
        await pilot.pause()
        assert queue.current == queue.keys[-1] and app.query_one("#sample").sample.key == queue.keys[-1]
        await pilot.press("home")
        await pilot.pause()
        assert queue.current == queue.keys[0]


async def test_an_edit_that_breaks_the_code_cannot_be_approved(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("3")
        await settle(pilot, app)
        key = app.query_one(ReviewQueue).current
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        editor.query_one("TextArea").text = "this is :- not clingo"
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is editor, "an invalid edit is refused"
        assert app.session.store.decision(key) is None
        sample = app.session.sample(key)
        editor.query_one("TextArea").text = sample.answer + "\n% checked by a reviewer"
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+o")  # save and approve (ctrl+s only saves)
        await settle(pilot, app)
        decision = app.session.store.decision(key)
        assert decision.status == "approved" and decision.edit.endswith("% checked by a reviewer")


async def test_extract_a_benchmark_with_the_structural_teacher(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.query_one(BenchmarkTree)
        assert app.session.summaries[LATER].extraction == "not extracted"
        assert tree.select_benchmark(LATER)
        await pilot.pause()
        assert app.current_benchmark.id == LATER
        await pilot.press("x")
        await settle(pilot, app)
        summary = app.session.summaries[LATER]
        assert summary.extraction == "extracted" and summary.samples_built
        assert summary.components_valid == summary.components_total > 0
        assert summary.counts["pending"] > 0
        assert any("extraction finished" in n.message for n in app._notifications)


async def test_bulk_approve_asks_first(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.query_one(BenchmarkTree).select_benchmark("Graph Problems/clique")
        await pilot.pause()
        await pilot.press("B")
        await pilot.pause()
        await pilot.press("escape")
        assert app.session.summaries["Graph Problems/clique"].counts["approved"] == 0
        await pilot.press("B")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        counts = app.session.summaries["Graph Problems/clique"].counts
        assert counts["approved"] > 0 and counts["pending"] == 0


async def test_keys_are_answered_during_a_long_extraction_and_cancel_works(tmp_path, engine, monkeypatch):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "bench"))
    from synth import make_workspace

    from asp_ft_tui.teachers.structural import StructuralTeacher

    real_extract = StructuralTeacher.extract
    gate = threading.Event()
    calls = itertools.count()

    def thoughtful(self, bench, tone, prompts):
        # A teacher that takes its time, like a real one: after two answers it waits for the
        # test, so the extraction is certainly still running while the keys are pressed.
        if next(calls) >= 2:
            gate.wait(60)
        return real_extract(self, bench, tone, prompts)

    monkeypatch.setattr(StructuralTeacher, "extract", thoughtful)
    ws = make_workspace(tmp_path / "big", 120, seed=4)
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("X")
        await pilot.pause()
        running = [w for w in app.workers if w.group == "extract" and w.is_running]
        assert running, "the extraction runs in a worker"
        await pilot.press("3")
        await pilot.pause()
        assert app.query_one("#tabs").active == "review"
        assert running[0].is_running, "the key was answered while the extraction went on"
        await pilot.press("c")
        gate.set()
        await settle(pilot, app)
        extracted = sum(1 for s in app.session.summaries.values() if s.extraction != "not extracted")
        assert 0 < extracted < 120
        assert any("extraction cancelled" in n.message for n in app._notifications)


def test_starting_the_app_imports_no_heavy_module(ws):
    probe = (
        "import asyncio, sys\n"
        "from asp_ft_tui.tui.app import make_app\n"
        "async def run():\n"
        "    app = make_app(sys.argv[1])\n"
        "    async with app.run_test() as pilot:\n"
        "        for _ in range(3):\n"
        "            await app.workers.wait_for_complete(); await pilot.pause()\n"
        "        assert app.query_one('BenchmarkTree').benchmark_count() == 4\n"
        "        await pilot.press('3'); await app.workers.wait_for_complete(); await pilot.pause()\n"
        "asyncio.run(run())\n"
        "heavy = [m for m in ('mlx', 'mlx_lm', 'transformers', 'google.genai') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(ws.root)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("HEAVY:")


async def test_edit_a_component_and_its_reviewed_sample_shows_changed(ws, engine):
    import json

    from textual.widgets import ListView

    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.query_one(BenchmarkTree).select_benchmark("Graph Problems/clique")
        await pilot.pause()
        key = next(k for k in app.session.rows if k.startswith("Graph Problems/clique::generator::"))
        app.session.decide(key, "approved")
        await pilot.press("2")
        await settle(pilot, app)
        components = app.query_one("#component-list", ListView)
        slots = [getattr(item, "slot", None) for item in components.children]
        components.index = slots.index("generator")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        original = editor.query_one("TextArea").text
        editor.query_one("TextArea").text = original + "\n% reviewed: one team only"
        await pilot.pause(0.5)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        structure = json.loads((ws.benchmarks_dir / "Graph Problems/clique/structure.json").read_text())
        assert structure["generator"].endswith("% reviewed: one team only")
        assert app.session.status_of(app.session.rows[key]) == "changed"
        assert app.session.summaries["Graph Problems/clique"].counts["changed"] >= 1


async def test_export_from_the_app_and_rescan_keeps_the_writer(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert not app.session.store.readonly
        await pilot.press("E")
        await pilot.pause()
        app.screen.query_one("#choice-1").press()  # approved + pending
        await settle(pilot, app)
        assert (ws.data_dir / "train.jsonl").exists()
        assert any("exported" in n.message for n in app._notifications)


async def test_a_read_only_session_greys_out_decisions(ws, engine):
    from asp_ft_tui.store import CurationStore

    with CurationStore.for_workspace(ws):
        app = make_app(ws, engine=engine)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            assert app.session.store.readonly
            await pilot.press("3")
            await settle(pilot, app)
            said = sum(1 for n in app._notifications if n.message.startswith("read-only"))
            await pilot.press("u", "a", "B")
            await pilot.pause()
            assert app.session.store.decisions() == {}
            # A tab's greyed key says why when pressed, like the app's own keys.
            assert sum(1 for n in app._notifications if n.message.startswith("read-only")) > said
            assert app.is_running


async def test_the_mlx_teacher_takes_its_model_from_the_environment(ws, engine, tmp_path, monkeypatch):
    from asp_ft_tui.training.tiny_model import make_tiny_model

    monkeypatch.setenv("ASP_FT_MLX_MODEL", str(make_tiny_model(tmp_path / "tiny")))
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.query_one(BenchmarkTree).select_benchmark(LATER)
        await pilot.pause()
        await pilot.press("T", "T")
        assert app.teacher == "mlx"
        teacher_runs = []
        real = app.extract

        def spy(teacher, benches, force):
            teacher_runs.append((teacher.name, teacher.model))
            teacher.max_tokens = 8
            return real(teacher, benches, force)

        monkeypatch.setattr(app, "extract", spy)
        await pilot.press("x")
        await settle(pilot, app)
        assert teacher_runs == [("mlx", str(tmp_path / "tiny"))]
        summary = app.session.summaries[LATER]
        assert summary.extraction == "failed" and summary.failure
        # The reason is on screen beside the benchmark, not only in the Log tab.
        detail = app.query_one("#detail").text.replace("\n", " ")
        assert "why it failed: " in detail and " ".join(summary.failure.split()[:4]) in " ".join(detail.split())


async def test_the_progress_row_shows_above_the_footer(ws, engine):
    from textual.widgets import Footer

    app = make_app(ws, engine=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.post_message(app.Progress(1, 3, "extracting with structural"))
        await pilot.pause()
        work, bar, footer = app.query_one("#work"), app.query_one("#work-bar"), app.query_one(Footer)
        assert work.display and bar.region.height == 1
        assert work.region.bottom <= footer.region.y, "the footer does not cover the progress bar"
        assert app.screen.get_widget_at(bar.region.x, bar.region.y)[0] is not footer


async def test_filters_are_on_screen_and_come_back_after_a_restart(ws, engine):
    from asp_ft_tui.tui.widgets.sample_view import SampleView

    app = make_app(ws, engine=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("f", "f", "f")  # the tree: not extracted, needs review, then pending
        tree = app.query_one(BenchmarkTree)
        assert tree.border_subtitle == "showing pending (f)"
        await pilot.press("3", "t")
        await settle(pilot, app)
        queue = app.query_one(ReviewQueue)
        line = str(app.query_one("#queue-filters").render())
        assert "task instance" in line and "status all" in line
        assert f"{len(queue.keys)} samples" in line
        assert app.query_one(SampleView).sample.key == queue.current
        await pilot.press("f", "f")  # approved: none yet, so the panel empties
        await settle(pilot, app)
        assert queue.keys == [] and app.query_one(SampleView).sample is None
        assert "No sample matches the filters above" in app.query_one(SampleView).text
        assert str(app.query_one("#queue-filters").render()).startswith("0 samples  status approved")
        await pilot.pause(0.7)
        await pilot.press("q")
    again = make_app(ws, engine=engine)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot, again)
        line = str(again.query_one("#queue-filters").render())
        assert "status approved" in line and "task instance" in line
        assert again.query_one(BenchmarkTree).border_subtitle == "showing pending (f)"


async def test_text_filters_come_back_after_a_restart(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"sudo", "enter")  # the tree filters as one types
        await settle(pilot, app)
        assert app.query_one(BenchmarkTree).benchmark_count() == 1
        await pilot.press("3", "slash", *"hard", "enter")  # the queue's applies on Enter
        await settle(pilot, app)
        hard = list(app.query_one(ReviewQueue).keys)
        assert hard and all("hard" in key for key in hard) and len(hard) < len(app.session.rows)
        await pilot.press("slash", *"xyz", "escape")  # typed, never applied: not remembered
        await pilot.pause(0.7)
        await pilot.press("q")
    again = make_app(ws, engine=engine)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot, again)
        assert again.query_one("#tree-filter").value == "sudo"
        assert [n.data.id for n in again.query_one(BenchmarkTree)._leaves.values()] == ["Puzzles/sudoku_4x4"]
        assert again.query_one("#queue-text").value == "hard"
        assert list(again.query_one(ReviewQueue).keys) == hard, "the queue opens filtered as it was left"


async def test_find_in_an_empty_workspace_says_there_is_nothing_to_filter(tmp_path, engine):
    messages = []
    app = make_app(init_workspace(tmp_path / "empty", with_samples=False), engine=engine)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused is None or app.focused.id != "tree-filter"
        assert any("no benchmarks to filter" in str(m.notification.message) for m in messages
                   if type(m).__name__ == "Notify")
        await pilot.press("q")


async def test_the_sample_panel_follows_the_filters(ws, engine):
    """A filter that keeps the cursor on the same row number raises no highlight of its own."""
    from asp_ft_tui.tui.widgets.sample_view import SampleView

    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        queue = await review_tab(pilot, app)
        approved = queue.keys[5]
        app.session.decide(approved, "approved")
        await pilot.press("f", "f")  # pending, then approved: one sample, on row 0 like before
        await settle(pilot, app)
        assert queue.keys == [approved]
        assert app.query_one(SampleView).sample.key == approved
        assert str(app.query_one("#queue-filters").render()).startswith("1 sample ")


async def test_approve_moves_to_the_next_row_without_skipping(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        queue = await review_tab(pilot, app)
        rows = list(queue.keys[:4])
        for _ in range(3):
            await pilot.press("a")
        await settle(pilot, app)
        assert [app.session.store.decision(k) and app.session.store.decision(k).status for k in rows] == \
            ["approved", "approved", "approved", None]
        assert queue.current == rows[3]


FOOTER = {
    "benchmarks": {"x", "X", "T", "f", "/", "B"},
    "components": {"e", "x", "X", "T"},
    "review": {"a", "r", "e", "u", "f", "t", "b", "/", "B", "E"},
    "training": {"s", "S", "R", "F", "V", "D"},
}


async def test_the_footer_shows_the_focused_tabs_keys_in_80_columns(ws, engine):
    from textual.widgets import Footer

    app = make_app(ws, engine=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        for number, tab in enumerate(["benchmarks", "components", "review", "log", "training"], start=1):
            await pilot.press(str(number))
            await settle(pilot, app)
            footer = app.query_one(Footer)
            keys = {key.key_display for key in footer.query("FooterKey")}
            others = set().union(*FOOTER.values()) - FOOTER.get(tab, set())
            assert FOOTER.get(tab, set()) | {"?"} <= keys, tab
            assert not (keys - {"?", "^s"}) & others, f"{tab} shows another tab's keys: {keys}"
            assert max(part.region.right for part in footer.query("FooterKey, FooterLabel")) <= 80, tab


async def test_a_training_field_says_how_to_get_the_tabs_keys_back(ws, engine):
    from textual.widgets import Footer

    app = make_app(ws, engine=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        app.query_one("#train-iters").focus()
        await settle(pilot, app)
        shown = [(key.key_display, key.description) for key in app.query_one(Footer).query("FooterKey")]
        assert ("esc", "Back to the runs (then s trains)") in shown, shown
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.focused.id == "train-runs"
        assert "s" in {key.key_display for key in app.query_one(Footer).query("FooterKey")}


async def test_b_on_an_empty_list_says_what_it_needs(ws, engine):
    messages = []
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        await pilot.press("3", "f", "f")  # approved: none yet
        await settle(pilot, app)
        assert app.query_one(ReviewQueue).keys == []
        await pilot.press("b")
        await settle(pilot, app)
        assert app.query_one(ReviewQueue).benchmark_filter is None
        assert any("no sample is selected" in str(m.notification.message) for m in messages
                   if type(m).__name__ == "Notify")


async def test_an_empty_workspace_shows_how_to_add_benchmarks(tmp_path, engine):
    import io

    from rich.console import Console

    ws = init_workspace(tmp_path / "empty", with_samples=False)
    assert not any(ws.benchmarks_dir.iterdir())
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert not app.query_one("#tree-side").display
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(app.query_one("#detail").content)
        guide = console.export_text()
        for words in ("No benchmarks yet", str(ws.benchmarks_dir), "NL.txt", "ASP.txt", "clique_variant_dense/",
                      "<name>_variant_<x>", "asp-ft init DIR", "ctrl+r"):
            assert words in guide, words
        assert app.focused is app.query_one("#detail")
        await pilot.press("3")
        assert app.query_one("#tabs").active == "review"
        await settle(pilot, app)
        assert "No samples yet. On the Benchmarks tab (1), x extracts" in app.query_one("#sample").text
        copy_benchmark_inputs(paths.bundled_benchmarks() / LATER, ws.benchmarks_dir / LATER)
        await pilot.press("1", "ctrl+r")
        await settle(pilot, app)
        assert app.query_one("#tree-side").display and app.query_one(BenchmarkTree).benchmark_count() == 1


async def test_the_export_question_answers_to_the_arrow_keys(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("E")
        await pilot.pause()
        assert app.focused.id == "choice-0"
        await pilot.press("right")
        assert app.focused.id == "choice-1"
        await pilot.press("right", "left", "left")
        assert app.focused.id == "choice-0"
        await pilot.press("right", "enter")  # approved + pending
        await settle(pilot, app)
        assert (ws.data_dir / "train.jsonl").exists()


async def test_the_trees_quick_label_widths_are_the_rendered_ones(tmp_path, engine):
    """`BenchmarkTree.get_label_width` measures without rendering: it must agree with Textual's
    own (rendered) measure on every line, groups, variants, collapsed and problem rows too."""
    from textual.widgets import Tree

    ws = init_workspace(tmp_path / "all")
    (ws.benchmarks_dir / "Broken" / "empty").mkdir(parents=True)
    (ws.benchmarks_dir / "Broken" / "empty" / "NL.txt").write_text("")
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.query_one(BenchmarkTree)
        tree.root.children[0].collapse()
        await pilot.pause()
        lines = tree._tree_lines
        assert len(lines) > 20 and any(line.node.allow_expand and not line.node.is_expanded for line in lines)
        assert [tree.get_label_width(line.node) for line in lines] == \
            [Tree.get_label_width(tree, line.node) for line in lines]


async def test_a_benchmark_named_like_markup_is_shown_as_written(tmp_path, engine):
    """Folder names are the user's: `[b]` and `[@click=...]` are text in the tree, the queue and the
    sample panel, never styles or actions."""
    from asp_ft_tui.tui.widgets.sample_view import SampleView

    name = "[b]odd [@click=app.quit]name"
    ws = init_workspace(tmp_path / "ws", with_samples=False)
    copy_benchmark_inputs(paths.bundled_benchmarks() / "Puzzles" / "sudoku_4x4", ws.benchmarks_dir / "Puzzles" / name)
    benches = discover(ws.benchmarks_dir).benchmarks
    from asp_ft_tui.extraction import Extractor, Settings, run_extraction
    from asp_ft_tui.prompts import load_prompts
    from asp_ft_tui.teachers.structural import StructuralTeacher

    run_extraction(Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings()), benches)
    with ReviewSession.open(ws) as session:
        session.build([b.id for b in benches], engine)
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert name in app.query_one(BenchmarkTree)._leaves[f"Puzzles/{name}"].label.plain
        await pilot.press("3")
        await settle(pilot, app)
        table = app.query_one("#queue-table")
        first = app.query_one(ReviewQueue).keys[0]
        assert table.get_cell(first, "benchmark").plain == f"Puzzles/{name}"
        assert app.query_one(SampleView).sample.benchmark_id == f"Puzzles/{name}"
        await pilot.press("a")
        await settle(pilot, app)
        assert app.is_running
        await pilot.press("1", "x")  # extracted already: the app asks first, naming it
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ConfirmScreen"
        assert name in str(app.screen.query_one("#confirm-question").content)
        await pilot.press("escape")


async def test_a_notice_quoting_brackets_is_plain_text(ws, engine):
    messages = []
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        app.report_failure("reading odd[/x] and [@click=app.quit]here", OSError("no [bold]such[/] file"))
        await pilot.pause(0.3)
        assert app.is_running
        shown = [m.notification for m in messages if type(m).__name__ == "Notify"]
        assert shown and "[/x]" in shown[-1].message and not shown[-1].markup


async def test_the_components_tab_opens_on_the_first_component(ws, engine):
    from asp_ft_tui.tui.widgets.components import ComponentItem, ComponentsPane

    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.query_one(BenchmarkTree).select_benchmark("Graph Problems/clique")
        await pilot.press("2")
        await settle(pilot, app)
        assert isinstance(app.query_one("#component-list").highlighted_child, ComponentItem)
        assert app.query_one(ComponentsPane).selected_slot() == "instance"


async def test_review_opened_before_the_workspace_is_read_fills_in(ws, engine, monkeypatch):
    import threading

    from asp_ft_tui import review

    gate = threading.Event()
    real = review.ReviewSession.open.__func__

    def slow_open(cls, *args, **kwargs):
        gate.wait(10)  # the workspace is still being read when 3 is pressed
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(review.ReviewSession, "open", classmethod(slow_open))
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("3")
        assert app.session is None and app.query_one("#tabs").active == "review"
        gate.set()
        await settle(pilot, app)
        await pilot.pause(0.3)
        assert app.query_one("#tabs").active == "review"
        assert app.query_one(ReviewQueue).keys, "the queue lists the samples once they are read"


async def test_the_benchmark_detail_follows_decisions_made_in_review(ws, engine):
    from asp_ft_tui.tui.widgets.benchmark_detail import BenchmarkDetail

    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        bench = app.current_benchmark.id
        await pilot.press("3", "b")  # this benchmark's samples only
        await settle(pilot, app)
        await pilot.press("a", "a")
        await settle(pilot, app)
        await pilot.press("1")
        await settle(pilot, app)
        assert app.current_benchmark.id == bench
        detail = app.query_one(BenchmarkDetail)
        shown = "\n".join(part.plain for part in detail.content.renderables)
        assert "2 approved" in shown
        assert "2 approved" in detail.text, "drawn, not only kept: the panel was on a hidden tab"


async def test_a_category_row_shows_what_it_holds(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.query_one(BenchmarkTree)
        category = next(node for node in tree.root.children if "Puzzles" in node.label.plain)
        tree.move_cursor(category)
        await settle(pilot, app)
        shown = app.query_one("#detail").text
        assert shown.startswith("Puzzles") and "1 benchmark: 1 extracted" in shown
        assert "pending" in shown and "Move to one of its benchmarks" in shown
        assert app.current_benchmark is None
