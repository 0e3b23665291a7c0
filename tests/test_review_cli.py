"""`asp-ft review`: list, show, approve, reject, export and import decisions, headless."""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asp_ft_tui.cli import main

from converted import converted_workspace

QUEENS_HARD = [f"Puzzles/n_queens::hard::hard/{i}::Business::-::-" for i in range(3)]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A workspace with three benchmarks extracted by the structural teacher and samples built."""
    return converted_workspace(tmp_path_factory.mktemp("review-base"))


@pytest.fixture
def ws(built, tmp_path, capsys) -> Path:
    """A private copy of the built workspace."""
    copy = tmp_path / "ws"
    shutil.copytree(built, copy)
    capsys.readouterr()
    return copy


def _copy(built: Path, to: Path) -> Path:
    shutil.copytree(built, to)
    return to


def review(ws: Path, *args: str) -> int:
    action, rest = args[0], args[1:]
    return main(["review", action, "-w", str(ws), *rest])


def _session(ws: Path):
    from asp_ft_tui.review import ReviewSession
    from asp_ft_tui.workspace import Workspace

    return ReviewSession.open(Workspace.at(ws), readonly=True)


def _decisions(ws: Path) -> dict:
    from asp_ft_tui.store import CurationStore
    from asp_ft_tui.workspace import Workspace

    with CurationStore.for_workspace(Workspace.at(ws), readonly=True) as store:
        return store.decisions()


def _lines(out: str) -> list[tuple[str, str, str]]:
    """(status, valid, key) of each `review list` line (key, status, valid, tab-separated)."""
    rows = []
    for line in out.splitlines():
        key, status, valid = line.split("\t")
        rows.append((status, valid, key))
    return rows


def test_list_keys_survive_cut_and_awk(ws):
    """A shell pipeline takes the key column whole (keys hold spaces) and feeds it back in."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    asp_ft = f"{shlex.quote(sys.executable)} -m asp_ft_tui.cli review"
    where = f"-w {shlex.quote(str(ws))}"
    keys = subprocess.run(f"{asp_ft} list {where} --benchmark 'Puzzles/n_queens' --task hard | cut -f1",
                          shell=True, env=env, capture_output=True, text=True, timeout=120)
    assert keys.returncode == 0, keys.stderr
    assert keys.stdout.splitlines() == QUEENS_HARD
    approve = subprocess.run(f"{asp_ft} list {where} --task hard | awk -F'\\t' '$3 == \"valid\" {{print $1}}' "
                             f"| grep n_queens | {asp_ft} approve {where} -",
                             shell=True, env=env, capture_output=True, text=True, timeout=120)
    assert approve.returncode == 0, approve.stderr
    assert {k for k, d in _decisions(ws).items() if d.status == "approved"} == set(QUEENS_HARD)


def test_list_filters_and_json(ws, capsys):
    session = _session(ws)
    total = len(session.rows)
    session.close()
    assert total > 20

    assert review(ws, "list") == 0
    captured = capsys.readouterr()
    rows = _lines(captured.out)
    assert len(rows) == total and all(s == "pending" and v == "valid" for s, v, _ in rows)
    assert f"{total} of {total} samples ({total} pending)" in captured.err

    assert review(ws, "list", "--task", "repair") == 0
    repair = _lines(capsys.readouterr().out)
    assert repair and all("::repair::" in key for _, _, key in repair) and len(repair) < total

    assert review(ws, "list", "--benchmark", "Puzzles/n_queens", "--task", "hard") == 0
    assert [key for _, _, key in _lines(capsys.readouterr().out)] == QUEENS_HARD

    operator = repair[0][2].split("::")[4]
    assert review(ws, "list", "--operator", operator) == 0
    assert all(key.split("::")[4] == operator for _, _, key in _lines(capsys.readouterr().out))

    assert review(ws, "list", "--status", "approved") == 0
    captured = capsys.readouterr()
    assert captured.out == "" and f"0 of {total} samples" in captured.err

    assert review(ws, "list", "--json", "--benchmark", "Puzzles/n_queens") == 0
    payload = json.loads(capsys.readouterr().out)
    assert {item["key"] for item in payload} >= set(QUEENS_HARD)
    first = payload[0]
    assert {"key", "status", "valid", "benchmark_id", "task", "slot", "tone", "operator", "content_hash"} <= set(first)
    assert all(item["benchmark_id"] == "Puzzles/n_queens" and item["status"] == "pending" for item in payload)


