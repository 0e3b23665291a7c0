"""What editing does, and what the reviewer sees of it: the answer editor's save and save-and-approve,
a refused save quoting clingo, every tone of a description in the Components tab, and the Log tab
opening with the end of the log file. Driven by Textual's pilot on real clingo and real files."""

from __future__ import annotations

import logging
import os

import pytest
from textual.notifications import Notification
from textual.widgets import ListView, RichLog

from asp_ft_tui import paths
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.domain.tones import TONES
from asp_ft_tui.tui.app import make_app
from asp_ft_tui.tui.logpane import TAIL_LINES, log_file, tail
from asp_ft_tui.tui.screens.editor import EditorScreen
from asp_ft_tui.tui.widgets.queue import ReviewQueue
from asp_ft_tui.tui.widgets.sample_view import SampleView
from asp_ft_tui.workspace import copy_benchmark_inputs, init_workspace

from test_tui import engine, offline, settle, small_workspace  # noqa: F401  (fixtures and helpers)


@pytest.fixture
def ws(tmp_path, engine):  # noqa: F811
    return small_workspace(tmp_path / "ws", engine)


def _notices(messages) -> list[str]:
    return [m.notification.message for m in messages if isinstance(getattr(m, "notification", None), Notification)]


async def _open_editor(pilot, app) -> tuple[str, EditorScreen]:
    await settle(pilot, app)
    await pilot.press("3")
    await settle(pilot, app)
    key = app.query_one(ReviewQueue).current
    assert key is not None
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(app.screen, EditorScreen)
    return key, app.screen


async def test_save_keeps_the_edit_pending_and_a_later_approve_takes_it(ws, engine):  # noqa: F811
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        key, editor = await _open_editor(pilot, app)
        answer = app.session.sample(key).answer
        editor.query_one("TextArea").text = answer + "\n% kept by a reviewer"
        await pilot.press("ctrl+s")  # at once: the save waits for clingo's answer on this text
        await settle(pilot, app)
        assert app.screen is not editor
        decision = app.session.store.decision(key)
        assert decision.status == "pending" and decision.edit.endswith("% kept by a reviewer")
        assert app.session.status_of(app.session.rows[key]) == "pending"
        assert app.query_one(ReviewQueue).current == key, "a save stays on the sample"
        assert "(edited)" in app.query_one(SampleView).text
        await pilot.press("a")
        await settle(pilot, app)
        decision = app.session.store.decision(key)
        assert decision.status == "approved" and decision.edit.endswith("% kept by a reviewer")


async def test_save_and_approve_and_a_refused_save_quotes_clingo(ws, engine):  # noqa: F811
    messages = []
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36), message_hook=messages.append) as pilot:
        key, editor = await _open_editor(pilot, app)
        editor.query_one("TextArea").text = "this is :- not clingo"
        await pilot.press("ctrl+o")
        await settle(pilot, app)
        assert app.screen is editor, "code clingo rejects is not saved"
        assert app.session.store.decision(key) is None
        refusal = [n for n in _notices(messages) if n.startswith("clingo rejects the answer: ")]
        assert refusal and "1:6: error: syntax error" in refusal[-1], _notices(messages)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is editor and app.session.store.decision(key) is None
        editor.query_one("TextArea").text = app.session.sample(key).answer + "\n% checked"
        await pilot.press("ctrl+o")
        await settle(pilot, app)
        assert app.screen is not editor
        decision = app.session.store.decision(key)
        assert decision.status == "approved" and decision.edit.endswith("% checked")
        assert app.query_one(ReviewQueue).current != key, "save and approve moves on, like approve"


async def test_the_component_editor_offers_no_approve(ws, engine):  # noqa: F811
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        app.query_one("#component-list", ListView).index = 1
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        offered = {b.binding.action for b in editor.active_bindings.values() if b.enabled}
        assert "save(False)" in offered and "save(True)" not in offered
        assert "structure.json" in _text(editor.query_one("#editor-explain"))
        await pilot.press("ctrl+o")
        await settle(pilot, app)
        assert app.screen is editor, "nothing to approve here"


def _text(widget) -> str:
    return "\n".join(line.text for line in widget.render_lines(widget.region.reset_offset))


