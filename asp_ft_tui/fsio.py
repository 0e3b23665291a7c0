"""Durable file writes: a file written here is complete on disk, or not there at all.

Every write goes to a temporary file beside the target, is fsynced, renamed over the target, and
the directory is fsynced, so a kill -9 at any moment leaves either the old or the new content.

Nothing is written through a symbolic link: a target that is a link is refused (someone could
point `structure.json` at a file of theirs), the temporary file is created with O_EXCL and
O_NOFOLLOW under a unique name (two writers of one file never share a temp), and rename replaces
a link rather than following it. A failed write removes its temporary file and raises an OSError
that names the target file, so callers can say "no space left on device while writing <file>".
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


class LinkRefused(OSError):
    """A file asp-ft would write (or lock) is a symbolic link; it is never written through."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(errno.ELOOP, "refusing to write through a symbolic link", str(path))

    def __str__(self) -> str:
        return f"{self.filename} is a symbolic link; asp-ft never writes through one (remove the link)"


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """`mkdir -p` whose new folders survive a crash: each new entry's parent is fsynced."""
    path = Path(path)
    missing = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # another writer made it meanwhile (and fsynced it)
        fsync_dir(folder.parent)


def refuse_link(path: Path) -> None:
    if os.path.islink(path):
        raise LinkRefused(path)


def _named(err: OSError, path: Path) -> OSError:
    """The same error, naming the file the caller wanted to write (not our temporary file)."""
    if err.filename == str(path) or isinstance(err, LinkRefused):
        return err
    return OSError(err.errno, err.strerror, str(path))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_many({Path(path): data})


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_many(contents: dict[Path, bytes]) -> None:
    """Write several files all or none: every temporary file is written and fsynced before the
    first rename, so a full disk leaves all the old files (train.jsonl never pairs with the
    valid.jsonl of another export)."""
    temps: dict[Path, Path] = {}
    try:
        for path, data in contents.items():
            refuse_link(path)
            temps[path] = _write_temp(path, data)
        for path, tmp in temps.items():
            try:
                os.replace(tmp, path)
            except OSError as err:
                raise _named(err, path) from err
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)  # only those a failure left behind still exist
    for folder in {path.parent for path in contents}:
        try:
            fsync_dir(folder)
        except OSError as err:
            raise _named(err, folder) from err


def _write_temp(path: Path, data: bytes) -> Path:
    """`data` in a new fsynced file beside `path`; mkstemp opens it O_CREAT|O_EXCL|O_NOFOLLOW
    under a random name. Removed again if anything fails."""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise _named(err, path) from err
    try:
        try:
            os.fchmod(fd, 0o644)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException as err:
        os.unlink(tmp_name)
        if isinstance(err, OSError):
            raise _named(err, path) from err
        raise
    return Path(tmp_name)


def atomic_copy(sources: dict[Path, Path]) -> None:
    """Copy files durably, all or none: {target: source}."""
    atomic_write_many({Path(target): Path(source).read_bytes() for target, source in sources.items()})


def read_no_follow(path: Path) -> bytes:
    """A file's bytes, refusing a symbolic link (LinkRefused) like the writes do."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise LinkRefused(path) from None
        raise
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def append_durably(path: Path, data: bytes) -> None:
    """Append to a file (never through a link) and fsync it; on failure the file is cut back to
    its old length, so a partial line never stays behind."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise LinkRefused(path) from None
        raise _named(err, path) from err
    try:
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError as err:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass  # the reader skips a partial last line
            raise _named(err, path) from err
        if size == 0:
            fsync_dir(path.parent)
    finally:
        os.close(fd)


def remove_stale_temps(directory: Path) -> int:
    """Delete temporary files a killed writer left behind; call only while holding the lock."""
    removed = 0
    for tmp in directory.glob(".*.tmp"):
        if tmp.is_file() and not tmp.is_symlink():
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed
