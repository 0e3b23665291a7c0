"""The launch snapshot: a second open of a workspace reads one file instead of the whole tree, and
never shows anything the files no longer say."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from asp_ft_tui import review, snapshot
from asp_ft_tui.review import ReviewSession
from asp_ft_tui.workspace import Workspace

from converted import converted_workspace

QUEENS = "Puzzles/n_queens"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Three benchmarks extracted by the structural teacher, their samples built."""
    return converted_workspace(tmp_path_factory.mktemp("snapshot-base"))


@pytest.fixture
def ws(built, tmp_path, monkeypatch) -> Workspace:
    """A private copy; files written a moment ago count as settled (see `snapshot.RACY_NS`)."""
    monkeypatch.setattr(snapshot, "RACY_NS", 0)
    copy = tmp_path / "ws"
    shutil.copytree(built, copy)
    (copy / "data" / "cache" / snapshot.SNAPSHOT_FILE).unlink(missing_ok=True)
    return Workspace.at(copy)


@pytest.fixture
def reads(monkeypatch) -> dict[str, int]:
    """How often the whole tree was walked and how many benchmarks' structures were read."""
    counts = {"walks": 0, "structures": 0}
    discover, read_sources = review.discover, review.read_sources

    def walk(*args, **kwargs):
        counts["walks"] += 1
        return discover(*args, **kwargs)

    def read(bench):
        counts["structures"] += 1
        return read_sources(bench)

    monkeypatch.setattr(review, "discover", walk)
    monkeypatch.setattr(review, "read_sources", read)
    return counts


def _state(session: ReviewSession) -> dict:
    """Everything a session knows of the tree, comparable."""
    return {
        "benchmarks": [(b.id, str(b.path), b.asp, b.nl, b.ir, str(b.asp_file), str(b.structure_file), b.home)
                       for b in session.library.benchmarks],
        "problems": [(p.id, str(p.path), p.reason) for p in session.library.problems],
        "summaries": {k: (s.extraction, s.components_valid, s.components_total, s.faithful, s.samples_built, s.counts)
                      for k, s in session.summaries.items()},
        "rows": dict(session.rows),
    }


def _open(ws: Workspace, *, fresh: bool = False) -> dict:
    with ReviewSession.open(ws, readonly=True) as session:
        if fresh:
            session.reload(fresh=True)
        return _state(session)


def _benchmark(state: dict, benchmark_id: str) -> tuple:
    return next(b for b in state["benchmarks"] if b[0] == benchmark_id)


def test_a_second_open_reads_the_snapshot_and_knows_the_same(ws, reads):
    first = _open(ws)
    assert (ws.cache_dir / snapshot.SNAPSHOT_FILE).is_file()
    assert len(first["benchmarks"]) == 3 and first["rows"] and reads == {"walks": 1, "structures": 3}
    assert _open(ws) == first
    assert reads == {"walks": 1, "structures": 3}, "the second open read no folder, structure or index"


def test_decisions_are_counted_from_the_store_not_the_snapshot(ws):
    _open(ws)
    with ReviewSession.open(ws) as session:
        key = next(iter(session.rows))
        session.decide(key, "approved")
    with ReviewSession.open(ws, readonly=True) as session:
        bench = session.rows[key].benchmark_id
        assert session.summaries[bench].counts["approved"] == 1
        assert session.status_of(session.rows[key]) == "approved"


def test_an_edited_description_is_read_again_alone(ws, reads):
    _open(ws)
    nl = ws.benchmarks_dir / QUEENS / "NL.txt"
    nl.write_text(nl.read_text() + "\nOne more sentence of the problem.\n")
    state = _open(ws)
    assert "One more sentence of the problem." in _benchmark(state, QUEENS)[3]
    assert reads == {"walks": 1, "structures": 4}, "only the edited benchmark was read again"
    assert state == _open(ws, fresh=True), "the same as reading everything"
    assert _open(ws) == state and reads["structures"] == 7, "the snapshot was brought up to date"


def test_a_changed_extraction_is_read_again(ws, reads):
    _open(ws)
    sidecar = ws.benchmarks_dir / QUEENS / "structure.meta.json"
    meta = json.loads(sidecar.read_text())
    meta["needs_review"] = ["a description still looks like a tone label"]
    sidecar.write_text(json.dumps(meta))
    assert _open(ws)["summaries"][QUEENS][0] == "needs review"


def test_a_new_folder_in_the_tree_is_found(ws, reads):
    _open(ws)
    new = ws.benchmarks_dir / "Puzzles" / "tiny"
    new.mkdir()
    (new / "NL.txt").write_text("Pick one of a and b.\n")
    (new / "ASP.txt").write_text("1 { pick(a); pick(b) } 1.\n")
    state = _open(ws)
    assert "Puzzles/tiny" in [b[0] for b in state["benchmarks"]] and reads["walks"] == 2
    assert state == _open(ws, fresh=True)