async def test_components_tab_shows_every_tone_of_each_description(tmp_path, engine):  # noqa: F811
    from asp_ft_tui.extraction import Extractor, Settings, run_extraction
    from asp_ft_tui.prompts import load_prompts
    from asp_ft_tui.teachers.structural import StructuralTeacher

    ws = init_workspace(tmp_path / "ws", with_samples=False)
    for rel in ("Puzzles/sudoku_4x4", "Graph Problems/clique"):
        copy_benchmark_inputs(paths.bundled_benchmarks() / rel, ws.benchmarks_dir / rel)
    benches = {b.id: b for b in discover(ws.benchmarks_dir).benchmarks}
    extractor = Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings(all_tones=True))
    run_extraction(extractor, [benches["Puzzles/sudoku_4x4"]])
    run_extraction(Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings()),
                   [benches["Graph Problems/clique"]])
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(160, 100)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        for bench_id, expected in (("Puzzles/sudoku_4x4", TONES), ("Graph Problems/clique", None)):
            app.query_one("BenchmarkTree").select_benchmark(bench_id)
            await settle(pilot, app)
            items = app.query_one("#component-list", ListView).children
            header, generator = _item_text(items[0]), _item_text(items[2])
            assert "generator" in generator
            labelled = [tone for tone in TONES if f"{tone}: " in generator]
            if expected:
                assert labelled == list(TONES) and f"{', '.join(TONES)} (5 of 5, template tones)" in header
                assert "the other tones" not in header
            else:
                assert len(labelled) == 1 and f"{labelled[0]} (1 of 5, template tones)" in header
                assert "the other tones: choose all five tones in Settings" in header


def _item_text(item) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    console.print(item.query_one("Static").content)
    return console.export_text()


def test_tail_reads_only_the_end_of_a_large_file(tmp_path):
    path = tmp_path / "big.log"
    path.write_text("".join(f"line {i} " + "x" * 100 + "\n" for i in range(5000)), encoding="utf-8")
    lines = tail(path)
    assert len(lines) == TAIL_LINES and lines[-1].startswith("line 4999 ") and lines[0].startswith(f"line {5000 - TAIL_LINES} ")
    assert tail(tmp_path / "missing.log") == []
    short = tmp_path / "short.log"
    short.write_bytes(b"first\nsecond \xff\n")
    assert tail(short) == ["first", "second \ufffd"]


async def test_log_tab_opens_with_the_end_of_the_log_file(ws, engine, monkeypatch):  # noqa: F811
    secret = "sk-editor-test-secret-0123456789"
    path = log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"2026-01-01 10:00:{i % 60:02d},000 1 INFO asp_ft_tui.convert: earlier line {i}" for i in range(250)]
    lines.append(f"2026-01-01 10:05:00,000 1 ERROR asp_ft_tui.teachers.gemini: echoed {secret}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("GEMINI_API_KEY", secret)
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot, app)
        # This session's lines reach the tab as they are logged, and the file too: the file's end
        # shown stops where this session began, so none is shown twice.
        with path.open("a", encoding="utf-8") as handle:
            handle.write("2026-01-01 10:06:00,000 1 INFO asp_ft_tui.x: written by this session\n")
        logging.getLogger("asp_ft_tui.test").warning("a line of this session")
        await pilot.press("4")
        await settle(pilot, app)
        shown = [line.text for line in app.query_one("#log-view", RichLog).lines]
        assert not any("written by this session" in line for line in shown)
        assert sum("a line of this session" in line for line in shown) == 1
        assert any("earlier line 249" in line for line in shown)
        assert not any("earlier line 50" in line for line in shown), "only the last lines"
        assert any("echoed [redacted]" in line for line in shown) and not any(secret in line for line in shown)
        assert any(str(path) in line for line in shown), "the tab says where the whole file is"


def test_a_saved_edit_travels_with_approvals_from_the_command_line_and_bulk(ws, engine):  # noqa: F811
    from asp_ft_tui.cli import main
    from asp_ft_tui.review import ReviewError, ReviewSession

    with ReviewSession.open(ws) as session:
        first, second = [r.key for r in session.rows_of("Graph Problems/clique") if r.task == "hard"][:2]
        for key in (first, second):
            session.save_edit(key, session.sample(key).answer + "\n% saved", engine)
        with pytest.raises(ReviewError, match=r"^clingo rejects the answer: 1:\d+: error: "):
            session.save_edit(first, "p(X) :- .", engine)
    assert main(["review", "approve", "-w", str(ws.root), first]) == 0
    with ReviewSession.open(ws) as session:
        assert session.bulk_approve("Graph Problems/clique") > 0
        for key in (first, second):
            decision = session.store.decision(key)
            assert decision.status == "approved" and decision.edit.endswith("% saved")


