"""The curation store: review decisions, their history, UI state and training runs.

On disk (`data/curation/` of a workspace), all TinyDB files written by `DurableJSONStorage`:

    state.json           tables meta (schema version), ui (where the reviewer was), runs
    decisions/XX.json    decisions sharded by a hash of the sample key (256 shards), so one
                         decision rewrites one small file, not every decision ever made
    history.jsonl        every history entry again, append-only: what rebuilds a damaged shard
    lock                 the workspace lock; only writers take it

A decision is keyed by the sample key and remembers the content hash it was made on. Each
decision document carries its own append-only history; undo appends an entry too, so history
is never rewritten. A call that records a decision returns only once it is on disk.

A writer that cannot take the lock because the workspace is on a read-only file system (or one
it may not write to) opens read-only instead and says why in `readonly_reason`; so does one that
finds the workspace in use, when asked with `readonly_if_busy=True`.
"""

from __future__ import annotations

import errno
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from tinydb import TinyDB

from asp_ft_tui.fsio import LinkRefused, make_dirs, remove_stale_temps
from asp_ft_tui.redaction import redact_data
from asp_ft_tui.store.history import lines_of, log_line
from asp_ft_tui.store.lock import WorkspaceLock, WorkspaceLocked
from asp_ft_tui.store.recovery import damaged_shard, history_log, readonly_reason, shard_of, shard_path
from asp_ft_tui.store.storage import DurableJSONStorage, StoreDamaged, StoreError

SCHEMA_VERSION = 1
STATUSES = ("approved", "rejected", "pending")
_DECISION_FIELDS = ("status", "hash", "edit", "note")


@dataclass(frozen=True)
class Decision:
    key: str
    status: str
    content_hash: str
    at: float
    seq: int
    edit: str | None = None
    note: str | None = None

    def is_stale(self, current_hash: str) -> bool:
        """True when the sample changed since this decision was made on it."""
        return self.content_hash != current_hash


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    key: str
    action: str
    """`decide` or `undo`."""
    status: str | None
    content_hash: str | None
    at: float
    undoes: int | None = None


