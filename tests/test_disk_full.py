"""Full and read-only disks at the storage level: a decision, a sample cache write or an export
that fails with ENOSPC/EROFS keeps every earlier decision, leaves no temporary file, and raises an
OSError naming the file; a workspace on a read-only file system opens read-only and says why.

Each test runs on a real small tmpfs (filled for ENOSPC, remounted read-only for EROFS) where this
machine may mount one, and again with the OSError injected at the system call, which runs anywhere.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest
from mounts import fill, remount_readonly, small_tmpfs
from tiny_dataset import library, sample

from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.export import ExportSettings, export_dataset
from asp_ft_tui.samples import BuildSettings, SampleCache
from asp_ft_tui.store import CurationStore, StoreError
from asp_ft_tui.workspace import Workspace, init_workspace

READ_ONLY = "the workspace is on a read-only file system"


class Disk:
    """A folder whose file system can be made full or read-only, really or by injection."""

    def __init__(self, root: Path, real: bool, monkeypatch) -> None:
        self.root, self.real, self._monkeypatch = root, real, monkeypatch

    @contextmanager
    def full(self):
        if self.real:
            filler = fill(self.root)
            try:
                yield
            finally:
                filler.unlink()
            return
        real_write = os.write

        def no_space(fd, data):
            if stat.S_ISREG(os.fstat(fd).st_mode):  # files only: the clingo workers' pipes still work
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_write(fd, data)

        with self._monkeypatch.context() as patch:
            patch.setattr(os, "write", no_space)
            yield

    def make_readonly(self) -> None:
        if self.real:
            remount_readonly(self.root)
            return
        real_open, real_mkdir, root = os.open, os.mkdir, str(self.root)

        def under(path) -> bool:
            return os.fsdecode(path).startswith(root)

        def ro_open(path, flags, *args, **kwargs):
            if under(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))
            return real_open(path, flags, *args, **kwargs)

        def ro_mkdir(path, *args, **kwargs):
            if under(path):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))
            return real_mkdir(path, *args, **kwargs)

        self._monkeypatch.setattr(os, "open", ro_open)
        self._monkeypatch.setattr(os, "mkdir", ro_mkdir)


@pytest.fixture(params=["tmpfs", "injected"])
def disk(request, tmp_path, monkeypatch):
    if request.param == "tmpfs":
        with small_tmpfs(tmp_path / "disk", size="512k") as root:
            yield Disk(root, True, monkeypatch)
    else:
        root = tmp_path / "disk"
        root.mkdir()
        yield Disk(root, False, monkeypatch)


def temps_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_a_full_disk_during_a_decision_keeps_every_earlier_one(disk):
    store_dir = disk.root / "curation"
    with CurationStore.open(store_dir) as store:
        for i in range(40):
            store.record(f"k{i}", "approved", f"h{i}")
        before = store.decisions()
        files = {p: p.read_bytes() for p in (store_dir / "decisions").iterdir()}
        with disk.full():
            for key in ("k3", "new-key"):  # a shard rewritten, and a new one
                with pytest.raises(OSError) as caught:
                    store.record(key, "rejected", "h-new")
                assert caught.value.errno == errno.ENOSPC
                assert Path(caught.value.filename).parent == store_dir / "decisions", caught.value.filename
                assert not Path(caught.value.filename).name.startswith(".")  # the shard, not a temp
                assert temps_under(disk.root) == []
            assert store.decisions() == before
        assert {p: p.read_bytes() for p in (store_dir / "decisions").iterdir()} == files
        store.record("k3", "rejected", "h-after")  # space again: the store works on
    with CurationStore.open(store_dir) as store:
        assert store.decision("k3").status == "rejected" and len(store.decisions()) == 40


def test_a_full_disk_during_a_cache_write_leaves_no_temp(disk):
    cache = SampleCache(disk.root / "cache" / "samples", BuildSettings())
    with disk.full(), pytest.raises(OSError) as caught:
        cache.save("b1", "print", [sample("b1", 0)])
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(cache.path_for("b1"))
    assert temps_under(disk.root) == []
    assert cache.load("b1", "print") is None


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=1)) as eng:
        yield eng


def test_a_full_disk_during_an_export_leaves_no_half_export_and_keeps_the_last_one(disk, engine):
    data = disk.root / "data"
    samples, benchmarks = library()
    first = export_dataset(samples, benchmarks, data, engine.validate_many)
    kept = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    with disk.full(), pytest.raises(OSError) as caught:
        export_dataset(samples, benchmarks, data, engine.validate_many, ExportSettings(seed=5))
    assert caught.value.errno == errno.ENOSPC
    assert Path(caught.value.filename).parent.parent == data / "exports"  # names the export's file
    assert temps_under(disk.root) == []
    assert [p.name for p in (data / "exports").iterdir()] == [first.export_id]
    assert {p: p.read_bytes() for p in data.rglob("*") if p.is_file()} == kept


def test_a_read_only_workspace_opens_read_only_and_says_why(disk):
    workspace = init_workspace(disk.root / "ws", with_samples=False)
    fresh = init_workspace(disk.root / "fresh", with_samples=False)  # never opened: it has no data/curation yet
    with CurationStore.for_workspace(workspace) as store:
        store.record("b1/instance/0", "approved", "h1")
        store.save_ui_state({"pane": "queue"})
    disk.make_readonly()
    for ws in (Workspace.at(workspace.root), Workspace.at(fresh.root)):
        with CurationStore.for_workspace(ws) as store:
            assert store.readonly and store.readonly_reason == READ_ONLY
            with pytest.raises(StoreError, match="read-only"):
                store.record("b1/instance/0", "rejected", "h1")
    with CurationStore.for_workspace(workspace) as store:
        assert store.decision("b1/instance/0").status == "approved"
        assert store.ui_state() == {"pane": "queue"}


def test_a_read_only_file_system_during_a_decision_keeps_the_old_shard(tmp_path, monkeypatch):
    """A file system turned read-only under an open writer (remount refuses while the lock file
    is open for writing, so this one is injected)."""
    store_dir = tmp_path / "curation"
    with CurationStore.open(store_dir) as store:
        store.record("a", "approved", "h1")
        shard = next((store_dir / "decisions").iterdir())
        old = shard.read_bytes()

        def read_only(src, dst):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), src, None, dst)

        monkeypatch.setattr(os, "replace", read_only)
        with pytest.raises(OSError) as caught:
            store.record("a", "rejected", "h2")
        assert caught.value.errno == errno.EROFS and caught.value.filename == str(shard)
        assert shard.read_bytes() == old and temps_under(tmp_path) == []
        assert store.decision("a").status == "approved"


def test_train_and_valid_copies_change_together_or_not_at_all(tmp_path, monkeypatch, engine):
    """A disk that fills between the two copies (injected at the valid.jsonl copy) must not leave
    data/train.jsonl of the new export beside data/valid.jsonl of the old one."""
    data = tmp_path / "data"
    samples, benchmarks = library()
    export_dataset(samples, benchmarks, data, engine.validate_many)
    kept = {name: (data / name).read_bytes() for name in ("train.jsonl", "valid.jsonl")}
    real_fsync = os.fsync

    def full_at_the_valid_copy(fd):
        name = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if name.parent == data and name.name.startswith(".valid.jsonl."):  # the copy's temporary file
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_at_the_valid_copy)
    with pytest.raises(OSError) as caught:
        export_dataset(samples, benchmarks, data, engine.validate_many, ExportSettings(seed=5))
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(data / "valid.jsonl")
    assert {name: (data / name).read_bytes() for name in kept} == kept
    assert temps_under(tmp_path) == []
