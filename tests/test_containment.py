"""Benchmark trees are contained: nothing outside the benchmark root is read through a link, and
nothing is ever written through a symbolic link (caches, sidecars, exports, store, lock)."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

from asp_ft_tui.domain.benchmarks import discover, read_one
from asp_ft_tui.fsio import LinkRefused, atomic_write_text
from asp_ft_tui.samples import BuildSettings, SampleCache
from asp_ft_tui.store import CurationStore, WorkspaceLock

ASP = "node(1..3).\n{ pick(X) : node(X) }.\n"
NL = "Pick some nodes.\n"

_opened: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _opened is not None and event in ("open", "os.scandir", "os.listdir") and args and args[0] is not None:
        _opened.append(os.fsdecode(args[0]) if isinstance(args[0], (str, bytes, os.PathLike)) else str(args[0]))


sys.addaudithook(_audit)


def opened_during(fn):
    """Run fn; return what it returned and every path it opened or listed."""
    global _opened
    _opened = []
    try:
        return fn(), list(_opened)
    finally:
        _opened = None


def benchmark(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "ASP.txt").write_text(ASP)
    (folder / "NL.txt").write_text(NL)
    return folder


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "benchmarks"
    benchmark(root / "inside" / "a")
    outside = benchmark(tmp_path / "elsewhere" / "secret")
    (outside / "ASP.txt").write_text("secret(42).\n")
    return root, outside


def test_a_folder_linking_outside_is_a_problem_and_never_read(tree):
    root, outside = tree
    (root / "linked").symlink_to(outside, target_is_directory=True)
    library, opened = opened_during(lambda: discover(root))
    assert [b.id for b in library.benchmarks] == ["inside/a"]
    problems = {p.id: p.reason for p in library.problems}
    assert problems == {"linked": f"links outside the benchmark folder: {outside.resolve()}"}
    assert not [p for p in opened if p.startswith(str(outside)) or "linked" in p], opened


def test_a_file_linking_outside_makes_its_folder_a_problem_and_is_never_read(tree):
    root, outside = tree
    folder = root / "inside" / "b"
    folder.mkdir()
    (folder / "NL.txt").write_text(NL)
    (folder / "ASP.txt").symlink_to(outside / "ASP.txt")
    library, opened = opened_during(lambda: discover(root))
    assert [b.id for b in library.benchmarks] == ["inside/a"]
    assert [(p.id, p.reason) for p in library.problems] == [
        ("inside/b", f"ASP.txt links outside the benchmark folder: {(outside / 'ASP.txt').resolve()}")]
    assert not [p for p in opened if p.startswith(str(outside)) or p.endswith("b/ASP.txt")], opened
    assert read_one(root, "inside/b") is None


def test_a_linked_benchmark_root_and_links_inside_it_stay_fine(tree, tmp_path):
    root, _ = tree
    folder = root / "inside" / "c"
    folder.mkdir()
    (folder / "NL.txt").write_text("Another description.\n")
    (folder / "ASP.txt").symlink_to(Path("..") / "a" / "ASP.txt")
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    library = discover(alias)
    assert sorted(b.id for b in library.benchmarks) == ["inside/a", "inside/c"] and not library.problems
    assert library.get("inside/c").asp == ASP
    assert read_one(alias, "inside/c").asp == ASP


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file of the user's, outside anything asp-ft writes, that a link points at."""
    path = tmp_path / "elsewhere" / "precious.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("precious\n")
    return path


