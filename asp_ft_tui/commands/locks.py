"""The writer locks the headless commands take: one writer per workspace (or per folder).

The workspace lock is the curation store's own lock file, so `asp-ft extract` or `convert`
and the app (whose review session holds that lock) exclude each other. A folder a command
writes into (`--input`, `--output`) is covered by the lock of the workspace it lies in; a folder
outside any workspace gets a lock of its own, of the same kind, in a file at its top.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from asp_ft_tui.store.lock import WorkspaceLock
from asp_ft_tui.workspace import Workspace, is_workspace

FOLDER_LOCK_NAME = ".asp-ft.lock"


def workspace_lock(workspace: Workspace) -> WorkspaceLock:
    return WorkspaceLock(workspace.curation_dir / "lock")


def folder_lock(folder: Path) -> WorkspaceLock:
    return WorkspaceLock(Path(folder) / FOLDER_LOCK_NAME)


def _lock_for(folder: Path) -> WorkspaceLock:
    folder = folder.resolve()
    for parent in (folder, *folder.parents):
        if is_workspace(parent):
            return workspace_lock(Workspace(parent))
    return folder_lock(folder)


def hold(stack: ExitStack, *, workspace: Workspace | None = None, folders: tuple[Path | None, ...] = ()) -> None:
    """Take, on `stack`, the workspace's lock and the lock covering each folder (each lock once);
    raises WorkspaceLocked (naming the holder's PID) when one is taken."""
    locks = [workspace_lock(workspace)] if workspace is not None else []
    # A folder nobody can write (a read-only benchmark tree) needs no writer lock: what would be
    # written there goes to the output's cache, which is locked.
    locks += [_lock_for(Path(folder)) for folder in folders
              if folder is not None and not (Path(folder).is_dir() and not os.access(folder, os.W_OK))]
    taken: set[Path] = set()
    for lock in locks:
        if lock.path.resolve() not in taken:
            taken.add(lock.path.resolve())
            stack.enter_context(lock)
