"""Workspace settings: the file (asp-ft.yaml), the Settings screen (key and palette), the
environment's overrides, the headless commands' defaults, and `x` asking before it spends or
replaces anything."""

from __future__ import annotations

import json

import pytest
from fake_gemini import FakeGemini, echo_key
from textual.command import CommandList
from textual.widgets import Input, Select, Static

from asp_ft_tui import paths
from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.cli import main as cli_main
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.settings import WorkspaceSettings, load_settings, resolve, save_settings, settings_path
from asp_ft_tui.tui.app import make_app
from asp_ft_tui.tui.screens.confirm import ConfirmScreen
from asp_ft_tui.tui.screens.settings import SettingsScreen
from asp_ft_tui.tui.widgets.benchmark_tree import BenchmarkTree
from asp_ft_tui.workspace import copy_benchmark_inputs, init_workspace

DONE = "Puzzles/sudoku_4x4"
FRESH = "Graph Problems/clique"
KEY = "AIzaSy-settings-test-key-0077"


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "ASP_FT_GEMINI_MODEL", "ASP_FT_MLX_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ws(tmp_path, engine):
    """Two benchmarks: DONE extracted by the structural teacher, FRESH not extracted."""
    from asp_ft_tui.extraction import Extractor, run_extraction
    from asp_ft_tui.prompts import load_prompts
    from asp_ft_tui.teachers.structural import StructuralTeacher

    workspace = init_workspace(tmp_path / "ws", with_samples=False)
    for rel in (DONE, FRESH):
        copy_benchmark_inputs(paths.bundled_benchmarks() / rel, workspace.benchmarks_dir / rel)
    done = [b for b in discover(workspace.benchmarks_dir).benchmarks if b.id == DONE]
    run_extraction(Extractor(StructuralTeacher(engine), engine, load_prompts()), done)
    return workspace


async def settle(pilot, app):
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot, condition, what: str):
    for _ in range(400):  # a guard against a hang only
        if condition():
            return
        await pilot.pause(0.05)
    pytest.fail(f"never: {what}")


async def on_benchmark(pilot, app, bench_id: str) -> None:
    await settle(pilot, app)
    assert app.query_one(BenchmarkTree).select_benchmark(bench_id)
    await until(pilot, lambda: app.current_benchmark is not None and app.current_benchmark.id == bench_id,
                f"the cursor on {bench_id}")


def shown(app) -> list[str]:
    return [n.message for n in app._notifications]


