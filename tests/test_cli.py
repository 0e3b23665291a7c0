"""The headless CLI: init, list, clear errors, and a light start."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from asp_ft_tui.cli import main

HEAVY = ("mlx", "mlx_lm", "transformers", "google.genai", "torch")


def test_init_then_list_json(tmp_path, capsys):
    assert main(["init", str(tmp_path / "ws")]) == 0
    assert "workspace ready" in capsys.readouterr().out
    assert main(["list", "--json", "--workspace", str(tmp_path / "ws")]) == 0
    payload = json.loads(capsys.readouterr().out)
    ids = {b["id"] for b in payload["benchmarks"]}
    assert len(ids) >= 18 and payload["problems"] == []
    assert any(b["variant"] for b in payload["benchmarks"])


def test_list_reports_problem_folders(tmp_path, capsys):
    main(["init", "--empty", str(tmp_path)])
    (tmp_path / "data/benchmarks/Cat/half").mkdir(parents=True)
    (tmp_path / "data/benchmarks/Cat/half/ASP.txt").write_text("a.")
    capsys.readouterr()
    assert main(["list", "-w", str(tmp_path)]) == 0
    assert "problem: Cat/half: has ASP.txt but no NL.txt or IR.txt" in capsys.readouterr().out


def test_a_folder_that_is_no_workspace_is_a_clear_error(tmp_path, capsys):
    assert main(["list", "--workspace", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a workspace" in err and "asp-ft init" in err


def _loaded_after(code: str) -> list[str]:
    probe = code + f"\nimport sys; print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    marker = out.stdout.rsplit("HEAVY:", 1)[1].strip()
    return [m for m in marker.split(",") if m]


def test_import_and_help_load_no_heavy_module():
    assert _loaded_after("import asp_ft_tui") == []
    help_run = (
        "from asp_ft_tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert _loaded_after(help_run) == []
    assert _loaded_after("import asp_ft_tui.tui.app, asp_ft_tui.store") == []


def test_console_scripts_work():
    bindir = os.path.dirname(sys.executable)
    out = subprocess.run([os.path.join(bindir, "asp-ft"), "--help"], capture_output=True, text=True, check=True)
    assert "init" in out.stdout and "list" in out.stdout
    out = subprocess.run([sys.executable, "-m", "asp_ft_tui", "--help"], capture_output=True, text=True, check=True)
    assert "asp-ft-tui" in out.stdout


def test_commands_log_to_the_user_log_folder(tmp_path, user_home):
    main(["init", str(tmp_path / "ws")])
    main(["list", "--workspace", str(tmp_path / "missing")])
    log = (user_home / "log" / "asp-ft.log").read_text()
    assert "asp-ft init" in log and "does not exist" in log


def test_check_prints_three_located_errors_and_exits_1(tmp_path, capsys):
    source = tmp_path / "three.lp"
    source.write_text("a :- b, X \\= 1.\nc := d.\ne :- !f.\n")
    assert main(["check", str(source)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{source}:1:12: error: syntax error, unexpected =",
        f"{source}:2:4: error: syntax error, unexpected =, expecting . or :-",
        f"{source}:3:6: error: lexer error, unexpected !",
    ]


def test_check_with_context_and_json(tmp_path, capsys):
    context = tmp_path / "instance.lp"
    context.write_text("node(1..3).\n")
    good = tmp_path / "good.lp"
    good.write_text("{ pick(X) : node(X) } = 1.\n")
    unsafe = tmp_path / "unsafe.lp"
    unsafe.write_text("% header\np(X, Y) :- node(X).\n")
    assert main(["check", str(good), "--context", str(context)]) == 0
    capsys.readouterr()
    assert main(["check", "--json", str(good), str(unsafe), "--context", str(context)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [r["ok"] for r in report] == [True, False]
    assert report[1]["error_text"].startswith("2:1: error: unsafe variables in:")
    assert report[1]["diagnostics"][0]["kind"] == "unsafe"


def test_check_of_a_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.lp")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_check_names_a_byte_that_is_not_utf8(tmp_path, capsys):
    latin = tmp_path / "latin.lp"
    latin.write_bytes(b"abc\xe9(1).\n")  # Latin-1 e-acute: clingo would only see a replacement character
    good = tmp_path / "good.lp"
    good.write_text("p(1).\n")
    assert main(["check", str(latin), str(good)]) == 1
    captured = capsys.readouterr()
    assert f"{latin}:1:4: error: not UTF-8: byte 0xE9" in captured.out
    assert "\ufffd" not in captured.out + captured.err
    assert "2 file(s) checked: 1 error(s) in 1 file(s)" in captured.err
    # As a context it stops the check before anything is blamed on the files after it.
    assert main(["check", str(good), "--context", str(latin)]) == 2
    assert "latin.lp:1:4: error: not UTF-8: byte 0xE9" in capsys.readouterr().err
