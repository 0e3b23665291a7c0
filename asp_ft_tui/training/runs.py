"""Training runs on disk: `adapters/<run>/`, started, followed, stopped, resumed, listed.

A run folder holds `train_config.yaml` (accepted as is by `python -m mlx_lm lora --config`),
`card.json` (the dataset card it trained on), `events.jsonl`, `worker.log`, `worker.pid`,
`adapter_config.json`, `adapters.safetensors` and `checkpoints/`. Its status is read from the
events and the worker's process: a worker that is gone without an `end` or `failed` event
(kill -9, out of memory) is a failed run, with the tail of its log as the reason.

No mlx import here: the app lists and follows runs without loading mlx.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from asp_ft_tui.fsio import atomic_write_text
from asp_ft_tui.training import checkpoints
from asp_ft_tui.training.config import SettingsError, TrainSettings, check_settings, model_layers
from asp_ft_tui.training.events import EVENTS_NAME, EventWriter, read_events
from asp_ft_tui.training.launch import worker_command, worker_env
from asp_ft_tui.training.worker import CONFIG_NAME, STOP_NAME

PID_NAME = "worker.pid"
LOG_NAME = "worker.log"
STOP_GRACE_S = 60.0


class RunError(Exception):
    """A run that cannot be started, resumed or found; the message says why."""


@dataclass
class RunInfo:
    """What the history shows of one run."""

    path: Path
    settings: TrainSettings | None
    status: str
    """running, finished, stopped, failed, or new (never started)."""
    iteration: int = 0
    iters: int = 0
    best_val: float | None = None
    last_val: float | None = None
    started: float | None = None
    ended: float | None = None
    reason: str = ""
    events: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def duration(self) -> float | None:
        if self.started is None:
            return None
        return (self.ended or time.time()) - self.started


def new_run_dir(adapters_dir: Path, settings: TrainSettings) -> Path:
    """A fresh, uniquely named folder for a run of these settings."""
    base = Path(settings.model.rstrip("/")).name or "model"
    stem = time.strftime("%Y%m%d-%H%M%S") + "-" + re.sub(r"[^A-Za-z0-9._-]+", "-", base)[:40]
    adapters_dir.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        candidate = adapters_dir / (stem if n == 0 else f"{stem}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise RunError(f"cannot find a free run name in {adapters_dir}")


def prepare(adapters_dir: Path, settings: TrainSettings) -> Path:
    """Check the settings, make the run folder and write what the worker and mlx-lm read."""
    problems = check_settings(settings)
    if problems:
        raise SettingsError("cannot start training:\n" + "\n".join(f"- {p}" for p in problems))
    run_dir = new_run_dir(Path(adapters_dir), settings)
    settings = replace(settings, adapter_path=str(run_dir))
    atomic_write_text(run_dir / CONFIG_NAME, settings.to_yaml())
    card = Path(settings.data).expanduser() / "card.json"
    if card.is_file():
        shutil.copyfile(card, run_dir / "card.json")
    return run_dir


def start(run_dir: Path, resume: Path | None = None) -> subprocess.Popen:
    """Start the worker for a prepared run, detached: it keeps running when the app closes."""
    run_dir = Path(run_dir)
    settings = TrainSettings.load(run_dir / CONFIG_NAME)
    (run_dir / STOP_NAME).unlink(missing_ok=True)
    command = worker_command(run_dir, settings, resume)
    with open(run_dir / LOG_NAME, "ab") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=worker_env(settings), start_new_session=True, close_fds=True)
    atomic_write_text(run_dir / PID_NAME, f"{proc.pid}\n")
    return proc


def resume(run_dir: Path, checkpoint: int | None = None) -> subprocess.Popen:
    """Resume a stopped or failed run from its last (or the given) checkpoint."""
    run_dir = Path(run_dir)
    info = load_run(run_dir)
    if info.status == "running":
        raise RunError(f"{run_dir.name} is still running")
    found = checkpoints.list_checkpoints(run_dir)
    if not found:
        raise RunError(f"{run_dir.name} has no checkpoint to resume from; start it again instead")
    if checkpoint is None:
        iteration, folder = found[-1]
    else:
        chosen = [f for i, f in found if i == checkpoint]
        if not chosen:
            raise RunError(f"{run_dir.name} has no checkpoint at iteration {checkpoint} "
                           f"(it has {', '.join(str(i) for i, _ in found)})")
        iteration, folder = checkpoint, chosen[0]
    if info.settings is not None and iteration >= info.settings.iters:
        raise RunError(f"{run_dir.name} already trained all {info.settings.iters} iterations; raise iters in "
                       f"{CONFIG_NAME} to train on")
    if info.settings is not None:
        # Refused here, before a worker starts, so the run's history keeps its real end.
        layers = info.settings.num_layers
        if layers == -1:
            layers = model_layers(info.settings.model) or -1
        if layers != -1:
            try:
                checkpoints.check_compatible(folder, info.settings, layers)
            except checkpoints.CheckpointError as err:
                raise RunError(str(err)) from None
    return start(run_dir, resume=folder)


def pid_of(run_dir: Path) -> int | None:
    try:
        return int((Path(run_dir) / PID_NAME).read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int | None) -> bool:
    """Whether the run's worker process still runs (a zombie child, or a PID reused by another
    program where the OS lets us see it, counts as gone)."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc here (macOS): the signal test is all we have
    if stat.rpartition(")")[2].split()[:1] == ["Z"]:
        return False
    return any(name in command for name in (b"asp_ft_tui.training.worker", b"mlx._distributed_utils", b"mlx_lm"))


