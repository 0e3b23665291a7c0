"""The walls behind the guard: a private working folder per worker, and Landlock on Linux.

To show that the walls hold on their own, a real worker process is started with the guard taken
down (a harness patches it out in the worker process, then runs the worker's own main).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest

from asp_ft_tui.asp import sandbox
from asp_ft_tui.asp.engine import Engine, EngineConfig

_NO_GUARD = """
import sys
from asp_ft_tui.asp import checker, guard, worker
checker.forbidden_directives = guard.forbidden_directives = lambda *args, **kwargs: []
"""
_NO_LANDLOCK = """
from asp_ft_tui.asp import sandbox
def _enosys(*args):
    raise OSError(38, "Function not implemented")
sandbox._syscall = _enosys
"""


def _worker_without_guard(tmp_path, *, patch: str = ""):
    """A worker as the engine starts one (private folder, environment), but with no guard."""
    home = tmp_path / "home"
    home.mkdir()
    settings = {"memory_mb": 1024, "cpu_s": 20, "home": str(home)}
    return home, subprocess.Popen(
        [sys.executable, "-c", _NO_GUARD + patch + "sys.exit(worker.main())", json.dumps(settings)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=home, env=sandbox.worker_environment(str(home)))


def _ask(proc, *requests: dict) -> list[dict]:
    proc.stdin.write("".join(json.dumps({"id": i, **r}) + "\n" for i, r in enumerate(requests)))
    proc.stdin.close()
    answers = [json.loads(line) for line in proc.stdout]
    proc.wait(timeout=60)
    return answers


@pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="the kernel offers no Landlock here")
def test_landlock_keeps_clingo_from_reading_outside_even_without_the_guard(tmp_path):
    secret = tmp_path / "secret.lp"
    secret.write_text("secret_fact_4711.\n")
    home, proc = _worker_without_guard(tmp_path)
    (home / "inside.lp").write_text("inside_fact.\n")
    pong, inside, outside, relative = _ask(
        proc,
        {"op": "ping"},
        {"op": "solve", "program": f'#include "{home / "inside.lp"}".'},
        {"op": "solve", "program": f'#include "{secret}".'},
        {"op": "solve", "program": '#include "../secret.lp".'},
    )
    assert pong["walls"].startswith("Landlock ABI")
    assert inside["models"] == [["inside_fact"]]  # the guard really is down
    for answer in (outside, relative):
        assert answer["status"] == "ERROR"
        assert "secret_fact_4711" not in json.dumps(answer)


def test_without_landlock_the_worker_still_answers(tmp_path):
    # Injected: a kernel without Landlock (ENOSYS), as on macOS or an old Linux.
    _, proc = _worker_without_guard(tmp_path, patch=_NO_LANDLOCK)
    pong, solved = _ask(proc, {"op": "ping"}, {"op": "solve", "program": "a. b :- a."})
    assert pong["walls"] == "no Landlock on this system"
    assert solved["models"] == [["a", "b"]]


def test_confine_reports_instead_of_raising(monkeypatch, tmp_path):
    def fails(*args):
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))

    monkeypatch.setattr(sandbox, "_syscall", fails)  # injected: nothing is restricted in this process
    assert sandbox.landlock_abi() == 0
    assert sandbox.confine(str(tmp_path)) == "no Landlock on this system"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads a worker's working folder from /proc")
def test_workers_work_in_an_empty_private_folder_removed_when_they_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "near.lp").write_text("near_fact.\n")
    with Engine(EngineConfig(workers=2, wall_s=30)) as engine:
        engine.warm_up()
        folders = [os.readlink(f"/proc/{pid}/cwd") for pid in engine.worker_pids()]
        assert len(set(folders)) == 2
        for folder in folders:
            assert folder != str(tmp_path) and os.listdir(folder) == []
        assert engine.solve("a.").models == (("a",),)
    for folder in folders:
        assert not os.path.exists(folder)


def test_the_worker_environment_carries_no_credentials(monkeypatch, tmp_path):
    monkeypatch.setenv("GEMINI_API_KEY", "k-123")
    monkeypatch.setenv("SOME_TOKEN", "t-456")
    env = sandbox.worker_environment(str(tmp_path))
    assert "GEMINI_API_KEY" not in env and "SOME_TOKEN" not in env
    assert env["TMPDIR"] == str(tmp_path) and "PATH" in env


def test_folders_of_a_killed_owner_are_swept_when_an_engine_starts(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"asp-ft-worker-{gone.stdout.strip()}-abc"
    (stale / "x").mkdir(parents=True)
    live = sandbox.private_folder()
    assert sandbox.sweep_stale_folders() == 1
    assert not stale.exists() and os.path.isdir(live.name)
    live.cleanup()
