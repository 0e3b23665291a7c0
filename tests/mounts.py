"""Real small file systems for tests of full and read-only disks (no conftest magic: import it).

    with small_tmpfs(tmp_path / "disk", size="256k") as disk:
        ...                      # a real tmpfs: writes really fail with ENOSPC once it is full
        fill(disk)               # take every free byte
        remount_readonly(disk)   # a real EROFS from now on (needs no file open for writing)

Mounting needs root (or CAP_SYS_ADMIN); where it fails the test is skipped with the reason, so
pair each such test with one that injects the OSError at the system call. The mount is always
unmounted when the block ends.
"""

from __future__ import annotations

import errno
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=60)


@contextmanager
def small_tmpfs(path: Path, size: str = "256k") -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the injected-OSError tests cover this path")
    path.mkdir(parents=True, exist_ok=True)
    try:
        done = _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    except OSError as err:
        pytest.skip(f"cannot run mount: {err}")
    if done.returncode != 0:
        pytest.skip(f"mount failed: {done.stderr.strip()}")
    try:
        yield path
    finally:
        # Lazy: a test that failed with a file still open must not leave the mount behind.
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=60)


def remount_readonly(path: Path) -> None:
    done = _mount("-o", "remount,ro", str(path))
    assert done.returncode == 0, f"remount read-only failed: {done.stderr.strip()}"


def fill(path: Path) -> Path:
    """Take every free byte of the file system holding `path`; returns the filler file (delete it
    to free the space again)."""
    filler = path / "filler"
    with open(filler, "wb", buffering=0) as handle:
        chunk = b"\0" * 4096
        try:
            while True:
                handle.write(chunk)
        except OSError as err:
            assert err.errno == errno.ENOSPC, err
    # Smaller writes still fit into the last partly used page: take that too.
    with open(filler, "ab", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0")
        except OSError as err:
            assert err.errno == errno.ENOSPC, err
    return filler
