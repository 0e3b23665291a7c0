"""A run's events file: one JSON object a line, appended by the worker, followed by readers.

Kinds: `start` (settings, resumed_from), `train` (iteration, train_loss, learning_rate,
iterations_per_second, tokens_per_second, trained_tokens, peak_memory in GB), `val` (iteration,
val_loss, val_time), `checkpoint` (iteration, path), `stopping`, `end` (iteration, reason:
finished | stopped), `failed` (reason). Every event carries `time` (epoch seconds).

The writer flushes and fsyncs each line, so a reader never misses a reported step and a crash
leaves at most one partial last line, which readers skip until it is complete.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterator

EVENTS_NAME = "events.jsonl"


class EventWriter:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        self._fd = os.open(self.path, flags, 0o644)
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            os.write(self._fd, b"\n")  # an earlier worker was killed mid-line: keep ours apart

    def emit(self, kind: str, **data: Any) -> dict:
        event = {"kind": kind, "time": round(time.time(), 3), **data}
        line = (json.dumps(event, allow_nan=True) + "\n").encode("utf-8")
        os.write(self._fd, line)
        os.fsync(self._fd)
        return event

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class EventReader:
    """Reads new complete lines since the last call; keeps only its byte offset."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.offset = 0

    def read_new(self) -> list[dict]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        return list(_parse(data[: end + 1]))


def read_events(path: Path) -> list[dict]:
    return EventReader(path).read_new()


def _parse(data: bytes) -> Iterator[dict]:
    for raw in data.splitlines():
        try:
            event = json.loads(raw)
        except ValueError:
            continue  # a line cut by a crash of an earlier worker of the same run
        if isinstance(event, dict) and "kind" in event:
            yield event
