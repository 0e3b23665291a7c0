"""The curation store: durable decisions, append-only history, undo, lock, crash safety."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from asp_ft_tui.store import CurationStore, StoreError, WorkspaceLock, WorkspaceLocked
from asp_ft_tui.store.curation import shard_of


@pytest.fixture
def store_dir(tmp_path) -> Path:
    return tmp_path / "curation"


def test_decisions_survive_reopen_with_their_hash(store_dir):
    with CurationStore.open(store_dir) as store:
        store.record("b1/instance/academic", "approved", "h1")
        store.record("b1/repair/missing_period/7", "rejected", "h2", note="too easy")
        store.record("b1/hard/0/casual", "approved", "h3", edit="a :- b.")
    with CurationStore.open(store_dir, readonly=True) as store:
        found = store.decisions()
    assert {k: d.status for k, d in found.items()} == {
        "b1/instance/academic": "approved",
        "b1/repair/missing_period/7": "rejected",
        "b1/hard/0/casual": "approved",
    }
    assert found["b1/hard/0/casual"].edit == "a :- b."
    assert found["b1/repair/missing_period/7"].note == "too easy"
    assert found["b1/instance/academic"].is_stale("h1-changed")
    assert not found["b1/instance/academic"].is_stale("h1")


def test_history_is_append_only_and_undo_walks_it_back(store_dir):
    with CurationStore.open(store_dir) as store:
        store.record("a", "approved", "h")
        store.record("b", "rejected", "h")
        store.record("a", "rejected", "h2")
        assert store.undo()[0] == "a"
        assert store.decision("a").status == "approved" and store.decision("a").content_hash == "h"
    with CurationStore.open(store_dir) as store:
        key, now = store.undo()
        assert key == "b" and now is None
        store.record("c", "approved", "h")
        assert store.undo() == ("c", None)
        assert store.undo() == ("a", None)
        assert store.undo() is None
        history = store.history()
    assert [(e.key, e.action) for e in history] == [
        ("a", "decide"), ("b", "decide"), ("a", "decide"), ("a", "undo"),
        ("b", "undo"), ("c", "decide"), ("c", "undo"), ("a", "undo"),
    ]
    assert [e.seq for e in history] == list(range(1, 9))
    assert history[3].undoes == 3 and history[-1].undoes == 1


def test_bulk_record_writes_each_touched_shard_once(store_dir, monkeypatch):
    import asp_ft_tui.store.storage as storage

    writes = []
    real = storage.atomic_write_bytes
    monkeypatch.setattr(storage, "atomic_write_bytes", lambda p, d: (writes.append(Path(p).name), real(p, d)))
    keys = [f"bench/{i}" for i in range(300)]
    with CurationStore.open(store_dir) as store:
        writes.clear()
        store.record_many([(k, "approved", "h", None, None) for k in keys])
        assert len(writes) == len({shard_of(k) for k in keys}) == len(set(writes))
        assert len(store.decisions()) == 300


def test_unknown_status_is_refused(store_dir):
    with CurationStore.open(store_dir) as store, pytest.raises(ValueError, match="unknown status"):
        store.record("a", "maybe", "h")


def test_ui_state_and_runs_persist(store_dir):
    with CurationStore.open(store_dir) as store:
        store.save_ui_state({"pane": "queue", "key": "b1/instance/academic"})
        store.save_run("run-1", {"status": "running"})
        store.save_run("run-1", {"status": "finished"})
    with CurationStore.open(store_dir, readonly=True) as store:
        assert store.ui_state() == {"pane": "queue", "key": "b1/instance/academic"}
        assert store.runs() == [{"id": "run-1", "status": "finished"}]


def test_second_writer_gets_a_clear_error_and_readers_are_free(store_dir):
    with CurationStore.open(store_dir):
        with pytest.raises(WorkspaceLocked, match=f"workspace in use by PID {os.getpid()}"):
            CurationStore.open(store_dir)
        with CurationStore.open(store_dir, readonly=True) as reader:
            with pytest.raises(StoreError, match="read-only"):
                reader.record("a", "approved", "h")
    CurationStore.open(store_dir).close()


def test_newer_schema_is_refused(store_dir):
    CurationStore.open(store_dir).close()
    state = store_dir / "state.json"
    data = json.loads(state.read_text())
    data["meta"]["1"]["schema"] = 99
    state.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="schema 99"):
        CurationStore.open(store_dir)
    WorkspaceLock(store_dir / "lock").acquire()  # a failed open releases the lock


def test_a_foreign_broken_file_is_reported_not_overwritten(store_dir):
    with CurationStore.open(store_dir) as store:
        store.record("a", "approved", "h")
    shard = store_dir / "decisions" / f"{shard_of('a')}.json"
    shard.write_text('{"decisions": {"1": ')
    with pytest.raises(StoreError, match="not valid JSON"):
        CurationStore.open(store_dir)
    assert shard.read_text() == '{"decisions": {"1": '


def test_every_decision_fsyncs_its_file_and_directory(store_dir, monkeypatch):
    synced: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def spy(fd):
        info = os.fstat(fd)
        synced.append((info.st_dev, info.st_ino))
        return real_fsync(fd)

    with CurationStore.open(store_dir) as store:
        monkeypatch.setattr(os, "fsync", spy)
        for i in range(20):
            synced.clear()
            key = f"sample-{i}"
            store.record(key, random.choice(["approved", "rejected"]), f"h{i}")
            shard = store_dir / "decisions" / f"{shard_of(key)}.json"
            for path in (shard, shard.parent):
                info = os.stat(path)
                assert (info.st_dev, info.st_ino) in synced, f"{path} was not fsynced for decision {i}"
        synced.clear()
        store.undo()
        assert synced, "undo must be durable too"


WRITER = r"""
import sys
from pathlib import Path
from asp_ft_tui.store import CurationStore
store = CurationStore.open(Path(sys.argv[1]))
round_no = sys.argv[2]
print("ready", flush=True)
i = 0
while True:
    key = f"k{i % 37}"
    status = ("approved", "rejected", "pending")[i % 3]
    store.record(key, status, f"{round_no}-{i}")
    print(f"ack {key} {status} {round_no}-{i}", flush=True)
    i += 1
