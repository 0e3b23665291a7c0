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
from typing import Any, Iterator

from tinydb.storages import Storage

from asp_ft_tui.fsio import atomic_write_bytes


class StoreError(Exception):
    """The curation DB cannot be used; the message names the file and what to do."""


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
                raw = self.path.read_bytes()
            except FileNotFoundError:
                raw = b""
            try:
                self._data = json.loads(raw) if raw.strip() else None
            except ValueError as err:
                raise StoreError(
                    f"{self.path} is not valid JSON ({err}); asp-ft never leaves a half-written file, "
                    "so it was changed by something else: restore it from a backup or move it away"
                ) from None
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
            self.path.parent.mkdir(parents=True, exist_ok=True)
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
