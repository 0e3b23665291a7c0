"""One writer per workspace, at the storage level: the lock's file descriptor is released on every
failure, a busy workspace can be opened read-only with the reason, two exports at once never
share a temporary file."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import threading

import pytest
from mounts import fill, small_tmpfs
from tiny_dataset import library

from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.export import ExportSettings, export_dataset
from asp_ft_tui.store import CurationStore, WorkspaceLock, WorkspaceLocked


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_a_lock_that_cannot_be_taken_closes_its_file(tmp_path, monkeypatch):
    lock_path = tmp_path / "curation" / "lock"
    before = open_fds()
    with monkeypatch.context() as patch:
        patch.setattr(fcntl, "flock", lambda fd, op: (_ for _ in ()).throw(OSError(errno.ENOLCK, "No locks")))
        with pytest.raises(OSError, match="No locks"):
            WorkspaceLock(lock_path).acquire()
    assert open_fds() == before
    lock_path.unlink()
    os.mkfifo(lock_path)  # not a file it could ever truncate
    with pytest.raises(OSError) as caught:
        WorkspaceLock(lock_path).acquire()
    assert caught.value.errno == errno.EINVAL and caught.value.filename == str(lock_path)
    assert open_fds() == before and stat.S_ISFIFO(os.stat(lock_path).st_mode)


def test_a_full_disk_cannot_leave_the_lock_taken(tmp_path):
    with small_tmpfs(tmp_path / "disk") as disk:
        lock_path = disk / "curation" / "lock"
        lock_path.parent.mkdir()
        filler = fill(disk)
        before = open_fds()
        lock = WorkspaceLock(lock_path)
        try:
            lock.acquire()  # the PID does not fit on the disk; the lock is taken all the same
            with pytest.raises(WorkspaceLocked):
                WorkspaceLock(lock_path).acquire()
        finally:
            lock.release()
        assert open_fds() == before
        with WorkspaceLock(lock_path):
            pass
        filler.unlink()


def test_a_busy_workspace_opens_read_only_with_the_reason_when_asked(tmp_path):
    store_dir = tmp_path / "curation"
    with CurationStore.open(store_dir) as writer:
        writer.record("a", "approved", "h")
        with pytest.raises(WorkspaceLocked):
            CurationStore.open(store_dir)
        with CurationStore.open(store_dir, readonly_if_busy=True) as reader:
            assert reader.readonly and reader.readonly_reason == f"workspace in use by PID {os.getpid()}"
            assert reader.decision("a").status == "approved"
        assert writer.readonly_reason is None
    with CurationStore.open(store_dir, readonly_if_busy=True) as store:
        assert not store.readonly and store.readonly_reason is None


@pytest.fixture
def engine():
    with Engine(EngineConfig(workers=1)) as eng:
        yield eng


def test_two_exports_at_once_never_share_a_temporary_file(tmp_path, monkeypatch, engine):
    data = tmp_path / "data"
    (data / "exports").mkdir(parents=True)
    samples, benchmarks = library()
    # Both exports reach their first fsync with their first file written and still open, then go
    # on together: with a shared temporary name one would truncate or move the other's file.
    barrier, first = threading.Barrier(2, timeout=60), threading.local()
    real_fsync = os.fsync

    def meet(fd):
        if threading.current_thread().name.startswith("export") and not getattr(first, "done", False):
            first.done = True
            barrier.wait()
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", meet)
    results, errors = {}, []

    def run(seed: int) -> None:
        try:
            results[seed] = export_dataset(samples, benchmarks, data, engine.validate_many, ExportSettings(seed=seed))
        except BaseException as err:
            errors.append(err)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(seed,), name=f"export-{seed}") for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(results) == 2 and not [p for p in data.rglob("*") if p.name.endswith(".tmp")]
    for result in results.values():
        assert (result.path / "train.jsonl").read_text().count("\n") == result.counts["train"]
    assert (data / "train.jsonl").read_bytes() in {(r.path / "train.jsonl").read_bytes() for r in results.values()}
