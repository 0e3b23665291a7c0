"""Folders the store creates, and the data/train.jsonl / valid.jsonl copies an export makes, are
fsynced like the files: after a crash they are there, or the write that needed them never returned."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tiny_dataset import library

from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.export import export_dataset
from asp_ft_tui.store import CurationStore


@pytest.fixture
def synced(monkeypatch) -> list[tuple[int, int]]:
    seen: list[tuple[int, int]] = []
    real = os.fsync

    def spy(fd):
        info = os.fstat(fd)
        seen.append((info.st_dev, info.st_ino))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return seen


def ident(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def test_folders_created_for_the_store_are_fsynced(tmp_path, synced):
    store_dir = tmp_path / "data" / "curation"
    with CurationStore.open(store_dir) as store:
        store.record("a", "approved", "h")
    # Each new folder's entry lives in its parent: the parents must have been fsynced.
    for folder in (store_dir / "decisions", store_dir, tmp_path / "data"):
        assert ident(folder.parent) in synced, f"{folder} was created but {folder.parent} never fsynced"


def test_the_train_and_valid_copies_of_an_export_are_fsynced(tmp_path, synced):
    data = tmp_path / "data"
    samples, benchmarks = library()
    with Engine(EngineConfig(workers=1)) as engine:
        result = export_dataset(samples, benchmarks, data, engine.validate_many)
    for name in ("train.jsonl", "valid.jsonl"):
        assert ident(data / name) in synced, f"data/{name} was not fsynced"
        assert ident(result.path / name) in synced
    for folder in (data, data / "exports", result.path):
        assert ident(folder) in synced, f"{folder} was not fsynced"