# -- the file ------------------------------------------------------------------------------------
def test_settings_round_trip_and_never_hold_the_api_key(tmp_path, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    chosen = WorkspaceSettings(teacher="gemini", gemini_model="gemini-x", all_tones=True, repair_rounds=5,
                               concurrency=2)
    path = save_settings(tmp_path, chosen)
    assert path == tmp_path / "asp-ft.yaml"
    assert load_settings(tmp_path) == (chosen, [])
    assert KEY not in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["asp-ft.yaml"], "no temporary file is left"


def test_a_bad_value_is_named_and_the_others_are_kept(tmp_path):
    settings_path(tmp_path).write_text("teacher: gpt-9\nrepair_rounds: lots\nconcurrency: 3\ncolour: blue\n")
    settings, problems = load_settings(tmp_path)
    assert settings == WorkspaceSettings(concurrency=3)
    assert len(problems) == 3 and all(str(settings_path(tmp_path)) in p for p in problems)
    assert any("teacher: 'gpt-9' is not one of structural, gemini, mlx" in p for p in problems)
    assert any("repair_rounds: 'lots' is not a whole number from 0 to 10" in p for p in problems)
    assert any("unknown setting 'colour'" in p for p in problems)
    settings_path(tmp_path).write_text("teacher: [structural\n")
    assert load_settings(tmp_path)[1] == [f"{settings_path(tmp_path)}: not valid YAML at line 2; using the defaults"]


def test_flags_win_over_the_environment_which_wins_over_the_file(monkeypatch):
    settings = WorkspaceSettings(teacher="gemini", gemini_model="from-file", repair_rounds=1)
    assert resolve(settings).model == "from-file"
    monkeypatch.setenv("ASP_FT_GEMINI_MODEL", "from-env")
    assert resolve(settings).model == "from-env"
    assert resolve(settings, model="from-flag", repair_rounds=4).model == "from-flag"
    assert resolve(settings, teacher="structural").teacher == "structural"
    assert resolve(WorkspaceSettings()).teacher == "structural"
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    assert resolve(WorkspaceSettings()).teacher == "gemini", "no setting: the API key decides, as before"


# -- the screen ----------------------------------------------------------------------------------
async def test_settings_screen_by_key_saves_and_a_restart_shows_them_back(ws, engine, tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen), "the settings screen")
        screen = app.screen
        assert screen.query_one("#api-key", Static).content.startswith("Gemini API key: not set")
        screen.query_one("#teacher", Select).value = "mlx"
        screen.query_one("#mlx_model", Input).value = str(model_dir)
        screen.query_one("#all_tones", Select).value = True
        screen.query_one("#repair_rounds", Input).value = "lots"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen, "a bad value is refused on the screen"
        assert "Repair rounds: a whole number from 0 to 10" in str(screen.query_one("#settings-error", Static).content)
        screen.query_one("#repair_rounds", Input).value = "5"
        screen.query_one("#concurrency", Input).value = "2"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, SettingsScreen), "the screen closes")
        assert any(m.startswith("settings saved to") for m in shown(app))
        await pilot.press("q")
    saved = WorkspaceSettings(teacher="mlx", mlx_model=str(model_dir), all_tones=True, repair_rounds=5, concurrency=2)
    assert load_settings(ws.root) == (saved, [])
    again = make_app(ws, engine=engine)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot, again)
        assert again.workspace_settings == saved and again.teacher == "mlx"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(again.screen, SettingsScreen), "the settings screen")
        screen = again.screen
        assert screen.query_one("#teacher", Select).value == "mlx"
        assert screen.query_one("#mlx_model", Input).value == str(model_dir)
        assert screen.query_one("#all_tones", Select).value is True
        assert screen.query_one("#repair_rounds", Input).value == "5"
        assert screen.query_one("#concurrency", Input).value == "2"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(again.screen, SettingsScreen)


async def test_settings_screen_from_the_command_palette(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Settings")
        await until(pilot, lambda: bool(app.screen.query(CommandList)) and app.screen.query_one(CommandList).option_count,
                    "the palette lists a match")
        matches = app.screen.query_one(CommandList)
        assert str(matches.get_option_at_index(0).prompt).startswith("Settings")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen), "the settings screen")


async def test_the_environment_override_is_shown_and_wins(ws, engine, monkeypatch):
    with FakeGemini() as fake:
        fake.default(echo_key(400))
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        monkeypatch.setenv("ASP_FT_GEMINI_BASE_URL", fake.base_url)
        monkeypatch.setenv("ASP_FT_GEMINI_MODEL", "gemini-from-env")
        save_settings(ws.root, WorkspaceSettings(teacher="gemini", gemini_model="gemini-from-file"))
        app = make_app(ws, engine=engine)
        async with app.run_test(size=(120, 40)) as pilot:
            await on_benchmark(pilot, app, FRESH)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, SettingsScreen), "the settings screen")
            screen = app.screen
            assert screen.query_one("#gemini_model", Input).value == "gemini-from-file"
            override = str(screen.query_one("#gemini_model-override", Static).content)
            assert "ASP_FT_GEMINI_MODEL=gemini-from-env" in override
            assert str(screen.query_one("#api-key", Static).content).startswith("Gemini API key: set (GEMINI_API_KEY)")
            assert KEY not in str(screen.query_one("#api-key", Static).content)
            assert not screen.query("#mlx_model-override")
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
            assert "gemini-from-env" in app.screen.question and "gemini-from-file" not in app.screen.question
            await pilot.press("y")
            await settle(pilot, app)
            assert fake.count() >= 1 and {r.model for r in fake.requests} == {"gemini-from-env"}
    assert KEY not in settings_path(ws.root).read_text()


async def test_a_bad_settings_file_gives_a_message_and_the_app_runs(ws, engine):
    settings_path(ws.root).write_text("teacher: gpt-9\nrepair_rounds: 2\n")
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        message = next(m for m in shown(app) if "asp-ft.yaml" in m)
        assert "teacher: 'gpt-9' is not one of structural, gemini, mlx" in message
        assert message.endswith("fix it in Settings (ctrl+s)")
        assert app.workspace_settings == WorkspaceSettings(repair_rounds=2)
        assert app.is_running


