"""The workspace lock: one writer of the curation DB at a time.

An OS advisory lock (flock) on `data/curation/lock`, so it is released when its holder dies,
even by SIGKILL. The holder's PID is written into the file for the error message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class WorkspaceLocked(Exception):
    def __init__(self, path: Path, pid: str) -> None:
        self.path = path
        self.pid = pid
        who = f"PID {pid}" if pid else "another process"
        super().__init__(f"workspace in use by {who} (lock file {path}); close that asp-ft first")


class WorkspaceLock:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise WorkspaceLocked(self.path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> "WorkspaceLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
