"""The decision history log: `data/curation/history.jsonl`, append-only, one JSON line a change.

Each decision shard keeps its own history, so a shard that is damaged (emptied, cut short by a
tool or a disk) loses its history with it. This log is the second copy that can rebuild it: every
history entry with the state it set (status, hash, edit, note), appended and fsynced after the
shard write that made it durable. A shard is written first, so the log never holds a decision
that no shard held; one the log missed (a kill or a full disk between the two writes) is
appended at the next write or the next writable open.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from asp_ft_tui.fsio import LinkRefused, append_durably, read_no_follow

_STATE_FIELDS = ("edit", "note")
_TAIL_BYTES = 1 << 16


class HistoryLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.is_file()

    def lines(self) -> Iterator[dict[str, Any]]:
        """Every readable entry in order; a line cut short (power loss mid-append) is skipped."""
        try:
            raw = read_no_follow(self.path)
        except FileNotFoundError:
            return
        whole = _parse_whole(raw)
        if whole is not None:
            yield from whole
            return
        for line in raw.splitlines():
            entry = _parse(line)
            if entry is not None:
                yield entry

    def last(self) -> dict[str, Any] | None:
        """The latest entry logged (highest seq), read from the end of the file only."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise LinkRefused(self.path) from None
            raise
        with os.fdopen(fd, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read()
        for line in reversed(tail.splitlines()):
            entry = _parse(line)
            if entry is not None:
                return entry
        return max(self.lines(), key=lambda e: e["seq"], default=None) if len(tail) < size else None

    def append(self, entries: Iterable[dict[str, Any]]) -> None:
        data = "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in entries)
        if data:
            append_durably(self.path, data.encode("utf-8"))


def log_line(entry: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """A history entry plus the parts of the state it set that the entry itself does not carry."""
    return {**entry, **{f: state.get(f) for f in _STATE_FIELDS}}


def lines_of(doc: dict[str, Any], after_seq: int) -> list[dict[str, Any]]:
    """Log lines for a shard document's history entries newer than `after_seq`. The state an entry
    set is the `previous` of the entry after it, or the document itself for the last one."""
    history = doc.get("history", [])
    out = []
    for i, entry in enumerate(history):
        if entry["seq"] > after_seq:
            state = history[i + 1]["previous"] if i + 1 < len(history) else doc
            out.append(log_line(entry, state))
    return out


def rebuild_docs(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shard documents (as `CurationStore` writes them) from log lines, oldest key first."""
    by_key: dict[str, dict[int, dict[str, Any]]] = {}
    for line in lines:
        by_key.setdefault(line["key"], {})[line["seq"]] = line  # a line logged twice counts once
    docs = []
    for key, entries in by_key.items():
        ordered = [entries[seq] for seq in sorted(entries)]
        last = ordered[-1]
        docs.append({
            "key": key, "status": last["status"], "hash": last["hash"],
            **{f: last.get(f) for f in _STATE_FIELDS},
            "at": last["at"], "seq": last["seq"],
            "history": [{k: v for k, v in e.items() if k not in _STATE_FIELDS} for e in ordered],
        })
    return sorted(docs, key=lambda d: d["history"][0]["seq"])


def _parse_whole(raw: bytes) -> list[dict[str, Any]] | None:
    """Every entry of an intact log in one parse (20,000 lines parsed one by one were a third of
    opening the store); None when some line is not a whole entry, to be read line by line. JSON
    text holds no raw line breaks, so lines joined by commas parse only when each is whole (a blank
    line leaves two commas in a row)."""
    try:
        entries = json.loads(b"[" + b",".join(raw.splitlines()) + b"]")
    except ValueError:
        return None
    if not all(isinstance(e, dict) and isinstance(e.get("seq"), int) and isinstance(e.get("key"), str)
               for e in entries):
        return None
    return entries


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("seq"), int) or not isinstance(entry.get("key"), str):
        return None
    return entry