# -- messages name the app's own way to fix things -------------------------------------------------
async def test_teacher_messages_name_the_settings_screen_not_a_flag(ws, engine):
    save_settings(ws.root, WorkspaceSettings(teacher="mlx"))
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_benchmark(pilot, app, FRESH)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("T")  # mlx -> structural
        await pilot.press("T")  # -> gemini, without an API key
        await pilot.press("x")
        await pilot.pause()
        errors = [n.message for n in app._notifications if n.severity == "error"]
    assert errors == ["the mlx teacher needs a model: set the mlx model folder in Settings (ctrl+s)",
                      "the gemini teacher needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY); or choose "
                      "another teacher or model in Settings (ctrl+s)"]
    assert load_settings(ws.root)[0].teacher == "gemini", "T changes the saved teacher"


# -- no silent spending ----------------------------------------------------------------------------
async def test_x_on_an_extracted_benchmark_asks_n_keeps_it_y_extracts_again(ws, engine):
    bench = next(b for b in discover(ws.benchmarks_dir).benchmarks if b.id == DONE)
    structure = bench.path / "structure.json"
    edited = json.loads(structure.read_text())
    edited["generator"] += "\n% a reviewer's edit"
    structure.write_text(json.dumps(edited))
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_benchmark(pilot, app, DONE)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        question = app.screen.question
        assert f"{DONE} is already extracted" in question and "structural teacher is free" in question
        await pilot.press("n")
        await settle(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)
        assert json.loads(structure.read_text()) == edited, "n keeps the structure"
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question again")
        await pilot.press("y")
        await settle(pilot, app)
        assert any(m.startswith("extraction finished: 1 extracted") for m in shown(app))
        assert "% a reviewer's edit" not in json.loads(structure.read_text())["generator"], "y extracts again"


async def test_x_on_a_fresh_benchmark_with_the_structural_teacher_does_not_ask(ws, engine):
    app = make_app(ws, engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_benchmark(pilot, app, FRESH)
        await pilot.press("x")
        await settle(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.session.summaries[FRESH].extraction == "extracted"


async def test_gemini_asks_with_the_estimate_and_n_sends_nothing(ws, engine, monkeypatch):
    with FakeGemini() as fake:
        fake.default(echo_key(400))
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        monkeypatch.setenv("ASP_FT_GEMINI_BASE_URL", fake.base_url)
        app = make_app(ws, engine=engine)
        async with app.run_test(size=(120, 40)) as pilot:
            await on_benchmark(pilot, app, DONE)
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
            question = app.screen.question
            assert f"{DONE} is already extracted" in question
            assert "will send 1 requests, about" in question and "input tokens" in question
            await pilot.press("n")
            await settle(pilot, app)
            assert fake.count() == 0


# -- the headless commands -------------------------------------------------------------------------
def test_the_cli_takes_the_workspace_settings_and_its_flags_win(ws, capsys):
    save_settings(ws.root, WorkspaceSettings(teacher="gemini", all_tones=True))
    assert cli_main(["extract", "-w", str(ws.root), "--only", FRESH]) == 2
    assert "the gemini teacher needs an API key" in capsys.readouterr().err, "the teacher came from the file"
    assert cli_main(["extract", "-w", str(ws.root), "--only", FRESH, "--teacher", "structural"]) == 0
    bench = next(b for b in discover(ws.benchmarks_dir).benchmarks if b.id == FRESH)
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    assert meta["all_tones"] is True, "all five tones, from the file"
    settings_path(ws.root).write_text("repair_rounds: -1\n")
    assert cli_main(["extract", "-w", str(ws.root), "--teacher", "structural"]) == 2
    err = capsys.readouterr().err
    assert str(settings_path(ws.root)) in err and "repair_rounds: -1 is not a whole number from 0 to 10" in err
    save_settings(ws.root, WorkspaceSettings(teacher="mlx"))
    assert cli_main(["convert", "-w", str(ws.root)]) == 2
    assert "the mlx teacher needs an mlx-lm model folder: --model DIR" in capsys.readouterr().err