def stop(run_dir: Path, grace_s: float = STOP_GRACE_S, wait: bool = True) -> str:
    """Ask the worker to stop at its next optimizer update (it saves a checkpoint); kill it when
    it has not stopped within `grace_s`. Returns how it ended: stopped, killed or not running."""
    run_dir = Path(run_dir)
    pid = pid_of(run_dir)
    atomic_write_text(run_dir / STOP_NAME, "stop\n")
    if not alive(pid):
        return "not running"
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return "stopped"
    if not wait:
        return "stopping"
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return "stopped"
        time.sleep(0.1)
    kill(run_dir)
    return "killed"


def kill(run_dir: Path) -> None:
    pid = pid_of(run_dir)
    if pid is None or not alive(pid):
        return
    try:
        os.killpg(pid, signal.SIGKILL)  # the worker leads its own session (and mlx.launch's ranks)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    EventWriter(Path(run_dir) / EVENTS_NAME).emit("failed", reason="killed: it did not stop within the grace period")


def log_tail(run_dir: Path, lines: int = 20) -> str:
    try:
        with open(Path(run_dir) / LOG_NAME, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)  # mlx-lm's progress output is coloured
    return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])


def load_run(run_dir: Path, events: list[dict] | None = None) -> RunInfo:
    run_dir = Path(run_dir)
    try:
        settings = TrainSettings.load(run_dir / CONFIG_NAME)
    except SettingsError:
        settings = None
    if events is None:
        events = read_events(run_dir / EVENTS_NAME)
    info = RunInfo(run_dir, settings, "new", iters=settings.iters if settings else 0, events=events)
    vals = []
    for event in events:
        try:
            _apply(info, vals, event)
        except (KeyError, TypeError, ValueError):
            continue  # a line damaged by hand or by a tool: the rest of the history still counts
    finite = [v for v in vals if v == v]
    info.best_val = min(finite) if finite else None
    if info.status == "running" and not alive(pid_of(run_dir)):
        info.status = "failed"
        tail = log_tail(run_dir, 5)
        info.reason = "the worker ended without a word (killed, or out of memory?)" + (f": {tail}" if tail else "")
    return info


def _apply(info: RunInfo, vals: list[float], event: dict) -> None:
    kind = event.get("kind")
    if kind == "start":
        info.status, info.reason = "running", ""
        info.iters = event.get("iters", info.iters)
        if info.started is None:
            info.started = event.get("time")
        info.ended = None
    elif kind in ("train", "checkpoint"):
        info.iteration = max(info.iteration, int(event.get("iteration", 0)))
    elif kind == "val":
        vals.append(float(event["val_loss"]))
        info.last_val = vals[-1]
    elif kind == "end":
        info.status = {"finished": "finished", "early stop": "stopped early"}.get(event.get("reason"), "stopped")
        info.iteration = int(event.get("iteration", info.iteration))
        info.ended = event.get("time")
    elif kind == "failed":
        info.status, info.reason, info.ended = "failed", event.get("reason", ""), event.get("time")


def list_runs(adapters_dir: Path) -> list[RunInfo]:
    """Every run below `adapters_dir`, newest first."""
    try:
        folders = [p for p in Path(adapters_dir).iterdir() if (p / CONFIG_NAME).is_file()]
    except OSError:
        return []
    return sorted((load_run(p) for p in folders), key=lambda r: r.path.name, reverse=True)
