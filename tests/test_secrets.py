"""Secrets reach no output: a Gemini that echoes the API key in a 400 answer, driven through the
CLI (a real subprocess) and the app (Pilot); the key is in no file, stream, log line or
notification, and the one redactor is what cut it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_gemini import FakeGemini, echo_key

from asp_ft_tui import paths
from asp_ft_tui.domain.structure import META_FILE
from asp_ft_tui.redaction import REDACTED, RedactingStream, redact, redact_data, register_variable
from asp_ft_tui.workspace import copy_benchmark_inputs, init_workspace

KEY = "AIzaSy-ECHOED-secret-key-0042"
BENCH = "Puzzles/sudoku_4x4"


@pytest.fixture
def ws(tmp_path):
    workspace = init_workspace(tmp_path / "ws", with_samples=False)
    copy_benchmark_inputs(paths.bundled_benchmarks() / BENCH, workspace.benchmarks_dir / BENCH)
    return workspace


@pytest.fixture
def fake():
    with FakeGemini() as server:
        server.default(echo_key(400))
        yield server


def files_holding(secret: str, *roots: Path) -> list[Path]:
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink() and secret.encode() in path.read_bytes():
                found.append(path)
    return found


# -- the redactor ----------------------------------------------------------------------------
def test_every_configured_key_and_later_ones_are_cut(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-123456")
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key-654321")
    monkeypatch.setenv("ASP_FT_TEST_TOKEN", "later-token-999999")
    text = "a gemini-key-123456 b google-key-654321 c later-token-999999"
    assert redact(text) == f"a {REDACTED} b {REDACTED} c later-token-999999"
    register_variable("ASP_FT_TEST_TOKEN")
    assert "later-token" not in redact(text)
    data = {"error": "x gemini-key-123456", "raw": [{"text": "google-key-654321"}], "n": 3}
    assert redact_data(data) == {"error": f"x {REDACTED}", "raw": [{"text": REDACTED}], "n": 3}
    out = io.StringIO()
    print("echo google-key-654321", file=RedactingStream(out))
    assert out.getvalue() == f"echo {REDACTED}\n"


def test_a_key_is_cut_in_the_forms_it_travels_in(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "  key/with+odd=chars-0042\n")
    text = "h: key/with+odd=chars-0042 q=key%2Fwith%2Bodd%3Dchars-0042 p=key%2Fwith%2Bodd%3Dchars-0042"
    assert "key" not in redact(text).replace("h:", "")
    assert redact("x AIzaSyD-unconfigured_key_0123456789abcdefghi y") == f"x {REDACTED} y"


def test_short_values_are_no_secrets(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "k")  # would turn every "k" into the mark
    assert redact("keep kale") == "keep kale"


# -- the CLI, a real process ---------------------------------------------------------------------
@pytest.mark.parametrize("stray", ["", " ", "\n"], ids=["exact", "trailing-space", "trailing-newline"])
def test_the_cli_never_shows_logs_or_stores_an_echoed_key(ws, fake, user_home, stray):
    env = {**os.environ, "GEMINI_API_KEY": KEY + stray, "ASP_FT_GEMINI_BASE_URL": fake.base_url,
           "ASP_FT_HOME": str(user_home), "ASP_FT_LOG_LEVEL": "DEBUG"}
    env.pop("GOOGLE_API_KEY", None)
    run = subprocess.run([sys.executable, "-m", "asp_ft_tui.cli", "extract", "--workspace", str(ws.root),
                          "--teacher", "gemini", "--rpm", "100000"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert fake.count() >= 1 and all(r.api_key == KEY for r in fake.requests)  # the key went out...
    assert run.returncode == 1, run.stderr
    assert KEY not in run.stdout and KEY not in run.stderr  # ...and came back only as the mark
    assert f"API key not valid: {REDACTED}" in " ".join(run.stderr.split())  # rich wraps lines
    meta = json.loads((ws.benchmarks_dir / BENCH / META_FILE).read_text())
    assert f"API key not valid: {REDACTED}" in meta["error"]
    assert list((user_home / "log").glob("asp-ft.log*"))
    assert files_holding(KEY, ws.root, user_home) == []


# -- the app, under Pilot --------------------------------------------------------------------
def log_tab_text(app) -> str:
    from textual.widgets import RichLog

    return "\n".join(line.text for line in app.query_one("#log-view", RichLog).lines)


async def test_the_app_never_shows_logs_or_stores_an_echoed_key(ws, fake, user_home, monkeypatch):
    from textual.notifications import Notify

    from asp_ft_tui.logs import setup_logging
    from asp_ft_tui.tui.app import make_app

    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("ASP_FT_GEMINI_BASE_URL", fake.base_url)
    setup_logging("DEBUG")
    shown: list[str] = []

    def hook(message) -> None:  # every notification as posted (toasts expire on a clock)
        if isinstance(message, Notify):
            shown.append(f"{message.notification.title} {message.notification.message}")

    app = make_app(ws)
    async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.current_benchmark is not None and app.current_benchmark.id == BENCH
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#choice-0").press()  # yes, send it
        await pilot.pause()
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert fake.count() >= 1
        assert any("1 failed" in text for text in shown)
        assert all(KEY not in text for text in shown)
        await pilot.press("4")  # a RichLog renders its lines once it is shown
        await pilot.pause()
        log_text = log_tab_text(app)
        assert f"API key not valid: {REDACTED}" in log_text and KEY not in log_text
    assert files_holding(KEY, ws.root, user_home) == []


CRASH = """
import os, sys
from asp_ft_tui.tui import app as appmod

def crash(self):
    key = os.environ["GEMINI_API_KEY"]
    raise RuntimeError("crash with " + key)

appmod.AspFtApp.on_mount = crash  # a bug with the key in a local: Textual prints locals
sys.exit(appmod.main([sys.argv[1]]))
"""


def test_a_crash_of_the_app_prints_its_traceback_without_the_key(ws, tmp_path, user_home):
    script = tmp_path / "crash.py"
    script.write_text(CRASH)
    env = {**os.environ, "GEMINI_API_KEY": KEY, "ASP_FT_HOME": str(user_home),
           "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver"}
    run = subprocess.run([sys.executable, str(script), str(ws.root)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode != 0 and "RuntimeError" in run.stderr
    assert KEY not in run.stderr and KEY not in run.stdout
    assert f"crash with {REDACTED}" in run.stderr
    assert files_holding(KEY, ws.root, user_home) == []
