"""Shared by the training tests: the tiny model (built once per session) and short chat rows."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest


def chat_rows(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        n = rng.randint(2, 9)
        rows.append({"messages": [
            {"role": "system", "content": "You write clingo."},
            {"role": "user", "content": f"Write facts for nodes 1 to {n}."},
            {"role": "assistant", "content": f"node(1..{n})."},
        ]})
    return rows


def write_split(folder: Path, train: list[dict], valid: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train))
    (folder / "valid.jsonl").write_text("".join(json.dumps(r) + "\n" for r in valid))
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from asp_ft_tui.training.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> Path:
    return write_split(tmp_path_factory.mktemp("data") / "export", chat_rows(16, 0), chat_rows(8, 1))


@pytest.fixture(autouse=True)
def no_kernel_compilation(monkeypatch):
    monkeypatch.setenv("MLX_DISABLE_COMPILE", "1")
