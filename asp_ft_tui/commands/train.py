"""`asp-ft train`, `asp-ft runs`, `asp-ft fuse`, `asp-ft import-gguf`: training headless.

`train` follows the worker's events with a progress bar; Ctrl+C asks the worker to stop at its
next optimizer update (it saves a checkpoint) and says how to resume. `--detach` leaves the
worker running on its own; the app shows it like any other run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from asp_ft_tui.training.config import PRESETS, SettingsError, TrainSettings, latest_export


def add_parsers(commands, add_workspace_option, handler) -> None:
    train = commands.add_parser(
        "train",
        help="LoRA-train a model on an export (mlx-lm), with checkpoints you can resume from",
        description="Train a LoRA adapter with mlx-lm's trainer in a worker process. FILE uses mlx-lm's own "
        "`lora` YAML keys (model, data, iters, batch_size, grad_accumulation_steps, num_layers, max_seq_length, "
        "mask_prompt, learning_rate, lr_schedule, lora_parameters, adapter_path, steps_per_report, "
        "steps_per_eval, save_every, seed, ...), so an existing mlx-lm config runs unchanged; missing keys get "
        "the seed pipeline's defaults. Each run gets a folder under the workspace's adapters/.",
    )
    add_workspace_option(train)
    train.add_argument("--config", type=Path, metavar="FILE", help="settings (mlx-lm lora YAML)")
    train.add_argument("--model", help="base model: an mlx-lm folder or a Hugging Face id")
    train.add_argument("--data", type=Path, metavar="DIR", help="folder with train.jsonl and valid.jsonl "
                       "(default: the workspace's latest approved export)")
    train.add_argument("--iters", type=int, help="iterations")
    train.add_argument("--preset", choices=tuple(PRESETS), help="default (rank 16) or logic (rank 32)")
    train.add_argument("--hostfile", metavar="FILE|N", help="data-parallel over mlx.launch: a hostfile, or a number "
                       "of processes on this machine")
    train.add_argument("--resume", metavar="RUN", help="continue a stopped or failed run (a run folder or name)")
    train.add_argument("--checkpoint", type=int, metavar="ITER", help="with --resume: the checkpoint to continue from")
    train.add_argument("--stop", metavar="RUN", help="ask a running run to stop (it saves a checkpoint)")
    train.add_argument("--detach", action="store_true", help="start the worker and return at once")
    train.set_defaults(handler=handler, handler_name="train")

    runs = commands.add_parser("runs", help="training runs: status, iterations, best and last validation loss")
    add_workspace_option(runs)
    runs.add_argument("--json", action="store_true", help="machine-readable output")
    runs.set_defaults(handler=handler, handler_name="runs")

    fuse = commands.add_parser("fuse", help="fuse a run's adapter into its base model (a standalone mlx-lm model)")
    add_workspace_option(fuse)
    fuse.add_argument("--adapter", required=True, metavar="RUN", help="a run folder or a run name")
    fuse.add_argument("--output", required=True, type=Path, metavar="DIR")
    fuse.add_argument("--model", help="base model (default: the one the run trained on)")
    fuse.add_argument("--checkpoint", type=int, metavar="ITER", help="fuse this checkpoint instead of the latest")
    fuse.add_argument("--dequantize", action="store_true", help="write a dequantized model")
    fuse.set_defaults(handler=handler, handler_name="fuse")

    gguf = commands.add_parser("import-gguf", help="convert a GGUF model (llama, qwen2) into an mlx-lm model folder")
    gguf.add_argument("file", type=Path, metavar="FILE")
    gguf.add_argument("directory", type=Path, metavar="DIR")
    gguf.add_argument("--dequantize", action="store_true", help="write float32 weights (CPU training is far faster "
                      "on them than on quantized ones)")
    gguf.set_defaults(handler=handler, handler_name="import-gguf")


class TrainCommandError(Exception):
    """A training command cannot run; the message says why."""


def run(args: argparse.Namespace, workspace_of) -> int:
    from asp_ft_tui.training.checkpoints import CheckpointError
    from asp_ft_tui.training.fuse import FuseError
    from asp_ft_tui.training.runs import RunError

    handlers = {"train": _train, "runs": _runs, "fuse": _fuse, "import-gguf": _import_gguf}
    try:
        return handlers[args.handler_name](args, workspace_of)
    except (TrainCommandError, SettingsError, RunError, FuseError, CheckpointError) as err:
        print(f"asp-ft: error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        if type(err).__name__ == "GGUFError":
            print(f"asp-ft: error: {err}", file=sys.stderr)
            return 2
        raise


# ------------------------------------------------------------------------------------ train
def _train(args: argparse.Namespace, workspace_of) -> int:
    from asp_ft_tui.training import runs

    if args.stop:
        run_dir = _find_run(args.stop, args, workspace_of)
        print(f"{run_dir.name}: {runs.stop(run_dir)}")
        return 0
    if args.resume:
        run_dir = _find_run(args.resume, args, workspace_of)
        offset = _size(run_dir / "events.jsonl")
        proc = runs.resume(run_dir, args.checkpoint)
        print(f"resuming {run_dir}", file=sys.stderr)
    else:
        workspace = workspace_of(args)
        settings = _settings(args, workspace)
        adapters = workspace.adapters_dir
        if settings.adapter_path and Path(settings.adapter_path).resolve() != adapters.resolve():
            adapters = Path(settings.adapter_path)
            if adapters.exists() and any(adapters.iterdir()):
                raise TrainCommandError(f"adapter_path {adapters} exists and is not empty: leave adapter_path out "
                                        f"(runs go to {workspace.adapters_dir}) or name a new folder")
            run_dir = _prepare_in(adapters, settings)
        else:
            run_dir = runs.prepare(adapters, replace(settings, adapter_path=""))
        offset = 0
        proc = runs.start(run_dir)
        print(f"training run {run_dir}", file=sys.stderr)
    if args.detach:
        print(f"the worker runs on its own; follow it with `asp-ft runs`, stop it with `asp-ft train --stop "
              f"{run_dir.name}`", file=sys.stderr)
        return 0
    return _follow(run_dir, proc, offset)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _prepare_in(folder: Path, settings: TrainSettings) -> Path:
    """A run in exactly the folder an mlx-lm config names."""
    from asp_ft_tui.fsio import atomic_write_text
    from asp_ft_tui.training.config import check_settings
    from asp_ft_tui.training.worker import CONFIG_NAME

    problems = check_settings(settings)
    if problems:
        raise SettingsError("cannot start training:\n" + "\n".join(f"- {p}" for p in problems))
    folder.mkdir(parents=True, exist_ok=True)
    settings = replace(settings, adapter_path=str(folder.resolve()))
    atomic_write_text(folder / CONFIG_NAME, settings.to_yaml())
    return folder


def _settings(args: argparse.Namespace, workspace) -> TrainSettings:
    settings = TrainSettings.load(args.config) if args.config else TrainSettings()
    if args.preset:
        settings = settings.with_preset(args.preset)
    overrides = {"model": args.model, "data": str(args.data) if args.data else None, "iters": args.iters,
                 "hostfile": args.hostfile}
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    if not settings.data:
        export = latest_export(workspace.exports_dir, "approved")
        if export is None:
            raise TrainCommandError("no dataset: export the approved samples first (`asp-ft convert --only approved`, "
                                    "or E in the app), or name a folder with --data")
        settings = replace(settings, data=str(export))
        print(f"dataset: {export} (the latest approved export)", file=sys.stderr)
    for name in ("model", "data"):
        value = getattr(settings, name)
        if value and Path(value).expanduser().exists():
            settings = replace(settings, **{name: str(Path(value).expanduser().resolve())})
    return settings


def _find_run(name: str, args: argparse.Namespace, workspace_of) -> Path:
    path = Path(name)
    if (path / "train_config.yaml").is_file():
        return path.resolve()
    adapters = workspace_of(args).adapters_dir
    if (adapters / name / "train_config.yaml").is_file():
        return adapters / name
    raise TrainCommandError(f"no training run {name!r} (neither a run folder nor a run in {adapters})")


def _follow(run_dir: Path, proc, offset: int = 0) -> int:
    """A progress bar over the run's new events until its worker ends; Ctrl+C stops it gracefully."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from asp_ft_tui.training import runs
    from asp_ft_tui.training.events import EVENTS_NAME, EventReader
    from asp_ft_tui.training.series import RunSeries

    reader = EventReader(run_dir / EVENTS_NAME)
    reader.offset = offset  # a resumed run: only what this worker reports
    series = RunSeries()
    err = Console(stderr=True)
    columns = (TextColumn("training"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("starting", total=None)
        try:
            while True:
                series.feed(reader.read_new())
                progress.update(task, total=series.iters or None, completed=series.iteration,
                                description=series.stats().split("  ", 1)[-1] if series.last_train else "starting")
                if proc.poll() is not None:
                    series.feed(reader.read_new())
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            progress.update(task, description="stopping at the next optimizer update ...")
            runs.stop(run_dir)
    info = runs.load_run(run_dir)
    if info.status == "failed" or proc.returncode not in (0, None):
        reason = info.reason or f"the worker exited with status {proc.returncode}"
        print(f"asp-ft: error: the run failed: {reason}", file=sys.stderr)
        if "ended without a word" in reason or not info.reason:
            tail = runs.log_tail(run_dir, 15)
            if tail:
                print(tail, file=sys.stderr)
        else:
            print(f"details: {run_dir / runs.LOG_NAME}", file=sys.stderr)
        return 1
    best = f", best validation loss {info.best_val:.4f}" if info.best_val is not None else ""
    print(f"{info.status} at iteration {info.iteration}/{info.iters}{best}: {run_dir}")
    if info.status.startswith("stopped"):
        print(f"resume with `asp-ft train --resume {run_dir}`")
    return 0


# ------------------------------------------------------------------------------------ runs
def _runs(args: argparse.Namespace, workspace_of) -> int:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from asp_ft_tui.training import runs
    from asp_ft_tui.training.series import clock, loss_text

    found = runs.list_runs(workspace_of(args).adapters_dir)
    if args.json:
        print(json.dumps([{"run": r.name, "path": str(r.path), "status": r.status, "iteration": r.iteration,
                           "iters": r.iters, "best_val_loss": r.best_val, "last_val_loss": r.last_val,
                           "duration_s": r.duration, "reason": r.reason,
                           "settings": r.settings.to_mlx_config() if r.settings else None} for r in found], indent=2))
        return 0
    if not found:
        print("no training runs yet; start one with `asp-ft train` or 5 in the app")
        return 0
    table = Table(title="training runs", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("run", no_wrap=True, min_width=max(len(r.name) for r in found))  # what --resume takes
    for column in ("status", "iters", "best val", "last val", "time"):  # settings: --json
        table.add_column(column, no_wrap=True)
    for r in found:
        table.add_row(r.name, r.status, f"{r.iteration}/{r.iters}", loss_text(r.best_val), loss_text(r.last_val),
                      clock(r.duration))
    Console().print(table)
    for r in found:
        if r.reason:
            print(f"{r.name}: {r.reason.splitlines()[0]}")
    return 0


# ------------------------------------------------------------------------------------ fuse, gguf
def _fuse(args: argparse.Namespace, workspace_of) -> int:
    from asp_ft_tui.training.fuse import fuse_model

    run_dir = _find_run(args.adapter, args, workspace_of)
    base = args.model or TrainSettings.load(run_dir / "train_config.yaml").model
    path = fuse_model(base, run_dir, args.output, checkpoint_step=args.checkpoint, dequantize=args.dequantize)
    print(f"fused model written to {path}")
    return 0


def _import_gguf(args: argparse.Namespace, workspace_of) -> int:
    from asp_ft_tui.training.gguf import import_gguf

    path = import_gguf(args.file, args.directory, dequantize=args.dequantize)
    print(f"mlx-lm model written to {path} (train on it with `asp-ft train --model {path}`)")
    return 0