"""


def test_sigkill_mid_stream_never_loses_an_acknowledged_decision(store_dir):
    rng = random.Random(7)
    expected: dict[str, tuple[str, str]] = {}
    for round_no in range(30):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store_dir), str(round_no)],
            stdout=subprocess.PIPE, text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        acked = []
        for _ in range(rng.randint(1, 120)):
            acked.append(proc.stdout.readline().split())
        os.kill(proc.pid, signal.SIGKILL)
        tail = proc.stdout.read().splitlines()
        proc.wait()
        acked += [line.split() for line in tail if line.startswith("ack ")]
        in_flight_index = int(acked[-1][3].split("-")[1]) + 1
        for _, key, status, content_hash in acked:
            expected[key] = (status, content_hash)
        # Opening as a writer proves the lock was released by the kill.
        with CurationStore.open(store_dir) as store:
            found = {k: (d.status, d.content_hash) for k, d in store.decisions().items()}
            for key, value in expected.items():
                if found[key] != value:
                    # Only the one write in flight at the kill may be newer than its ack.
                    assert found[key][1] == f"{round_no}-{in_flight_index}", (key, found[key], value)
                    expected[key] = found[key]
            seqs = [e.seq for e in store.history()]
            assert seqs == sorted(set(seqs))
    assert len(expected) == 37


def test_a_failed_shard_write_leaves_memory_and_disk_agreeing(store_dir, monkeypatch):
    import asp_ft_tui.store.storage as storage

    keys, i = [], 0
    while len(keys) < 2:
        key = f"k{i}"
        i += 1
        if not keys or shard_of(key) != shard_of(keys[0]):
            keys.append(key)
    real = storage.atomic_write_bytes
    calls = []

    def flaky(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data)

    with CurationStore.open(store_dir) as store:
        monkeypatch.setattr(storage, "atomic_write_bytes", flaky)
        with pytest.raises(OSError):
            store.record_many([(keys[0], "approved", "h1", None, None), (keys[1], "approved", "h2", None, None)])
        monkeypatch.setattr(storage, "atomic_write_bytes", real)
        assert set(store.decisions()) == {keys[0]}
        later = store.record("other", "rejected", "h3")
        assert later.seq == 2
    with CurationStore.open(store_dir) as store:
        assert [e.seq for e in store.history()] == [1, 2]
        assert store.undo()[0] == "other" and store.undo()[0] == keys[0] and store.undo() is None
