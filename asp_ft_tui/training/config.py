"""Training settings: the seed's defaults, mlx-lm's own `lora` YAML keys, checks before a run.

A run's settings are one YAML file (`train_config.yaml`) that `python -m mlx_lm lora --config`
accepts as it is: every mlx-lm key at the top level, ours under `asp_ft:` (mlx-lm carries unknown
keys along without using them). An existing mlx-lm config therefore loads here unchanged.

No mlx import here: the app reads and checks settings without paying for mlx or transformers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


PRESETS = {
    "default": {"rank": 16},
    "logic": {"rank": 32},
}
MODEL_PRESETS = (
    "mlx-community/Qwen2.5-7B-Instruct-4bit",
    "mlx-community/Meta-Llama-3-8B-Instruct-4bit",
)
MAX_ITERS = 10_000_000


class SettingsError(Exception):
    """Settings that cannot start a run; the message says what to change."""


@dataclass(frozen=True)
class TrainSettings:
    """Everything a run needs. Field names are mlx-lm's YAML keys where mlx-lm has one."""

    model: str = ""
    data: str = ""
    adapter_path: str = ""
    iters: int = 1000
    batch_size: int = 1
    grad_accumulation_steps: int = 4
    num_layers: int = -1
    """-1: every layer the model has."""
    max_seq_length: int = 4096
    mask_prompt: bool = True
    learning_rate: float = 1e-5
    lr_schedule_name: str = "cosine_decay"
    warmup_updates: int = 0
    rank: int = 16
    scale: float = 20.0
    dropout: float = 0.05
    steps_per_report: int = 10
    steps_per_eval: int = 100
    save_every: int = 100
    val_batches: int = 25
    seed: int = 0
    preset: str = "default"
    hostfile: str = ""
    blas: str = "auto"
    """auto: an optimized BLAS when one is found (Linux CPU); off: mlx's bundled one; or a path."""
    eval_every: int = 0
    """Optimizer updates between clingo evaluations of a fixed valid subset during training (0: off)."""
    eval_samples: int = 16
    patience: int = 0
    """Stop after this many such evaluations without a better checkpoint (0: never)."""
    extra: dict = field(default_factory=dict)
    """mlx-lm keys we do not model (optimizer, grad_checkpoint, ...), passed through unchanged."""

    @property
    def updates(self) -> int:
        """Optimizer updates in the whole run: the unit of the learning-rate schedule."""
        return max(1, self.iters // max(1, self.grad_accumulation_steps))

    def with_preset(self, name: str) -> "TrainSettings":
        if name not in PRESETS:
            raise SettingsError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        return replace(self, preset=name, **PRESETS[name])

    def lr_schedule(self) -> dict | None:
        if self.lr_schedule_name == "constant":
            return None
        decay = max(1, self.updates - self.warmup_updates)
        schedule = {"name": "cosine_decay", "arguments": [self.learning_rate, decay, 0.0]}
        if self.warmup_updates:
            schedule["warmup"] = self.warmup_updates
        return schedule

    def to_mlx_config(self) -> dict[str, Any]:
        """The YAML mapping `python -m mlx_lm lora --config` reads."""
        config: dict[str, Any] = {
            "model": self.model,
            "train": True,
            "data": self.data,
            "adapter_path": self.adapter_path,
            "fine_tune_type": "lora",
            "iters": self.iters,
            "batch_size": self.batch_size,
            "grad_accumulation_steps": self.grad_accumulation_steps,
            "num_layers": self.num_layers,
            "max_seq_length": self.max_seq_length,
            "mask_prompt": self.mask_prompt,
            "learning_rate": self.learning_rate,
            "lora_parameters": {"rank": self.rank, "scale": self.scale, "dropout": self.dropout},
            "steps_per_report": self.steps_per_report,
            "steps_per_eval": self.steps_per_eval,
            "save_every": self.save_every,
            "val_batches": self.val_batches,
            "seed": self.seed,
        }
        config["lr_schedule"] = self.lr_schedule()  # null: a constant rate (mlx-lm's own default)
        config.update(self.extra)
        ours = {"preset": self.preset, "blas": self.blas}
        if self.hostfile:
            ours["hostfile"] = self.hostfile
        if self.eval_every:
            ours.update(eval_every=self.eval_every, eval_samples=self.eval_samples, patience=self.patience)
        config["asp_ft"] = ours
        return config

    @classmethod
    def from_mlx_config(cls, config: dict[str, Any]) -> "TrainSettings":
        """Settings from an mlx-lm `lora` YAML mapping (plus our `asp_ft:` keys)."""
        config = dict(config)
        ours = config.pop("asp_ft", None) or {}
        lora = config.pop("lora_parameters", None) or {}
        constant = "lr_schedule" in config and config["lr_schedule"] is None
        schedule = config.pop("lr_schedule", None)
        for key, value in (("asp_ft", ours), ("lora_parameters", lora), ("lr_schedule", schedule or {})):
            if not isinstance(value, dict):
                raise SettingsError(f"{key} must be a mapping of keys to values, not {value!r}")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key in list(config):
            if key in known and key not in ("extra", "rank", "scale", "dropout"):
                values[key] = config.pop(key)
        for drop in ("train", "fine_tune_type", "config"):
            if config.get(drop) in (True, "lora", None):
                config.pop(drop, None)
        values.update({k: lora[k] for k in ("rank", "scale", "dropout") if k in lora})
        if schedule:
            name = schedule.get("name")
            if name != "cosine_decay":
                raise SettingsError(f"lr_schedule {name!r} is not supported; use cosine_decay or leave it out")
            arguments = list(schedule.get("arguments", []))
            if arguments:
                values["learning_rate"] = arguments[0]
            values["lr_schedule_name"] = "cosine_decay"
            values["warmup_updates"] = int(schedule.get("warmup", 0))
        elif constant:
            values["lr_schedule_name"] = "constant"
        # Left out: the seed pipeline's cosine decay, like every other key left out.
        values.update({k: v for k, v in ours.items()
                       if k in ("preset", "hostfile", "blas", "eval_every", "eval_samples", "patience")})
        values["extra"] = config
        try:
            return _coerced(cls(**values))
        except TypeError as err:
            raise SettingsError(f"bad settings: {err}") from None

    def to_yaml(self) -> str:
        import yaml  # imported when used: the app imports this module at launch

        return yaml.safe_dump(self.to_mlx_config(), sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str) -> "TrainSettings":
        import yaml

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            raise SettingsError(f"the settings file is not valid YAML: {err}") from None
        if not isinstance(data, dict):
            raise SettingsError("the settings file must hold a mapping of keys to values")
        return cls.from_mlx_config(data)

    @classmethod
    def load(cls, path: Path | str) -> "TrainSettings":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise SettingsError(f"cannot read {path}: {err.strerror or err}") from None
        except UnicodeDecodeError:
            raise SettingsError(f"{path} is not a text file (YAML in UTF-8 expected)") from None
        return cls.from_yaml(text)


_INTS = ("iters", "batch_size", "grad_accumulation_steps", "num_layers", "max_seq_length", "warmup_updates",
         "rank", "steps_per_report", "steps_per_eval", "save_every", "val_batches", "seed", "eval_every",
         "eval_samples", "patience")
_FLOATS = ("learning_rate", "scale", "dropout")


def _coerced(settings: TrainSettings) -> TrainSettings:
    values = {}
    for name in _INTS:
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise SettingsError(f"{name} must be a whole number, not {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
        if not number.is_integer():
            raise SettingsError(f"{name} must be a whole number, not {value!r}")
        values[name] = int(number)
    for name in _FLOATS:
        value = getattr(settings, name)
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{name} must be a number, not {value!r}") from None
        if not math.isfinite(values[name]):
            raise SettingsError(f"{name} must be a finite number, not {value!r}")
    values["mask_prompt"] = bool(settings.mask_prompt)
    for name in ("model", "data", "adapter_path", "hostfile", "blas", "preset", "lr_schedule_name"):
        values[name] = "" if getattr(settings, name) is None else str(getattr(settings, name))
    return replace(settings, **values)


# ------------------------------------------------------------------------------------ checks
def check_settings(settings: TrainSettings) -> list[str]:
    """What is wrong with these settings, in words; empty when a run can start.

    Cheap checks only (files, numbers, the model's layer count from its config.json); the
    sample lengths need the tokenizer and are checked by the worker before its first step.
    """
    problems: list[str] = []
    positive = ("iters", "batch_size", "grad_accumulation_steps", "max_seq_length", "rank", "steps_per_report",
                "steps_per_eval", "save_every")
    for name in positive:
        if getattr(settings, name) < 1:
            problems.append(f"{name} must be at least 1 (it is {getattr(settings, name)})")
    if settings.iters > MAX_ITERS:
        problems.append(f"iters is {settings.iters}; at most {MAX_ITERS:,} (resume a run to train on)")
    if settings.learning_rate <= 0:
        problems.append(f"learning_rate must be above 0 (it is {settings.learning_rate:g})")
    if not 0 <= settings.dropout < 1:
        problems.append(f"dropout must be from 0 up to (not including) 1 (it is {settings.dropout:g})")
    if settings.warmup_updates < 0 or settings.warmup_updates >= settings.updates:
        problems.append(f"warmup must be fewer optimizer updates than the run has ({settings.updates} = "
                        f"iters / grad_accumulation_steps); it is {settings.warmup_updates}")
    if settings.eval_every < 0 or settings.patience < 0 or settings.eval_samples < 1:
        problems.append("eval_every and patience must be 0 or more, eval_samples at least 1")
    if settings.eval_every and settings.data and not (Path(settings.data).expanduser() / "valid.meta.jsonl").is_file():
        problems.append("evaluation during training needs valid.meta.jsonl beside valid.jsonl (an asp-ft export)")
    if settings.val_batches < 1 and settings.val_batches != -1:
        problems.append("val_batches must be at least 1, or -1 for the whole valid split")
    if settings.num_layers == 0 or settings.num_layers < -1:
        problems.append("num_layers must be at least 1, or -1 for every layer")
    if not settings.model:
        problems.append("no base model is set: choose a model folder, a Hugging Face id or a GGUF file")
    elif _looks_like_path(settings.model) and not Path(settings.model).expanduser().exists():
        problems.append(f"the model {settings.model} does not exist (a folder or a .gguf file was expected)")
    else:
        folder = Path(settings.model).expanduser()
        if folder.is_dir() and not (folder / "config.json").is_file():
            problems.append(f"{settings.model} has no config.json: not a model folder (a half-built demo model? "
                            f"build it again)")
        layers = model_layers(settings.model)
        if layers is not None and settings.num_layers > layers:
            problems.append(f"num_layers is {settings.num_layers} but the model has only {layers} layers")
    processes = process_count(settings.hostfile)
    if isinstance(processes, str):
        problems.append(processes)
    elif settings.batch_size % processes:
        problems.append(f"batch_size {settings.batch_size} must divide by the {processes} processes of the "
                        f"hostfile (each process takes every {processes}th sample of a batch)")
    problems.extend(check_data(settings))
    return problems


def _looks_like_path(model: str) -> bool:
    """A Hugging Face id is `owner/name`; anything else that names a place must exist here."""
    return (model.startswith(("/", "./", "../", "~")) or model.lower().endswith(".gguf")
            or model.count("/") != 1 or Path(model).expanduser().exists())


def process_count(hostfile: str) -> int | str:
    """How many processes a run starts (1 without a hostfile; a number means that many on this
    machine), or what is wrong with the hostfile."""
    if not hostfile:
        return 1
    if hostfile.isdigit():
        return int(hostfile) if int(hostfile) >= 1 else "the number of processes must be at least 1"
    try:
        hosts = json.loads(Path(hostfile).expanduser().read_text(encoding="utf-8"))
    except OSError as err:
        return f"cannot read the hostfile {hostfile}: {err.strerror or err}"
    except ValueError:
        return f"the hostfile {hostfile} is not JSON (mlx.launch's format: a list of hosts)"
    if not isinstance(hosts, list) or not hosts:
        return f"the hostfile {hostfile} lists no hosts"
    return len(hosts)


def model_layers(model: str) -> int | None:
    """The model's layer count from its config.json, None when it cannot be read here."""
    config = Path(model).expanduser() / "config.json"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for key in ("num_hidden_layers", "n_layer", "num_layers"):
        if isinstance(data.get(key), int):
            return data[key]
    return None


def check_data(settings: TrainSettings) -> list[str]:
    if not settings.data:
        return ["no dataset is set: export one first (E in the Review tab, or `asp-ft convert`)"]
    folder = Path(settings.data).expanduser()
    if not folder.is_dir():
        return [f"the dataset folder {folder} does not exist"]
    problems = []
    rows: dict[str, int] = {}
    for split in ("train", "valid"):
        path = folder / f"{split}.jsonl"
        if not path.is_file():
            problems.append(f"{path} is missing")
            continue
        try:
            count, bad = _count_rows(path)
        except OSError as err:
            problems.append(f"cannot read {path}: {err.strerror or err}")
            continue
        if bad:
            problems.append(f"{path}: line {bad} is not a JSON object with messages, prompt/completion or text")
        rows[split] = count
        if count == 0:
            problems.append(f"{path} has no rows" + (" (mlx-lm cannot validate on an empty split)"
                                                      if split == "valid" else ""))
    if rows.get("train", 0) and rows["train"] < settings.batch_size:
        problems.append(f"train.jsonl has {rows['train']} rows, fewer than batch_size {settings.batch_size}")
    if rows.get("valid", 0) and rows["valid"] < settings.batch_size:
        problems.append(f"valid.jsonl has {rows['valid']} rows, fewer than batch_size {settings.batch_size}")
    return problems


def _count_rows(path: Path) -> tuple[int, int | None]:
    count = 0
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                return count, number
            if not isinstance(row, dict) or not ({"messages", "text"} & row.keys() or {"prompt", "completion"} <= row.keys()):
                return count, number
            count += 1
    return count, None


def latest_export(exports: Path, only: str | None = "approved") -> Path | None:
    """The newest export folder (by its card's time) that has a valid split, of the given
    `only` kind when asked."""
    best: tuple[float, Path] | None = None
    try:
        entries = list(Path(exports).iterdir())
    except OSError:
        return None
    for folder in entries:
        try:
            card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if only is not None and card.get("settings", {}).get("only") != only:
            continue
        if not card.get("samples", {}).get("valid", 1):
            continue  # mlx-lm cannot train without a validation split
        stamp = folder.stat().st_mtime
        if best is None or stamp > best[0]:
            best = (stamp, folder)
    return None if best is None else best[1]
