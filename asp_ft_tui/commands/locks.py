"""The writer locks the headless commands take: one writer per workspace (or per folder).

The workspace lock is the curation store's own lock file, so `asp-ft extract` or `convert`
and the app (whose review session holds that lock) exclude each other. A command that writes
into a folder outside any workspace (`convert --output DIR`, `extract --input DIR`) locks that
folder instead, with the same kind of lock.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from asp_ft_tui.store.lock import WorkspaceLock

FOLDER_LOCK_NAME = ".asp-ft.lock"


def workspace_lock(workspace) -> WorkspaceLock:
    return WorkspaceLock(workspace.curation_dir / "lock")


def folder_lock(folder: Path) -> WorkspaceLock:
    return WorkspaceLock(Path(folder) / FOLDER_LOCK_NAME)


def hold(stack: ExitStack, *, workspace=None, folders: tuple[Path | None, ...] = ()) -> None:
    """Take the workspace lock and a lock on every folder not inside the workspace, on `stack`;
    raises WorkspaceLocked (naming the holder's PID) when one is taken."""
    if workspace is not None:
        stack.enter_context(workspace_lock(workspace))
    root = Path(workspace.root).resolve() if workspace is not None else None
    for folder in folders:
        if folder is None:
            continue
        folder = Path(folder).resolve()
        if root is not None and folder.is_relative_to(root):
            continue
        stack.enter_context(folder_lock(folder))