def test_a_structure_json_linking_outside_is_not_written_through(tree, victim):
    root, _ = tree
    link = root / "inside" / "a" / "structure.json"
    link.symlink_to(victim)
    with pytest.raises(LinkRefused) as caught:
        atomic_write_text(link, '{"instance_template": ""}')
    assert caught.value.errno == errno.ELOOP and caught.value.filename == str(link)
    assert "symbolic link" in str(caught.value)
    assert victim.read_text() == "precious\n" and link.is_symlink()
    assert [p.name for p in link.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_linked_sample_cache_file_is_not_written_through(tmp_path, victim):
    cache = SampleCache(tmp_path / "cache", BuildSettings())
    cache.directory.mkdir(parents=True)
    cache.path_for("b1").symlink_to(victim)
    with pytest.raises(LinkRefused):
        cache.save("b1", "print", [])
    assert victim.read_text() == "precious\n"


def test_a_linked_lock_file_is_refused_and_its_target_untouched(tmp_path, victim):
    store_dir = tmp_path / "curation"
    store_dir.mkdir()
    (store_dir / "lock").symlink_to(victim)
    with pytest.raises(LinkRefused, match="symbolic link"):
        CurationStore.open(store_dir)
    with pytest.raises(LinkRefused):
        WorkspaceLock(store_dir / "lock").acquire()
    assert victim.read_text() == "precious\n"


def test_linked_store_files_are_never_written_through(tmp_path, victim):
    store_dir = tmp_path / "curation"
    with CurationStore.open(store_dir) as store:
        store.record("a", "approved", "h1")
    for name in ("state.json", "history.jsonl"):
        path = store_dir / name
        saved = path.read_bytes()
        path.unlink()
        path.symlink_to(victim)
        with pytest.raises(LinkRefused):
            with CurationStore.open(store_dir) as store:
                store.save_ui_state({"pane": "queue"})
                store.record("b", "approved", "h2")
        assert victim.read_text() == "precious\n"
        path.unlink()
        path.write_bytes(saved)


def test_links_planted_at_temp_names_or_swapped_in_during_a_write_are_never_followed(tmp_path, victim, monkeypatch):
    import tempfile

    target = tmp_path / "structure.json"
    # A predictable temporary name would let anyone plant a link there first.
    (tmp_path / f".structure.json.{os.getpid()}.tmp").symlink_to(victim)
    real_mkstemp = tempfile.mkstemp

    def racing_mkstemp(*args, **kwargs):
        made = real_mkstemp(*args, **kwargs)
        target.symlink_to(victim)  # swapped in after the check: the rename must replace it
        return made

    monkeypatch.setattr(tempfile, "mkstemp", racing_mkstemp)
    atomic_write_text(target, "ours\n")
    assert target.read_text() == "ours\n" and not target.is_symlink()
    assert victim.read_text() == "precious\n"


def test_folder_names_that_are_not_utf8_or_hold_control_characters_are_problems(tmp_path):
    import os

    from asp_ft_tui.domain.benchmarks import discover

    root = tmp_path / "benchmarks"
    for raw in (b"b\xff", b"x\nproblem: forged", "evil\u202etxt.lp".encode(), b"good"):
        folder = os.path.join(os.fsencode(root), raw)
        os.makedirs(folder)
        for name in (b"ASP.txt", b"NL.txt"):
            with open(os.path.join(folder, name), "w") as handle:
                handle.write("a." if name == b"ASP.txt" else "A problem.")
    library = discover(root)
    assert [b.id for b in library.benchmarks] == ["good"]
    reasons = sorted(p.reason.split(";")[0] for p in library.problems)
    assert reasons == ["the folder name holds a control character (a newline, a tab, a direction mark, ...)"] * 2 + [
                       "the folder name is not valid UTF-8"]
    for problem in library.problems:
        problem.id.encode("utf-8")  # printable and storable
        assert "\n" not in problem.id


def test_a_hard_linked_lock_file_is_refused_and_left_whole(tmp_path):
    import os

    import pytest

    from asp_ft_tui.store.lock import WorkspaceLock

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "curation").mkdir()
    os.link(victim, tmp_path / "curation" / "lock")
    with pytest.raises(OSError, match="other hard links"):
        WorkspaceLock(tmp_path / "curation" / "lock").acquire()
    assert victim.read_text() == "precious"


def test_a_linked_curation_folder_is_never_written_through(tmp_path):
    import pytest

    from asp_ft_tui.fsio import LinkRefused
    from asp_ft_tui.store import CurationStore
    from asp_ft_tui.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws", with_samples=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ws.curation_dir.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(LinkRefused):
        CurationStore.for_workspace(ws)
    assert list(elsewhere.iterdir()) == []