def test_a_removed_benchmark_is_gone_and_a_broken_one_is_a_problem(ws):
    _open(ws)
    shutil.rmtree(ws.benchmarks_dir / "Graph Problems" / "graph_coloring")
    (ws.benchmarks_dir / QUEENS / "NL.txt").write_text("")
    state = _open(ws)
    assert [b[0] for b in state["benchmarks"]] == ["Scheduling/nurse_rostering"]
    assert [(p[0], p[2]) for p in state["problems"]] == [(QUEENS, "NL.txt is empty")]
    assert state == _open(ws, fresh=True)


def test_a_new_folder_inside_a_benchmark_folder_is_found(ws):
    _open(ws)
    nested = ws.benchmarks_dir / QUEENS / "small"
    nested.mkdir()
    (nested / "NL.txt").write_text("Place one queen.\n")
    (nested / "ASP.txt").write_text("queen(1,1).\n")
    assert f"{QUEENS}/small" in [b[0] for b in _open(ws)["benchmarks"]]


def test_a_copied_workspace_does_not_use_the_snapshot_it_carries(ws, tmp_path, reads):
    _open(ws)
    copy = Workspace.at(shutil.copytree(ws.root, tmp_path / "copy"))
    nl = copy.benchmarks_dir / QUEENS / "NL.txt"
    nl.write_text("The copy's own words.\n")
    state = _open(copy)
    assert _benchmark(state, QUEENS)[3].strip() == "The copy's own words."
    assert all(b[1].startswith(str(copy.root)) for b in state["benchmarks"]), "no path of the original"
    assert reads["walks"] == 2


def _rewrite(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _first_rows(data: dict) -> list:
    return next(iter(data["rows"].values()))


def _rows_file(p: Path) -> Path:
    return p.with_name(snapshot.ROWS_FILE)


@pytest.mark.parametrize("damage", [
    lambda p: p.write_bytes(b"\x00\xff not json"),
    lambda p: p.write_text("[]"),
    lambda p: p.write_text('{"key": 1}'),
    lambda p: p.write_text(json.dumps({"key": json.loads(p.read_text())["key"]})),
    lambda p: _rewrite(p, lambda d: d["benchmarks"][0]["summary"].update(extra=1)),
    lambda p: _rewrite(p, lambda d: d["benchmarks"][0]["bench"].update(id=7)),
    lambda p: _rewrite(p, lambda d: d["benchmarks"][0]["witness"].append("not a pair")),
    lambda p: _rewrite(p, lambda d: d["global"].append([["a list", "as a path"], None])),
    lambda p: p.write_text("[" * 100_000 + "]" * 100_000),
    lambda p: _rewrite(p, lambda d: d["benchmarks"][0]["summary"].update(components_valid=True)),
    lambda p: _rewrite(p, lambda d: d["benchmarks"].append(d["benchmarks"][0])),
    lambda p: _rewrite(p, lambda d: d["problems"].append([1, {"a": 1}, None])),
    lambda p: _rewrite(p, lambda d: d["benchmarks"][0].update(count=-1)),
    lambda p: _rewrite(_rows_file(p), lambda d: _first_rows(d).pop()),
    lambda p: _rewrite(_rows_file(p), lambda d: _first_rows(d)[0].__setitem__(0, ["a list"])),
    lambda p: _rewrite(_rows_file(p), lambda d: _first_rows(d).__setitem__(0, "abcdefg")),
    lambda p: _rewrite(_rows_file(p), lambda d: d["rows"].update({k: list("abcdefg") for k in d["rows"]})),
    lambda p: _rewrite(_rows_file(p), lambda d: _first_rows(d)[6].__setitem__(0, "yes")),
    lambda p: _rewrite(_rows_file(p), lambda d: _first_rows(d)[0].__setitem__(0, "Another/one::instance")),
    lambda p: _rewrite(_rows_file(p), lambda d: [column.pop() for column in _first_rows(d)]),
    lambda p: _rewrite(_rows_file(p), lambda d: d.update(stamp="another")),
    lambda p: _rows_file(p).unlink(),
], ids=["bytes", "list", "no-key", "key-only", "summary-field", "id-number", "witness", "path-list", "deep",
        "bool-count", "twice", "problem-types", "count", "rows:short", "rows:key-list", "rows:text", "rows:letters",
        "rows:valid-text", "rows:key-of-another", "rows:one-fewer", "rows:another-stamp", "rows:gone"])
def test_a_damaged_snapshot_is_not_used(ws, damage):
    expected = _open(ws)
    damage(ws.cache_dir / snapshot.SNAPSHOT_FILE)
    assert _open(ws) == expected


def test_a_file_changed_while_it_loads_is_not_vouched_for(ws, monkeypatch):
    monkeypatch.setattr(snapshot, "RACY_NS", 3_600_000_000_000)  # everything is "just changed"
    _open(ws)
    data = json.loads((ws.cache_dir / snapshot.SNAPSHOT_FILE).read_text())
    witnessed = [sig for b in data["benchmarks"] for _, sig in b["witness"] if sig is not None]
    assert witnessed and set(map(str, witnessed)) == {"racy"}


def test_a_linked_snapshot_is_not_written_through(ws, tmp_path):
    outside = tmp_path / "elsewhere.json"
    outside.write_text("untouched")
    (ws.cache_dir / snapshot.SNAPSHOT_FILE).symlink_to(outside)
    assert len(_open(ws)["benchmarks"]) == 3
    assert outside.read_text() == "untouched"


def _hostile(data: dict, tmp_path: Path) -> None:
    """A snapshot whose key matches, telling of a benchmark outside the tree, checked against
    nothing."""
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "structure.json").write_text("{}")
    bench = data["benchmarks"][0]
    bench["bench"].update(path=str(outside), asp_file=str(outside / "ASP.txt"),
                          structure_file=str(outside / "structure.json"), asp="secret(1).")
    for entry in data["benchmarks"]:
        entry["witness"] = []
    data["global"] = []