def test_approve_and_reject_then_list_shows_them(ws, capsys, monkeypatch):
    assert review(ws, "approve", QUEENS_HARD[0], QUEENS_HARD[1]) == 0
    out = capsys.readouterr().out
    assert f"approved {QUEENS_HARD[0]}" in out and f"approved {QUEENS_HARD[1]}" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO(QUEENS_HARD[2] + "\n\n"))
    assert review(ws, "reject", "-", "--note", "too easy") == 0
    assert f"rejected {QUEENS_HARD[2]}" in capsys.readouterr().out

    assert review(ws, "list", "--status", "approved") == 0
    assert _lines(capsys.readouterr().out) == [("approved", "valid", k) for k in QUEENS_HARD[:2]]
    assert review(ws, "list", "--status", "rejected", "--json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert [(i["key"], i["status"]) for i in payload] == [(QUEENS_HARD[2], "rejected")]

    decisions = _decisions(ws)
    assert {k: d.status for k, d in decisions.items()} == {
        QUEENS_HARD[0]: "approved", QUEENS_HARD[1]: "approved", QUEENS_HARD[2]: "rejected"}
    assert decisions[QUEENS_HARD[2]].note == "too easy"

    # Deciding the same again is reported and records nothing new.
    assert review(ws, "approve", QUEENS_HARD[0]) == 0
    assert f"already approved: {QUEENS_HARD[0]}" in capsys.readouterr().out
    assert _decisions(ws)[QUEENS_HARD[0]].seq == decisions[QUEENS_HARD[0]].seq


def test_an_unknown_key_is_an_error_and_nothing_is_recorded(ws, capsys):
    assert review(ws, "approve", QUEENS_HARD[0], "Puzzles/n_queens::nope") == 2
    err = capsys.readouterr().err
    assert err.startswith("asp-ft: error: no sample 'Puzzles/n_queens::nope'") and "nothing was recorded" in err
    assert _decisions(ws) == {}
    assert review(ws, "show", "nope") == 2
    assert "no sample 'nope'" in capsys.readouterr().err


def test_approving_a_sample_whose_answer_fails_clingo_is_refused(ws, capsys):
    from asp_ft_tui.asp.engine import get_engine

    path = ws / "data/benchmarks/Puzzles/n_queens/structure.json"
    structure = json.loads(path.read_text())
    structure["hard_constraints"][0]["asp_rule"] = ":- queen(R1,C, queen(R2,C), R1 < R2."
    path.write_text(json.dumps(structure))
    session = _session(ws)
    try:
        session.build(["Puzzles/n_queens"], get_engine())
        assert not session.rows[QUEENS_HARD[0]].valid
    finally:
        session.close()

    assert review(ws, "list", "--benchmark", "Puzzles/n_queens", "--task", "hard") == 0
    assert ("pending", "INVALID", QUEENS_HARD[0]) in _lines(capsys.readouterr().out)
    assert review(ws, "approve", QUEENS_HARD[1], QUEENS_HARD[0]) == 2
    err = capsys.readouterr().err
    assert "does not pass clingo" in err and QUEENS_HARD[0] in err and "nothing was recorded" in err
    assert _decisions(ws) == {}
    assert review(ws, "show", QUEENS_HARD[0]) == 0
    assert "clingo error of the answer" in capsys.readouterr().out
    assert review(ws, "reject", QUEENS_HARD[0]) == 0
    assert _decisions(ws)[QUEENS_HARD[0]].status == "rejected"


def test_show_prints_the_messages(ws, capsys):
    session = _session(ws)
    try:
        key = next(r.key for r in session.filtered(task="repair"))
        sample = session.sample(key)
    finally:
        session.close()
    assert review(ws, "show", key) == 0
    out = capsys.readouterr().out
    for part in ("--- system ---", "--- user ---", "--- assistant ---", f"operator:  {sample.operator}",
                 "clingo error of the broken code", sample.error.splitlines()[0], sample.answer, sample.user):
        assert part in out
    assert out.index("--- system ---") < out.index("--- user ---") < out.index("--- assistant ---")

    assert review(ws, "show", QUEENS_HARD[0], "--json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert [m["role"] for m in payload["messages"]] == ["system", "user", "assistant"]
    assert payload["status"] == "pending" and payload["operator"] is None and payload["key"] == QUEENS_HARD[0]


def test_export_then_import_into_a_copy_reproduces_the_decisions(built, ws, tmp_path, capsys):
    assert review(ws, "approve", *QUEENS_HARD[:2]) == 0
    assert review(ws, "reject", QUEENS_HARD[2], "--note", "dup") == 0
    export = tmp_path / "alice.jsonl"
    assert review(ws, "export-decisions", str(export), "--reviewer", "alice") == 0
    assert "exported 3 decisions" in capsys.readouterr().out
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    assert len(lines) == 3
    assert all(set(item) == {"key", "status", "content_hash", "edit", "note", "at", "reviewer"} for item in lines)
    assert {item["reviewer"] for item in lines} == {"alice"}

    other = _copy(built, tmp_path / "bob")
    assert review(other, "import-decisions", str(export), "--dry-run") == 0
    assert "would import 3 decisions" in capsys.readouterr().out and _decisions(other) == {}
    assert review(other, "import-decisions", str(export)) == 0
    out = capsys.readouterr().out
    assert "imported 3 decisions" in out and "skipped 0" in out and "conflicts 0" in out and "unknown keys 0" in out
    mine, theirs = _decisions(ws), _decisions(other)
    assert {k: (d.status, d.content_hash, d.edit, d.note) for k, d in mine.items()} == \
           {k: (d.status, d.content_hash, d.edit, d.note) for k, d in theirs.items()}

    assert review(other, "import-decisions", str(export)) == 0
    out = capsys.readouterr().out
    assert "imported 0 decisions" in out and "skipped 3" in out


@pytest.mark.parametrize("prefer, expected", [
    ("newer", ("rejected", "approved")),
    ("mine", ("approved", "approved")),
    ("theirs", ("rejected", "rejected")),
])
def test_import_conflicts_follow_prefer(ws, tmp_path, capsys, prefer, expected):
    assert review(ws, "approve", *QUEENS_HARD[:2]) == 0
    local = _decisions(ws)
    session = _session(ws)
    rows = dict(session.rows)
    session.close()
    now = time.time()
    gone = "Puzzles/gone::hard::hard/0::-::-::-"
    file_lines = [
        # newer than the local approval of QUEENS_HARD[0], older than that of QUEENS_HARD[1]
        {"key": QUEENS_HARD[0], "status": "rejected", "content_hash": local[QUEENS_HARD[0]].content_hash,
         "edit": None, "note": None, "at": now + 1000, "reviewer": "bob"},
        {"key": QUEENS_HARD[1], "status": "rejected", "content_hash": local[QUEENS_HARD[1]].content_hash,
         "edit": None, "note": None, "at": 1.0, "reviewer": "bob"},
        {"key": QUEENS_HARD[2], "status": "rejected", "content_hash": rows[QUEENS_HARD[2]].content_hash,
         "edit": None, "note": "bob's", "at": now, "reviewer": "bob"},
        {"key": gone, "status": "approved", "content_hash": "0123456789abcdef", "edit": None, "note": None,
         "at": now, "reviewer": "bob"},
    ]
    path = tmp_path / "bob.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in file_lines))

    assert review(ws, "import-decisions", str(path), "--prefer", prefer) == 0
    out = capsys.readouterr().out
    decisions = _decisions(ws)
    assert (decisions[QUEENS_HARD[0]].status, decisions[QUEENS_HARD[1]].status) == expected
    assert decisions[QUEENS_HARD[2]].status == "rejected" and decisions[QUEENS_HARD[2]].note == "bob's"
    assert decisions[gone].status == "approved"
    theirs = expected.count("rejected")
    assert f"conflicts 2 (--prefer {prefer}): {theirs} took the file's decision, {2 - theirs} kept" in out
    assert f"imported {2 + theirs} decisions" in out
    assert "unknown keys 1" in out and gone in out
    # The sample of an unknown key is not listed, but its decision is kept for when it comes back.
    assert review(ws, "list", "--text", "gone") == 0
    assert capsys.readouterr().out == ""


def test_a_malformed_import_file_is_a_clear_error_and_imports_nothing(ws, tmp_path, capsys):
    good = {"key": QUEENS_HARD[0], "status": "approved", "content_hash": "abc", "edit": None, "note": None,
            "at": 1.0, "reviewer": "bob"}
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([
        json.dumps(good),
        "{not json",
        json.dumps({**good, "key": QUEENS_HARD[1], "status": "maybe"}),
        json.dumps([1, 2]),
        json.dumps({**good, "key": QUEENS_HARD[2], "at": "yesterday"}),
    ]) + "\n")
    assert review(ws, "import-decisions", str(path)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"asp-ft: error: {path} is not a decisions file: line 2: not JSON")
    for part in ("line 3: status must be one of", "line 4: expected a JSON object", "line 5: at must be a number",
                 "nothing was imported"):
        assert part in err
    assert "line 1" not in err
    assert _decisions(ws) == {}
    assert review(ws, "import-decisions", str(tmp_path / "missing.jsonl")) == 2
    assert "cannot read" in capsys.readouterr().err


def test_list_works_while_another_process_holds_the_writer_lock(ws, capsys):
    from asp_ft_tui.store import CurationStore
    from asp_ft_tui.workspace import Workspace

    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "asp_ft_tui.cli", "review"]
    with CurationStore.for_workspace(Workspace.at(ws)) as store:
        store.record(QUEENS_HARD[0], "rejected", "whatever")
        listing = subprocess.run([*command, "list", "-w", str(ws), "--task", "hard", "--benchmark",
                                  "Puzzles/n_queens"], capture_output=True, text=True, env=env, timeout=60)
        assert listing.returncode == 0, listing.stderr
        assert [key for _, _, key in _lines(listing.stdout)] == QUEENS_HARD
        assert _lines(listing.stdout)[0][0] == "changed"  # decided on other content
        assert "3 of " in listing.stderr

        writer = subprocess.run([*command, "approve", "-w", str(ws), QUEENS_HARD[1]],
                                capture_output=True, text=True, env=env, timeout=60)
        assert writer.returncode == 2
        assert f"asp-ft: error: workspace in use by PID {os.getpid()}" in writer.stderr
    assert QUEENS_HARD[1] not in _decisions(ws)


def test_list_of_a_workspace_without_samples_says_what_to_do(tmp_path, capsys):
    main(["init", str(tmp_path / "empty")])
    capsys.readouterr()
    assert review(tmp_path / "empty", "list") == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "0 of 0 samples" in captured.err and "asp-ft convert" in captured.err
