"""Checkpoints that a run can really resume from, in the run's folder:

    adapters.safetensors            the latest adapter weights (what mlx-lm and fuse read)
    adapter_config.json             what `mlx_lm.load(..., adapter_path=RUN)` needs
    best/                           with evaluation during training: the best adapter so far
    checkpoints/0000100/            one folder per save:
        adapters.safetensors        adapter weights
        optimizer.safetensors       the optimizer state (moments and the step that drives the schedule)
        state.json                  iteration, the LoRA shape and the base model it belongs to

A checkpoint folder is written under a temporary name and renamed when complete, so a kill
leaves the earlier checkpoints and never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from asp_ft_tui.fsio import atomic_write_text, fsync_dir

ADAPTERS_NAME = "adapters.safetensors"
OPTIMIZER_NAME = "optimizer.safetensors"
STATE_NAME = "state.json"
CHECKPOINTS_DIR = "checkpoints"
BEST_DIR = "best"


class CheckpointError(Exception):
    """A checkpoint that cannot be resumed here; the message says why."""


@dataclass
class Checkpoint:
    path: Path
    iteration: int
    adapters: dict
    optimizer_state: dict


def save_tensors(path: Path, arrays: dict) -> None:
    """mx.save_safetensors, whose write failures say nothing of why: a full disk becomes the
    OSError (ENOSPC, with the file) that the rest of asp-ft words for the user."""
    import errno

    import mlx.core as mx

    try:
        mx.save_safetensors(str(path), arrays)
    except RuntimeError as err:
        if "write" not in str(err).lower():
            raise
        try:
            full = os.statvfs(Path(path).parent).f_bavail == 0
        except OSError:
            full = False
        code = errno.ENOSPC if full else errno.EIO
        raise OSError(code, os.strerror(code), str(path)) from err


def folder_for(run_dir: Path, iteration: int) -> Path:
    return Path(run_dir) / CHECKPOINTS_DIR / f"{iteration:07d}"


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """(iteration, folder) of every complete checkpoint of a run, oldest first."""
    found = []
    root = Path(run_dir) / CHECKPOINTS_DIR
    try:
        entries = list(root.iterdir())
    except OSError:
        return []
    for entry in entries:
        if entry.name.isdigit() and (entry / STATE_NAME).is_file():
            found.append((int(entry.name), entry))
    return sorted(found)


def _shape(settings, num_layers: int) -> dict:
    return {"model": settings.model, "rank": settings.rank, "scale": settings.scale, "num_layers": num_layers}


@contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """A folder to fill that replaces `target` whole once the block ends without an error (an
    earlier one of the same name is swapped out, never half overwritten); removed otherwise."""
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
        old = target.with_name(f".{target.name}.old.{os.getpid()}")
        if target.exists():
            os.rename(target, old)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def save(run_dir: Path, iteration: int, adapters: dict, optimizer_state: dict, settings, num_layers: int) -> Path:
    run_dir = Path(run_dir)
    target = folder_for(run_dir, iteration)
    with _staged(target) as staging:
        save_tensors(staging / ADAPTERS_NAME, adapters)
        save_tensors(staging / OPTIMIZER_NAME, optimizer_state)
        meta = {"iteration": iteration, **_shape(settings, num_layers)}
        atomic_write_text(staging / STATE_NAME, json.dumps(meta, indent=2) + "\n")
    latest = run_dir / f".{ADAPTERS_NAME}.{os.getpid()}.tmp"
    try:
        shutil.copyfile(target / ADAPTERS_NAME, latest)
        os.replace(latest, run_dir / ADAPTERS_NAME)
    except BaseException:
        latest.unlink(missing_ok=True)
        raise
    fsync_dir(run_dir)
    return target


def save_best(run_dir: Path, iteration: int, adapters: dict, metrics: dict) -> Path:
    """`best/` beside the run: the adapter of the best evaluation so far, loadable by mlx-lm."""
    run_dir = Path(run_dir)
    target = run_dir / BEST_DIR
    with _staged(target) as staging:
        save_tensors(staging / ADAPTERS_NAME, adapters)
        shutil.copyfile(run_dir / "adapter_config.json", staging / "adapter_config.json")
        atomic_write_text(staging / STATE_NAME, json.dumps({"iteration": iteration, **metrics}, indent=2) + "\n")
    return target


def read_state(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{folder} is not a checkpoint of asp-ft ({err})") from None


def check_compatible(folder: Path, settings, num_layers: int) -> dict:
    """The checkpoint's state.json, or CheckpointError when it belongs to another shape of run."""
    state = read_state(folder)
    want = _shape(settings, num_layers)
    for key, label in (("model", "base model"), ("rank", "LoRA rank"), ("num_layers", "number of adapted layers"),
                       ("scale", "LoRA scale")):
        if state.get(key) != want[key]:
            raise CheckpointError(f"cannot resume {folder}: it was trained with {label} {state.get(key)!r}, "
                                  f"this run uses {want[key]!r}")
    return state


def load(folder: Path, settings, num_layers: int) -> Checkpoint:
    import mlx.core as mx
    from mlx.utils import tree_unflatten

    folder = Path(folder)
    state = check_compatible(folder, settings, num_layers)
    adapters = mx.load(str(folder / ADAPTERS_NAME))
    optimizer = mx.load(str(folder / OPTIMIZER_NAME))
    return Checkpoint(folder, int(state["iteration"]), adapters, tree_unflatten(list(optimizer.items())))


def write_adapter_config(run_dir: Path, config: dict) -> None:
    """`adapter_config.json` as mlx-lm's `train_model` writes it: the run's settings."""
    data = {k: v for k, v in config.items() if k != "asp_ft"}
    atomic_write_text(Path(run_dir) / "adapter_config.json", json.dumps(data, indent=4, default=str) + "\n")
