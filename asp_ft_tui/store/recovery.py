"""When the curation store cannot be used as it is: which file is damaged and how to rebuild it
from the history log, and why a writer has to make do with reading."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import time
from pathlib import Path

from asp_ft_tui.fsio import atomic_write_bytes, make_dirs
from asp_ft_tui.store.history import HistoryLog, rebuild_docs
from asp_ft_tui.store.lock import WorkspaceLock
from asp_ft_tui.store.storage import StoreDamaged

READ_ONLY_FS = "the workspace is on a read-only file system"


def shard_of(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=1).hexdigest()


def shard_path(directory: Path, shard: str) -> Path:
    return Path(directory) / "decisions" / f"{shard}.json"


def history_log(directory: Path) -> HistoryLog:
    return HistoryLog(Path(directory) / "history.jsonl")


def damaged_shard(directory: Path, shard: str, detail: str) -> StoreDamaged:
    """The error for an unusable shard, offering the rebuild where there is a history to use."""
    path, log = shard_path(directory, shard), history_log(directory)
    if not log.exists():
        return StoreDamaged(path, detail)
    found = len({line["key"] for line in log.lines() if shard_of(line["key"]) == shard})
    return StoreDamaged(
        path, detail, rebuild=lambda: rebuild_shard(directory, shard),
        hint=f"it can be rebuilt from the decision history in {log.path}, which holds decisions on "
             f"{found} samples of this file (the damaged file is kept beside it)",
    )


def rebuild_shard(directory: Path, shard: str) -> int:
    """Write decision shard `shard` back from the history log, under the workspace lock; the
    damaged file is kept beside it as `XX.json.damaged-<time>`. Returns the decisions rebuilt."""
    directory = Path(directory)
    path = shard_path(directory, shard)
    with WorkspaceLock(directory / "lock"):
        docs = rebuild_docs(line for line in history_log(directory).lines() if shard_of(line["key"]) == shard)
        document = {"decisions": {str(i): doc for i, doc in enumerate(docs, 1)}}
        make_dirs(path.parent)
        if path.exists():
            os.replace(path, path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"))
        atomic_write_bytes(path, json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return len(docs)


def readonly_reason(err: OSError, directory: Path) -> str | None:
    """Why a workspace can only be read, when `err` says so; None for any other failure."""
    if err.errno == errno.EROFS:
        return READ_ONLY_FS
    if err.errno in (errno.EACCES, errno.EPERM):
        folder = Path(directory)
        while not folder.exists() and folder.parent != folder:
            folder = folder.parent
        try:
            if os.statvfs(folder).f_flag & os.ST_RDONLY:
                return READ_ONLY_FS
        except OSError:
            pass
        return f"no permission to write in {folder}"
    return None