class CurationStore:
    """Open with `CurationStore.open(directory)` (a writer, takes the lock) or `readonly=True`.

    Opening raises StoreDamaged when a store file is unusable (see `rebuild_from_history()`).
    """

    def __init__(self, directory: Path, *, readonly: bool = False, readonly_if_busy: bool = False,
                 clock: Callable[[], float] = time.time):
        self.directory = Path(directory)
        self.readonly = readonly
        self.readonly_reason: str | None = None
        """Why a writer was opened read-only after all (one line for a banner), else None."""
        self._clock = clock
        self._mutex = threading.RLock()
        self._lock: WorkspaceLock | None = None
        self._shards: dict[str, TinyDB] = {}
        self._docs: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._undo_stack: list[tuple[int, str]] = []
        self._seq = 0
        self._log = history_log(self.directory)
        self._unlogged: list[dict[str, Any]] = []
        if not readonly:
            self._take_lock(readonly_if_busy)
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, directory: Path, **kwargs: Any) -> "CurationStore":
        return cls(directory, **kwargs)

    @classmethod
    def for_workspace(cls, workspace: Any, **kwargs: Any) -> "CurationStore":
        for folder in (workspace.data_dir, workspace.curation_dir):
            if folder.is_symlink():  # the store would be written wherever the link points
                raise LinkRefused(folder)
        return cls(workspace.curation_dir, **kwargs)

    # -- opening -----------------------------------------------------------------------------
    def _take_lock(self, readonly_if_busy: bool) -> None:
        lock = WorkspaceLock(self.directory / "lock")
        try:
            lock.acquire()
        except WorkspaceLocked as err:
            if not readonly_if_busy:
                raise
            self.readonly, self.readonly_reason = True, err.reason
            return
        except OSError as err:
            reason = readonly_reason(err, self.directory)
            if reason is None:
                raise
            self.readonly, self.readonly_reason = True, reason
            return
        self._lock = lock

    def _open(self) -> None:
        shard_dir = self.directory / "decisions"
        # The log's end is read before the shards: a writer appends to it only after the shard
        # write, so a reader racing a writer never finds the log ahead of what it read.
        logged_seqs: dict[str, int] = {}
        for entry in self._log.lines():
            key, seq = entry["key"], entry["seq"]
            if seq > logged_seqs.get(key, 0):
                logged_seqs[key] = seq
        logged = max(logged_seqs.values(), default=0)
        if not self.readonly:
            make_dirs(shard_dir)
            remove_stale_temps(self.directory)
            remove_stale_temps(shard_dir)
        self._state = self._tinydb(self.directory / "state.json")
        meta = self._state.table("meta")
        found = meta.get(doc_id=1)
        if found is None:
            if not self.readonly:
                meta.insert({"schema": SCHEMA_VERSION, "created": self._clock()})
        elif found.get("schema", 0) > SCHEMA_VERSION:
            raise StoreError(
                f"{self.directory} holds curation schema {found.get('schema')}; this asp-ft reads up to "
                f"{SCHEMA_VERSION}: upgrade asp-ft"
            )
        if shard_dir.is_dir():
            for path in sorted(shard_dir.glob("*.json")):
                shard = path.stem
                for doc in self._read_shard(shard):
                    self._docs[doc["key"]] = (shard, doc.doc_id, dict(doc))
        entries = [entry for _, _, doc in self._docs.values() for entry in doc.get("history", [])]
        undone = {e["undoes"] for e in entries if e.get("undoes") is not None}
        self._seq = max((e["seq"] for e in entries), default=0)
        self._undo_stack = sorted(
            (e["seq"], e["key"]) for e in entries if e["action"] == "decide" and e["seq"] not in undone
        )
        for key, seq in logged_seqs.items():
            found = self._docs.get(key)
            if found is None or found[2]["seq"] < seq:
                # A shard file deleted, emptied to valid JSON or put back from an old copy: it
                # lacks what the log holds.
                raise damaged_shard(self.directory, shard_of(key),
                                    f"missing decision {seq} ({key}), which the history holds")
        if not self.readonly:
            # Catch the log up: decisions made before it existed, or one a kill kept out of it.
            self._unlogged = sorted((line for _, _, doc in self._docs.values() for line in lines_of(doc, logged)),
                                    key=lambda line: line["seq"])
            self._write_log()

    def _read_shard(self, shard: str) -> list:
        try:
            docs = self._shard(shard).table("decisions").all()
            if not all(_well_formed(doc) for doc in docs):
                raise StoreDamaged(shard_path(self.directory, shard), "a decision without its key, seq or history")
            return docs
        except StoreDamaged as err:
            self._shards.pop(shard, None)
            raise damaged_shard(self.directory, shard, err.detail) from None

    def _tinydb(self, path: Path) -> TinyDB:
        return TinyDB(path, storage=DurableJSONStorage, readonly=self.readonly)

    def _shard(self, shard: str) -> TinyDB:
        db = self._shards.get(shard)
        if db is None:
            db = self._shards[shard] = self._tinydb(shard_path(self.directory, shard))
        return db

    def close(self) -> None:
        for db in self._shards.values():
            db.close()
        self._shards.clear()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> "CurationStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- decisions ---------------------------------------------------------------------------
    def decision(self, key: str) -> Decision | None:
        found = self._docs.get(key)
        return _as_decision(found[2]) if found else None

    def decided(self) -> list[str]:
        """The keys that have a decision document (pending again after an undo, too)."""
        with self._mutex:
            return list(self._docs)

    def decisions(self) -> dict[str, Decision]:
        out = {}
        with self._mutex:
            items = list(self._docs.items())
        for key, (_, _, doc) in items:
            decision = _as_decision(doc)
            if decision is not None:
                out[key] = decision
        return out

    def record(
        self, key: str, status: str, content_hash: str, *, edit: str | None = None, note: str | None = None
    ) -> Decision:
        """Record one decision; it is durable (file and folder fsynced) when this returns."""
        return self.record_many([(key, status, content_hash, edit, note)])[0]

    def record_many(self, items: Iterable[tuple[str, str, str, str | None, str | None]]) -> list[Decision]:
        """Record several decisions with one write per touched shard (bulk approve)."""
        self._check_writable()
        with self._mutex:
            changes = []
            for key, status, content_hash, edit, note in items:
                if status not in STATUSES:
                    raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
                state = {"status": status, "hash": content_hash, "edit": edit, "note": note}
                changes.append((key, state, "decide", None))
            written = self._apply(changes)
            return [_as_decision(self._docs[e["key"]][2]) for e in written]

    def undo(self) -> tuple[str, Decision | None] | None:
        """Undo the latest decision not yet undone: (key, decision now in force) or None."""
        self._check_writable()
        with self._mutex:
            if not self._undo_stack:
                return None
            seq, key = self._undo_stack[-1]
            doc = self._docs[key][2]
            entry = next(e for e in doc["history"] if e["seq"] == seq)
            self._apply([(key, dict(entry["previous"]), "undo", seq)])
            self._undo_stack.pop()
            return key, self.decision(key)

    def history(self, key: str | None = None) -> list[HistoryEntry]:
        with self._mutex:
            if key is None:
                docs = [d for _, _, d in self._docs.values()]
            else:
                docs = [self._docs[key][2]] if key in self._docs else []
        entries = [
            HistoryEntry(
                seq=e["seq"], key=e["key"], action=e["action"], status=e.get("status"),
                content_hash=e.get("hash"), at=e["at"], undoes=e.get("undoes"),
            )
            for doc in docs
            for e in doc.get("history", [])
        ]
        return sorted(entries, key=lambda e: e.seq)

    def _apply(self, changes: list[tuple[str, dict[str, Any], str, int | None]]) -> list[dict[str, Any]]:
        """Write changes shard by shard; memory follows each shard as soon as it is on disk, so a
        failure part-way leaves memory and disk agreeing on what was written."""
        by_shard: dict[str, list] = {}
        for change in changes:
            by_shard.setdefault(shard_of(change[0]), []).append(change)
        written = []
        try:
            self._apply_shards(by_shard, written)
        finally:
            self._write_log()
        return written

    def _apply_shards(self, by_shard: dict[str, list], written: list[dict[str, Any]]) -> None:
        for shard, shard_changes in by_shard.items():
            db = self._shard(shard)
            table = db.table("decisions")
            seq = self._seq
            pending: dict[str, tuple[str, int | None, dict[str, Any]]] = {}
            entries, logged = [], []
            with db.storage.batch():
                for key, state, action, undoes in shard_changes:
                    seq += 1
                    now = self._clock()
                    old = pending[key][2] if key in pending else (self._docs[key][2] if key in self._docs else None)
                    previous = {f: (old or {}).get(f) for f in _DECISION_FIELDS}
                    entry = {"seq": seq, "key": key, "action": action, "status": state["status"],
                             "hash": state["hash"], "at": now, "previous": previous}
                    if undoes is not None:
                        entry["undoes"] = undoes
                    doc = {"key": key, **state, "at": now, "seq": seq,
                           "history": [*(old or {}).get("history", []), entry]}
                    doc_id = pending[key][1] if key in pending else (self._docs[key][1] if key in self._docs else None)
                    if doc_id is None:
                        doc_id = table.insert(doc)
                    else:
                        table.update(doc, doc_ids=[doc_id])
                    pending[key] = (shard, doc_id, doc)
                    entries.append(entry)
                    logged.append(log_line(entry, state))
            self._docs.update(pending)
            self._unlogged += logged
            self._seq = seq
            self._undo_stack += [(e["seq"], e["key"]) for e in entries if e["action"] == "decide"]
            written += entries

    def _write_log(self) -> None:
        """Append what the log lacks. Its failure (a full disk) is not the decision's: that is
        durable in its shard, and the log catches up with the next write or open."""
        if not self._unlogged:
            return
        try:
            self._log.append(self._unlogged)
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                return
            raise
        self._unlogged.clear()

    def _check_writable(self) -> None:
        if self.readonly:
            raise StoreError(f"the curation DB at {self.directory} is open read-only")

    # -- UI state and runs -------------------------------------------------------------------
    def ui_state(self) -> dict[str, Any]:
        doc = self._state.table("ui").get(doc_id=1)
        return dict(doc) if doc else {}

    def save_ui_state(self, state: dict[str, Any]) -> None:
        self._check_writable()
        with self._mutex:
            table = self._state.table("ui")
            with self._state.storage.batch():
                table.truncate()
                table.insert(dict(state))

    def save_run(self, run_id: str, data: dict[str, Any]) -> None:
        self._check_writable()
        from tinydb import where

        # A run record holds error texts (a teacher's, a trainer's): they pass the one redactor.
        with self._mutex:
            self._state.table("runs").upsert(redact_data({"id": run_id, **data}), where("id") == run_id)

    def runs(self) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self._state.table("runs").all()]


def _well_formed(doc: dict[str, Any]) -> bool:
    history = doc.get("history")
    return (isinstance(doc.get("key"), str) and isinstance(doc.get("seq"), int) and isinstance(history, list)
            and all(isinstance(e, dict) and isinstance(e.get("seq"), int) and "action" in e for e in history))


def _as_decision(doc: dict[str, Any]) -> Decision | None:
    if doc.get("status") is None:
        return None
    return Decision(
        key=doc["key"], status=doc["status"], content_hash=doc["hash"], at=doc["at"], seq=doc["seq"],
        edit=doc.get("edit"), note=doc.get("note"),
    )