def test_review_show_says_a_saved_edit_waits_for_approval(ws, engine, capsys):  # noqa: F811
    from asp_ft_tui.cli import main
    from asp_ft_tui.review import ReviewSession

    with ReviewSession.open(ws) as session:
        key = next(r.key for r in session.rows_of("Puzzles/sudoku_4x4") if r.task == "generator")
        session.save_edit(key, session.sample(key).answer + "\n% saved", engine)
    capsys.readouterr()
    assert main(["review", "show", "-w", str(ws.root), key]) == 0
    assert "--- assistant (reviewer's edit, saved, used once approved) ---" in capsys.readouterr().out
    assert main(["review", "approve", "-w", str(ws.root), key]) == 0
    assert main(["review", "show", "-w", str(ws.root), key]) == 0
    assert "--- assistant (reviewer's edit, used instead) ---\n" in capsys.readouterr().out


async def test_components_tab_names_an_imported_structure_and_its_flagged_description(tmp_path, engine):  # noqa: F811
    import json

    ws = init_workspace(tmp_path / "ws", with_samples=False)
    rel = "Graph Problems/clique"
    copy_benchmark_inputs(paths.bundled_benchmarks() / rel, ws.benchmarks_dir / rel)
    from asp_ft_tui.asp.deconstruct import deconstruct

    parts = deconstruct(discover(ws.benchmarks_dir).benchmarks[0].asp)
    foreign = {"instance_template": "\n".join(s.text for s in parts.instance),
               "generator": "\n".join(s.text for s in parts.generator),
               "hard_constraints": [{"description": "Friendly version: team members know each other.",
                                     "asp_rule": c.code} for c in parts.hard],
               "soft_constraints": [], "global_objective": ""}
    (ws.benchmarks_dir / rel / "structure.json").write_text(json.dumps(foreign))
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(160, 100)) as pilot:
        await settle(pilot, app)  # the app imports the foreign structure before building
        await pilot.press("2")
        app.query_one("BenchmarkTree").select_benchmark(rel)
        await settle(pilot, app)
        items = app.query_one("#component-list", ListView).children
        assert "external (another pipeline's structure.json, imported)" in _item_text(items[0])
        hard = next(_item_text(item) for item in items[1:] if "hard/0" in _item_text(item))
        assert "needs review: the description starts with what looks like a tone label" in hard


async def test_the_editor_says_when_the_text_holds_control_characters_it_cannot_show(ws, engine):  # noqa: F811
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        key, editor = await _open_editor(pilot, app)
        await settle(pilot, app)
        assert "control character" not in str(editor.query_one("#editor-status").render())
        editor.query_one("TextArea").text += "\n% a comment with \x1b]52;c;cGF5bG9hZA==\x07 in it"
        for _ in range(200):  # the check runs once typing has paused, in a worker: until it has answered
            await pilot.pause(0.1)
            if "control" in str(editor.query_one("#editor-status").render()):
                break
        assert "the text holds 2 control characters, not shown here" in str(editor.query_one("#editor-status").render())


async def test_an_edited_text_is_not_lost_to_one_escape(ws, engine):  # noqa: F811
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 36)) as pilot:
        key, editor = await _open_editor(pilot, app)
        await pilot.press("escape")  # nothing edited: one escape closes it
        await pilot.pause()
        assert app.screen is not editor
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.query_one("TextArea").text += "\n% a change"
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is editor, "the first escape warns"
        assert any("escape again discards the edit" in n.message for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not editor and app.session.store.decision(key) is None


async def test_the_editor_checks_and_closes_text_with_other_line_ends(ws, engine):  # noqa: F811
    from textual.app import App

    class Host(App):
        def on_mount(self):
            self.push_screen(EditorScreen("t", "a.\x0cb.\r\nc.\u2028d.\n", "", engine, require_valid=True,
                                          explain="x"))

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        editor = app.screen
        for _ in range(200):  # the first check, in a worker
            await pilot.pause(0.1)
            if "checking" not in str(editor.query_one("#editor-status").render()):
                break
        assert "clingo: valid" in str(editor.query_one("#editor-status").render())
        await pilot.press("escape")  # nothing was edited: no warning, it closes
        await pilot.pause()
        assert app.screen is not editor and not app._notifications
