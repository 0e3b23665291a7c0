"""The workspace lock: one writer of a workspace (or of any folder it is put in) at a time.

An OS advisory lock (flock) on `data/curation/lock`, so it is released when its holder dies,
even by SIGKILL. The holder's PID is written into the file for the error message. The lock file
is opened with O_NOFOLLOW: a lock file that is a symbolic link is refused, never truncated (it
could point at any file of the user's).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path

from asp_ft_tui.fsio import LinkRefused, make_dirs


class WorkspaceLocked(Exception):
    def __init__(self, path: Path, pid: str) -> None:
        self.path = path
        self.pid = pid
        who = f"PID {pid}" if pid else "another process"
        self.reason = f"workspace in use by {who}"
        """One line for a banner: `workspace in use by PID 123`."""
        super().__init__(f"{self.reason} (lock file {path}); close that asp-ft first")


class WorkspaceLock:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise: WorkspaceLocked (someone holds it), LinkRefused (the lock file
        is a symbolic link) or the OSError of the file system (EROFS on a read-only mount)."""
        if self._fd is not None:
            return
        make_dirs(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise LinkRefused(self.path) from None
            raise
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(errno.EINVAL, "is not a regular file; asp-ft cannot lock it (move it away)",
                              str(self.path))
            if info.st_nlink > 1:
                # A hard link to another file: writing our PID would truncate that file.
                raise OSError(errno.EMLINK, "has other hard links; asp-ft will not write to it (move it away)",
                              str(self.path))
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                raise WorkspaceLocked(self.path, holder) from None
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            except OSError:
                pass  # a full disk: the lock is held all the same, only the PID hint is missing
        except BaseException:
            os.close(fd)  # closing also drops the flock if it was taken
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass  # the PID is only a hint for the message; unlocking is what matters
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> "WorkspaceLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
