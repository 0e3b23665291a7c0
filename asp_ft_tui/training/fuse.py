"""Fuse a run's LoRA adapter into its base model: a standalone model folder mlx-lm loads.

mlx-lm offers fusing only as a command (`mlx_lm fuse`); this is the same steps as a function,
with a choice of checkpoint: load the base, turn the adapted layers into LoRA layers as the run
did, load the chosen weights, fuse every module that can, save with mlx-lm's own `save`.
"""

from __future__ import annotations

import json
import shutil
import types
from pathlib import Path

from asp_ft_tui.training import checkpoints


class FuseError(Exception):
    """The adapter or checkpoint cannot be fused; the message says why."""


def adapter_weights(adapter_path: Path, checkpoint_step: int | None = None) -> Path:
    """The weights file to fuse: the run's latest, or those of one of its checkpoints."""
    adapter_path = Path(adapter_path)
    if checkpoint_step is None:
        path = adapter_path / checkpoints.ADAPTERS_NAME
        if not path.is_file():
            raise FuseError(f"{adapter_path} has no {checkpoints.ADAPTERS_NAME}: has the run saved anything yet?")
        return path
    found = dict(checkpoints.list_checkpoints(adapter_path))
    if checkpoint_step not in found:
        have = ", ".join(str(i) for i in found) or "none"
        raise FuseError(f"{adapter_path} has no checkpoint at iteration {checkpoint_step} (it has: {have})")
    return found[checkpoint_step] / checkpoints.ADAPTERS_NAME


def fuse_model(base_model: str | Path, adapter_path: str | Path, save_path: str | Path,
               checkpoint_step: int | None = None, dequantize: bool = False) -> Path:
    """Write base + adapter as one model to `save_path`; returns it."""
    from mlx.utils import tree_unflatten
    from mlx_lm.tuner.utils import linear_to_lora_layers
    from mlx_lm.utils import dequantize_model, load, save

    adapter_path, save_path = Path(adapter_path), Path(save_path)
    weights = adapter_weights(adapter_path, checkpoint_step)
    try:
        config = types.SimpleNamespace(**json.loads((adapter_path / "adapter_config.json").read_text()))
    except (OSError, ValueError) as err:
        raise FuseError(f"cannot read {adapter_path / 'adapter_config.json'}: {err}") from None
    if save_path.exists() and any(save_path.iterdir()):
        raise FuseError(f"{save_path} exists and is not empty; choose a new folder")
    from asp_ft_tui.training.gguf import imported_model

    base_model = imported_model(str(base_model))
    model, tokenizer, model_config = load(base_model, return_config=True)
    if getattr(config, "fine_tune_type", "lora") != "full":
        linear_to_lora_layers(model, config.num_layers, config.lora_parameters,
                              use_dora=getattr(config, "fine_tune_type", "lora") == "dora")
    model.load_weights(str(weights), strict=False)
    fused = [(name, module.fuse(dequantize=dequantize)) for name, module in model.named_modules()
             if hasattr(module, "fuse")]
    if fused:
        model.update_modules(tree_unflatten(fused))
    if dequantize:
        model = dequantize_model(model)
        model_config.pop("quantization", None)
        model_config.pop("quantization_config", None)
    staging = save_path.with_name(f".{save_path.name}.fusing")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        save(staging, str(base_model), model, tokenizer, model_config, donate_model=False)
        if save_path.exists():
            save_path.rmdir()
        staging.rename(save_path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return save_path