@pytest.mark.parametrize("craft", [
    _hostile,
    lambda d, _: d["benchmarks"][0]["bench"].update(id="Puzzles/\x1b[2Jfake\nline"),
    lambda d, _: d["benchmarks"][0]["bench"].update(structure_file="/etc/structure.json"),
    lambda d, _: d["benchmarks"][0]["bench"].update(home="/tmp/elsewhere/x"),
    lambda d, _: d["benchmarks"][0].update(witness=d["benchmarks"][0]["witness"][1:]),
    lambda d, _: d.update({"global": []}),
    lambda d, _: d["library"].update(root="/"),
], ids=["outside", "control-id", "structure-elsewhere", "home-elsewhere", "fewer-checks", "no-global-checks", "root"])
def test_a_snapshot_that_matches_the_key_but_not_the_tree_is_not_used(ws, tmp_path, reads, craft):
    expected = _open(ws)
    path = ws.cache_dir / snapshot.SNAPSHOT_FILE
    _rewrite(path, lambda data: craft(data, tmp_path))
    assert _open(ws) == expected
    assert reads["walks"] == 2, "the tree was read instead"


@pytest.mark.parametrize("kind", ["fifo", "device-link"])
def test_a_snapshot_that_is_no_regular_file_is_not_read(ws, kind):
    expected = _open(ws)
    path = ws.cache_dir / snapshot.SNAPSHOT_FILE
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer forever
    else:
        path.symlink_to("/dev/zero")  # reading it would never end
    assert _open(ws) == expected


def test_where_a_link_leads_is_checked(ws, reads):
    hidden = ws.benchmarks_dir / ".parked"
    hidden.mkdir()
    (hidden / "later").write_text("a file for now")
    (ws.benchmarks_dir / "Puzzles" / "later").symlink_to(hidden / "later")
    (ws.benchmarks_dir / "Puzzles" / "gone").symlink_to(ws.root.parent / "not-yet")
    before = _open(ws)
    assert [p[0] for p in before["problems"]] == ["Puzzles/gone"]
    (hidden / "later").unlink()
    (hidden / "later").mkdir()
    (hidden / "later" / "NL.txt").write_text("Pick a.\n")
    (hidden / "later" / "ASP.txt").write_text("a.\n")
    (ws.root.parent / "not-yet").mkdir()
    state = _open(ws)
    assert "Puzzles/later" in [b[0] for b in state["benchmarks"]]
    assert [(p[0], p[2].split(":")[0]) for p in state["problems"]] == [("Puzzles/gone",
                                                                        "links outside the benchmark folder")]
    assert state == _open(ws, fresh=True)


def test_a_folder_that_became_read_only_moves_its_structures_and_says_so(ws, monkeypatch):
    queens = str(ws.benchmarks_dir / QUEENS)
    _open(ws)
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if str(path) == queens else real(path, mode, **kw))
    with ReviewSession.open(ws, readonly=True) as session:
        assert session.library.relocated == 1 and str(ws.structures_dir) in session.library.relocation_notice
        assert _state(session) == _open(ws, fresh=True)
    monkeypatch.setattr(os, "access", real)
    with ReviewSession.open(ws, readonly=True) as session:
        assert session.library.relocated == 0 and not session.library.relocation_notice


def test_rows_are_read_when_wanted_and_at_once_when_decisions_count(ws, monkeypatch):
    _open(ws)
    taken = []
    real = snapshot.Snapshot._load_rows
    monkeypatch.setattr(snapshot.Snapshot, "_load_rows", lambda self, *a: taken.append(1) or real(self, *a))
    with ReviewSession.open(ws, readonly=True) as session:
        assert taken == [], "no decisions: the tree's counts need no rows"
        counts = {k: s.counts["pending"] for k, s in session.summaries.items()}
        assert counts == {b: len(session.rows_of(b)) for b in counts} and taken == [1]
    with ReviewSession.open(ws) as session:
        key = next(iter(session.rows))
        session.decide(key, "rejected")
    taken.clear()
    with ReviewSession.open(ws, readonly=True) as session:
        assert taken == [1], "a decision to count: the rows are read with the tree"
        bench = key.split("::")[0]
        assert session.summaries[bench].counts["rejected"] == 1
