"""The curation store: review decisions, their history, UI state and training runs.

On disk (`data/curation/` of a workspace), all TinyDB files written by `DurableJSONStorage`:

    state.json           tables meta (schema version), ui (where the reviewer was), runs
    decisions/XX.json    decisions sharded by a hash of the sample key (256 shards), so one
                         decision rewrites one small file, not every decision ever made
    lock                 the workspace lock; only writers take it

A decision is keyed by the sample key and remembers the content hash it was made on. Each
decision document carries its own append-only history; undo appends an entry too, so history
is never rewritten. A call that records a decision returns only once it is on disk.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from tinydb import TinyDB

from asp_ft_tui.fsio import remove_stale_temps
from asp_ft_tui.store.lock import WorkspaceLock
from asp_ft_tui.store.storage import DurableJSONStorage, StoreError

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


def shard_of(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=1).hexdigest()


class CurationStore:
    """Open with `CurationStore.open(directory)` (a writer, takes the lock) or `readonly=True`."""

    def __init__(self, directory: Path, *, readonly: bool = False, clock: Callable[[], float] = time.time):
        self.directory = Path(directory)
        self.readonly = readonly
        self._clock = clock
        self._mutex = threading.RLock()
        self._lock: WorkspaceLock | None = None
        self._shards: dict[str, TinyDB] = {}
        self._docs: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._undo_stack: list[tuple[int, str]] = []
        self._seq = 0
        if not readonly:
            self._lock = WorkspaceLock(self.directory / "lock")
            self._lock.acquire()
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
        return cls(workspace.curation_dir, **kwargs)

    # -- opening -----------------------------------------------------------------------------
    def _open(self) -> None:
        shard_dir = self.directory / "decisions"
        if not self.readonly:
            shard_dir.mkdir(parents=True, exist_ok=True)
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
                for doc in self._shard(shard).table("decisions").all():
                    self._docs[doc["key"]] = (shard, doc.doc_id, dict(doc))
        entries = [entry for _, _, doc in self._docs.values() for entry in doc.get("history", [])]
        undone = {e["undoes"] for e in entries if e.get("undoes") is not None}
        self._seq = max((e["seq"] for e in entries), default=0)
        self._undo_stack = sorted(
            (e["seq"], e["key"]) for e in entries if e["action"] == "decide" and e["seq"] not in undone
        )

    def _tinydb(self, path: Path) -> TinyDB:
        return TinyDB(path, storage=DurableJSONStorage, readonly=self.readonly)

    def _shard(self, shard: str) -> TinyDB:
        db = self._shards.get(shard)
        if db is None:
            db = self._shards[shard] = self._tinydb(self.directory / "decisions" / f"{shard}.json")
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
        docs = [self._docs[key][2]] if key is not None and key in self._docs else (
            [] if key is not None else [d for _, _, d in self._docs.values()]
        )
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
        for shard, shard_changes in by_shard.items():
            db = self._shard(shard)
            table = db.table("decisions")
            seq = self._seq
            pending: dict[str, tuple[str, int | None, dict[str, Any]]] = {}
            entries = []
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
            self._docs.update(pending)
            self._seq = seq
            self._undo_stack += [(e["seq"], e["key"]) for e in entries if e["action"] == "decide"]
            written += entries
        return written

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

        with self._mutex:
            self._state.table("runs").upsert({"id": run_id, **data}, where("id") == run_id)

    def runs(self) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self._state.table("runs").all()]


def _as_decision(doc: dict[str, Any]) -> Decision | None:
    if doc.get("status") is None:
        return None
    return Decision(
        key=doc["key"], status=doc["status"], content_hash=doc["hash"], at=doc["at"], seq=doc["seq"],
        edit=doc.get("edit"), note=doc.get("note"),
    )
