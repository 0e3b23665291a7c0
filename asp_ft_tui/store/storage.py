"""A TinyDB storage that makes every write durable and atomic.

TinyDB's own JSONStorage rewrites its file in place: a crash mid-write leaves half a JSON
document. This one writes through `fsio.atomic_write_bytes` (temp file, fsync, rename, fsync of
the directory), keeps the last document in memory so reads cost nothing, and can batch several
TinyDB operations into one write.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from tinydb.storages import Storage

from asp_ft_tui.fsio import atomic_write_bytes, make_dirs, read_no_follow


class StoreError(Exception):
    """The curation DB cannot be used; the message names the file and what to do."""


class StoreDamaged(StoreError):
    """A store file exists but holds no usable document (empty, cut short, not JSON, wrong shape).

    Never read as "no decisions": that would let the next write erase them for good. Where the
    store's history holds what the file held, `rebuild_from_history()` writes it back.
    """

    def __init__(self, path: Path, detail: str, rebuild: Callable[[], int] | None = None,
                 hint: str = "restore it from a backup or move it away") -> None:
        self.path = Path(path)
        self.detail = detail
        self._rebuild = rebuild
        self.hint = hint
        super().__init__(f"{self.path} is damaged ({detail}); asp-ft never leaves a half-written file, "
                         f"so something else changed it: {hint}")

    @property
    def can_rebuild(self) -> bool:
        return self._rebuild is not None

    def rebuild_from_history(self) -> int:
        """Write the file back from the history; returns how many decisions it holds now."""
        if self._rebuild is None:
            raise StoreError(f"no history to rebuild {self.path} from: {self.hint}")
        return self._rebuild()


def parse_document(path: Path, raw: bytes) -> dict[str, Any]:
    """A TinyDB document ({table: {doc_id: doc}}), or StoreDamaged naming what is wrong."""
    if not raw.strip():
        raise StoreDamaged(path, f"empty: {len(raw)} bytes")
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise StoreDamaged(path, f"not valid JSON: {err}") from None
    if not isinstance(data, dict) or not all(
        isinstance(table, dict) and all(isinstance(doc, dict) for doc in table.values()) for table in data.values()
    ):
        raise StoreDamaged(path, "valid JSON, but not a table of documents")
    return data


class DurableJSONStorage(Storage):
    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._data: dict[str, Any] | None = None
        self._loaded = False
        self._batch_depth = 0
        self._dirty = False

    def read(self) -> dict[str, Any] | None:
        if not self._loaded:
            try:
                raw = read_no_follow(self.path)
            except FileNotFoundError:
                self._data = None  # not written yet: a new, empty store
            else:
                self._data = parse_document(self.path, raw)
            self._loaded = True
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        if self.readonly:
            raise StoreError(f"{self.path} is open read-only")
        self._data = data
        self._loaded = True
        if self._batch_depth:
            self._dirty = True
            return
        self._flush()

    def _flush(self) -> None:
        payload = json.dumps(self._data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            make_dirs(self.path.parent)
            atomic_write_bytes(self.path, payload)
        except BaseException:
            # TinyDB mutated the cached document in place: forget it, the file is the truth.
            self._loaded = False
            self._data = None
            raise
        self._dirty = False

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Several TinyDB operations, one durable write at the end."""
        self._batch_depth += 1
        try:
            yield
        except BaseException:
            self._loaded = False
            self._data = None
            self._dirty = False
            raise
        finally:
            self._batch_depth -= 1
        if not self._batch_depth and self._dirty:
            self._flush()

    def close(self) -> None:
        pass
