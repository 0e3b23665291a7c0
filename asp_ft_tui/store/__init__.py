"""The durable curation store (TinyDB) and the workspace lock."""

from asp_ft_tui.store.curation import STATUSES, CurationStore, Decision, HistoryEntry
from asp_ft_tui.store.lock import WorkspaceLock, WorkspaceLocked
from asp_ft_tui.store.recovery import rebuild_shard
from asp_ft_tui.store.storage import DurableJSONStorage, StoreDamaged, StoreError

__all__ = [
    "STATUSES", "CurationStore", "Decision", "HistoryEntry", "WorkspaceLock", "WorkspaceLocked",
    "DurableJSONStorage", "StoreDamaged", "StoreError", "rebuild_shard",
]
