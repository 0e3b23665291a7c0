"""The store says when something is wrong: a damaged shard is reported (never read as "no
decisions") and rebuilt from the history log; history() reads under the store's lock."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from asp_ft_tui.store import CurationStore, StoreDamaged
from asp_ft_tui.store.curation import shard_of
from asp_ft_tui.store.recovery import shard_path


@pytest.fixture
def store_dir(tmp_path) -> Path:
    return tmp_path / "curation"


def same_shard_keys(n: int) -> list[str]:
    keys = [f"bench/{i}" for i in range(4000)]
    first = shard_of(keys[0])
    return [k for k in keys if shard_of(k) == first][:n]


def fill(store_dir: Path) -> tuple[list[str], dict, list]:
    keys = same_shard_keys(3)
    with CurationStore.open(store_dir) as store:
        store.record(keys[0], "approved", "h0", edit="a :- b.", note="fixed")
        store.record(keys[1], "rejected", "h1", note="too easy")
        store.record(keys[2], "approved", "h2")
        store.record(keys[1], "approved", "h1b")
        store.record("elsewhere", "approved", "hx")
        store.undo()  # the undo of "elsewhere"
        store.undo()  # keys[1] back to rejected
        return keys, store.decisions(), store.history()


DAMAGE = {
    "empty": lambda raw: b"",
    "cut short": lambda raw: raw[: len(raw) // 2],
    "whitespace": lambda raw: b"\n  \n",
    "wrong shape": lambda raw: b"[]",
    "a document without its key": lambda raw: b'{"decisions": {"1": {"status": "approved"}}}',
    "deleted": None,
    "an older copy": lambda raw: b'{"decisions": {}}',
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_shard_is_reported_and_rebuilt_from_the_history(store_dir, damage):
    keys, decisions, history = fill(store_dir)
    shard = store_dir / "decisions" / f"{shard_of(keys[0])}.json"
    if DAMAGE[damage] is None:
        shard.unlink()
    else:
        shard.write_bytes(DAMAGE[damage](shard.read_bytes()))
    for readonly in (False, True):
        with pytest.raises(StoreDamaged) as caught:
            CurationStore.open(store_dir, readonly=readonly)
        assert caught.value.path == shard and str(shard) in str(caught.value)
        assert "history" in str(caught.value) and caught.value.can_rebuild
    assert caught.value.rebuild_from_history() == 3
    kept = [p.name for p in shard.parent.iterdir() if ".damaged-" in p.name]
    assert len(kept) == (DAMAGE[damage] is not None)  # the damaged file is kept aside, not deleted
    with CurationStore.open(store_dir) as store:
        assert store.decisions() == decisions
        assert store.history() == history
        assert store.undo()[0] == keys[2]  # the undo stack came back too
        assert store.decision(keys[0]).edit == "a :- b." and store.decision(keys[0]).note == "fixed"


def test_a_damaged_state_file_is_reported_without_a_rebuild(store_dir):
    fill(store_dir)
    (store_dir / "state.json").write_bytes(b"")
    with pytest.raises(StoreDamaged, match="state.json is damaged \\(empty") as caught:
        CurationStore.open(store_dir)
    assert not caught.value.can_rebuild


def test_decisions_made_before_the_history_log_existed_are_logged_at_the_next_open(store_dir):
    keys, decisions, history = fill(store_dir)
    log = store_dir / "history.jsonl"
    whole = log.read_bytes()
    log.unlink()  # a store written by an asp-ft without the log
    CurationStore.open(store_dir).close()
    assert log.read_bytes() == whole
    # A kill between a shard write and its log line: the next open appends the missing line.
    log.write_bytes(b"".join(whole.splitlines(keepends=True)[:-2]))
    CurationStore.open(store_dir).close()
    assert [json.loads(line)["seq"] for line in log.read_bytes().splitlines()] == [e.seq for e in history]
    (store_dir / "decisions" / f"{shard_of(keys[0])}.json").write_bytes(b"")
    with pytest.raises(StoreDamaged) as caught:
        CurationStore.open(store_dir)
    caught.value.rebuild_from_history()
    with CurationStore.open(store_dir, readonly=True) as store:
        assert store.decisions() == decisions


def test_history_reads_under_the_store_lock(store_dir, monkeypatch):
    """A history() call made while a decision is being written sees it once it is written,
    never a store half way through the change."""
    with CurationStore.open(store_dir) as store:
        store.record("first", "approved", "h1")
        writing, release = threading.Event(), threading.Event()
        real_fsync = os.fsync

        def slow_fsync(fd):
            if threading.current_thread().name == "writer" and not writing.is_set():
                writing.set()
                release.wait(60)
            return real_fsync(fd)

        monkeypatch.setattr(os, "fsync", slow_fsync)
        writer = threading.Thread(target=store.record, args=("second", "approved", "h2"), name="writer")
        writer.start()
        assert writing.wait(60)
        seen: list = []
        reader = threading.Thread(target=lambda: seen.extend(store.history()))
        reader.start()
        reader.join(2)  # unlocked, the read would be done by now; locked, it waits for the writer
        release.set()
        writer.join(60)
        reader.join(60)
        assert [e.key for e in seen] == ["first", "second"]


def test_a_reader_racing_a_writer_never_reports_damage(store_dir, monkeypatch):
    """The writer records a decision after the reader read that shard and before it looks at the
    history log: the log is ahead of what the reader read, which is no damage."""
    from asp_ft_tui.store import storage

    with CurationStore.open(store_dir) as writer:
        for key in ("a", "b", "c", "d"):
            writer.record(key, "approved", "h")
        shards = sorted((store_dir / "decisions").glob("*.json"))
        first_key = next(k for k in "abcd" if shard_of(k) == shards[0].stem)
        real_read = storage.DurableJSONStorage.read

        def read(self):
            data = real_read(self)
            if self.readonly and self.path == shards[-1]:
                writer.record(first_key, "rejected", "h2")
            return data

        monkeypatch.setattr(storage.DurableJSONStorage, "read", read)
        with CurationStore.open(store_dir, readonly=True) as reader:
            assert reader.decision(first_key).status == "approved"  # what it read: consistent, not damage


@pytest.mark.parametrize("damage", ["deleted", "empty object", "empty table"])
def test_a_shard_deleted_or_emptied_to_valid_json_is_damage_too(store_dir, damage):
    with CurationStore(store_dir) as store:
        for n in range(40):
            store.record(f"bench::hard::{n}", "approved", "h")
        keys = list(store.decisions())
    victim = shard_path(store_dir, shard_of(keys[0]))
    if damage == "deleted":
        victim.unlink()
    else:
        victim.write_text("{}" if damage == "empty object" else '{"decisions": {}}')
    with pytest.raises(StoreDamaged) as caught:
        CurationStore(store_dir)
    assert str(victim.name) in str(caught.value)
