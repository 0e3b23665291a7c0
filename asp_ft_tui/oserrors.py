"""What a failed file operation means, in words a user reads: one line, no traceback.

`describe` is used by the CLI's error line and by the app's notifications, so a full disk reads
the same everywhere: "no space left on device while writing data/curation/decisions/3f.json".
"""

from __future__ import annotations

import errno

WORDS = {
    errno.ENOSPC: "no space left on device",
    errno.EROFS: "read-only file system",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}
# Failures of the disk itself, not of one file: the next write fails the same way, so a run stops
# at the first one instead of failing every benchmark after it.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT})


def is_disk_error(err: BaseException) -> bool:
    return isinstance(err, OSError) and err.errno in DISK_ERRNOS


def describe(err: OSError) -> str:
    if type(err).__str__ is not OSError.__str__:
        return str(err)  # an error of ours that already says it in words (e.g. a refused link)
    words = WORDS.get(err.errno) or (err.strerror or str(err) or type(err).__name__).lower()
    if err.filename is None:
        return words
    where = "while writing" if err.errno in DISK_ERRNOS else "on"
    return f"{words} {where} {err.filename}"
