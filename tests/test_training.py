"""Training through the worker with the tiny model: events, checkpoints, true resume, failures, fuse.

Runs use short chat rows and MLX_DISABLE_COMPILE (no kernel compilation), so each takes seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from asp_ft_tui.training import checkpoints, runs
from asp_ft_tui.training.config import SettingsError, TrainSettings, check_settings, latest_export
from asp_ft_tui.training.events import read_events

from training_data import chat_rows, write_split, no_kernel_compilation, small_data, tiny_model  # noqa: F401


@pytest.fixture
def settings(tiny_model, small_data) -> TrainSettings:
    return TrainSettings(model=str(tiny_model), data=str(small_data), iters=16, steps_per_report=2, steps_per_eval=4,
                         save_every=4, val_batches=2, learning_rate=1e-3, dropout=0.0, blas="off")


def _run(adapters: Path, settings: TrainSettings) -> Path:
    run_dir = runs.prepare(adapters, settings)
    assert runs.start(run_dir).wait(timeout=600) == 0, runs.log_tail(run_dir)
    return run_dir


def _kinds(run_dir: Path, kind: str) -> list[dict]:
    return [e for e in read_events(run_dir / "events.jsonl") if e["kind"] == kind]


def _wait_for(predicate, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:  # a guard against a hang, not a measure of speed
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.05)


# ---------------------------------------------------------------------------- settings
def test_defaults_are_the_seed_pipelines():
    s = TrainSettings()
    assert (s.rank, s.learning_rate, s.batch_size, s.grad_accumulation_steps, s.max_seq_length, s.mask_prompt,
            s.dropout, s.num_layers) == (16, 1e-5, 1, 4, 4096, True, 0.05, -1)
    assert s.with_preset("logic").rank == 32
    schedule = s.lr_schedule()
    assert schedule["name"] == "cosine_decay" and schedule["arguments"][1] == s.iters // 4, "counted in updates"


def test_an_mlx_lm_config_loads_unchanged_and_round_trips():
    mlx_config = {"model": "some/model", "train": True, "data": "data", "iters": 50, "batch_size": 2,
                  "lora_parameters": {"rank": 8, "scale": 10.0, "dropout": 0.1}, "grad_checkpoint": True,
                  "optimizer": "adam", "lr_schedule": {"name": "cosine_decay", "arguments": [2e-5, 12, 0.0],
                                                       "warmup": 2}}
    s = TrainSettings.from_yaml(yaml.safe_dump(mlx_config))
    assert (s.rank, s.scale, s.dropout, s.learning_rate, s.warmup_updates) == (8, 10.0, 0.1, 2e-5, 2)
    assert s.extra == {"grad_checkpoint": True, "optimizer": "adam"}
    assert TrainSettings.from_yaml(s.to_yaml()) == s
    plain = TrainSettings.from_yaml("model: m\ndata: d\nlearning_rate: 1e-4\n")
    assert plain.lr_schedule()["arguments"][0] == 1e-4, "a key left out gets the seed's default: cosine decay"
    constant = TrainSettings.from_yaml("model: m\nlr_schedule: null\n")
    assert constant.lr_schedule() is None and TrainSettings.from_yaml(constant.to_yaml()) == constant


def test_bad_values_are_named_before_anything_starts(tiny_model, tmp_path, settings):
    with pytest.raises(SettingsError, match="iters must be a whole number"):
        TrainSettings.from_yaml("iters: lots\n")
    empty_valid = write_split(tmp_path / "d1", chat_rows(4, 0), [])
    problems = check_settings(replace(settings, data=str(empty_valid), num_layers=9))
    assert any("has only 2 layers" in p for p in problems)
    assert any("valid.jsonl has no rows" in p for p in problems)
    problems = check_settings(replace(settings, data=str(tmp_path / "nowhere"), model=""))
    assert any("no base model" in p for p in problems) and any("does not exist" in p for p in problems)
    with pytest.raises(SettingsError, match="cannot start training"):
        runs.prepare(tmp_path / "adapters", replace(settings, batch_size=0))
    assert not (tmp_path / "adapters").exists() or not any((tmp_path / "adapters").iterdir())


def test_a_sample_longer_than_the_max_length_fails_the_run_with_its_line(tmp_path, settings):
    long_row = {"messages": [{"role": "user", "content": "facts " * 200}, {"role": "assistant", "content": "a."}]}
    data = write_split(tmp_path / "d", chat_rows(4, 0) + [long_row], chat_rows(2, 1))
    run_dir = runs.prepare(tmp_path / "adapters", replace(settings, data=str(data), max_seq_length=64))
    assert runs.start(run_dir).wait(timeout=300) == 1
    info = runs.load_run(run_dir)
    assert info.status == "failed" and "1 sample longer than max_seq_length 64" in info.reason
    assert "train.jsonl line 5" in info.reason


def test_latest_export_picks_the_newest_approved_one(tmp_path):
    for name, only, stamp, valid in (("a", "approved", 100, 3), ("b", "valid", 300, 3), ("c", "approved", 200, 3),
                                     ("d", "approved", 400, 0)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "card.json").write_text(json.dumps({"settings": {"only": only}, "samples": {"valid": valid}}))
        os.utime(folder, (stamp, stamp))
    assert latest_export(tmp_path) == tmp_path / "c"
    assert latest_export(tmp_path, only=None) == tmp_path / "b"


# ---------------------------------------------------------------------------- the worker
def test_a_run_writes_events_checkpoints_and_a_config_mlx_lm_accepts(tmp_path, settings):
    run_dir = _run(tmp_path / "adapters", settings)
    events = read_events(run_dir / "events.jsonl")
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and events[-1]["reason"] == "finished"
    train = _kinds(run_dir, "train")
    assert [e["iteration"] for e in train] == list(range(2, 17, 2))
    assert {"train_loss", "learning_rate", "iterations_per_second", "tokens_per_second", "trained_tokens",
            "peak_memory"} <= train[0].keys()
    vals = _kinds(run_dir, "val")
    assert vals[-1]["iteration"] == 16, "a validation after the last step"
    assert [i for i, _ in checkpoints.list_checkpoints(run_dir)] == [4, 8, 12, 16]
    for _, folder in checkpoints.list_checkpoints(run_dir):
        assert {"adapters.safetensors", "optimizer.safetensors", "state.json"} <= {p.name for p in folder.iterdir()}
    assert json.loads((run_dir / "adapter_config.json").read_text())["lora_parameters"]["rank"] == 16
    assert runs.load_run(run_dir).status == "finished"

    config = yaml.safe_load((run_dir / "train_config.yaml").read_text())
    config["adapter_path"] = str(tmp_path / "by-mlx-lm")
    config["iters"] = 2
    (tmp_path / "copy.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run([sys.executable, "-m", "mlx_lm", "lora", "--config", str(tmp_path / "copy.yaml")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "by-mlx-lm" / "adapters.safetensors").is_file()


def test_the_validation_rows_are_the_same_every_time(tmp_path, settings):
    """With a learning rate of 0 the model does not change: every validation must agree."""
    run_dir = _run(tmp_path / "adapters", replace(settings, learning_rate=1e-12, val_batches=3))
    losses = {round(e["val_loss"], 4) for e in _kinds(run_dir, "val")}
    assert len(_kinds(run_dir, "val")) >= 4 and len(losses) == 1, losses


def test_stop_then_resume_continues_exactly_like_an_uninterrupted_run(tmp_path, settings):
    import mlx.core as mx

    whole = _run(tmp_path / "adapters", settings)
    run_dir = runs.prepare(tmp_path / "adapters", settings)
    worker = runs.start(run_dir)
    _wait_for(lambda: _kinds(run_dir, "checkpoint"), "a first checkpoint")
    assert runs.stop(run_dir) == "stopped"
    worker.wait(timeout=60)
    stopped = runs.load_run(run_dir)
    assert stopped.status == "stopped" and 4 <= stopped.iteration < 16 and stopped.iteration % 4 == 0
    assert runs.resume(run_dir).wait(timeout=600) == 0, runs.log_tail(run_dir)
    assert runs.load_run(run_dir).status == "finished"

    def curve(path):
        return [(e["iteration"], round(e["train_loss"], 5), e["learning_rate"]) for e in _kinds(path, "train")]

    assert curve(run_dir) == curve(whole), "same count, same losses, same learning rate after the resume"
    a = mx.load(str(whole / "adapters.safetensors"))
    b = mx.load(str(run_dir / "adapters.safetensors"))
    assert max(float(mx.abs(a[k] - b[k]).max()) for k in a) == 0.0
    assert [i for i, _ in checkpoints.list_checkpoints(run_dir)] == [4, 8, 12, 16], "no checkpoint overwritten"


def test_resuming_with_another_rank_is_refused(tmp_path, settings):
    run_dir = _run(tmp_path / "adapters", replace(settings, iters=8))
    config = yaml.safe_load((run_dir / "train_config.yaml").read_text())
    config["lora_parameters"]["rank"] = 8
    config["iters"] = 16
    (run_dir / "train_config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(runs.RunError, match="LoRA rank 16, this run uses 8"):
        runs.resume(run_dir)
    assert runs.load_run(run_dir).status == "finished", "a refused resume leaves the run's history as it was"


def test_damaged_events_lines_are_skipped_and_a_cut_line_is_kept_apart(tmp_path, settings):
    run_dir = _run(tmp_path / "adapters", replace(settings, iters=8))
    with open(run_dir / "events.jsonl", "a") as events:
        events.write('{"kind": "train", "iteration": "x"}\n{"kind": "val", "val_loss": null}\n')
        events.write('{"kind": "train", "iteration": 13, "train_lo')  # a worker killed mid-line
    info = runs.load_run(run_dir)
    assert (info.status, info.iteration) == ("finished", 8)
    config = yaml.safe_load((run_dir / "train_config.yaml").read_text())
    config["iters"] = 12
    (run_dir / "train_config.yaml").write_text(yaml.safe_dump(config))
    assert runs.resume(run_dir).wait(timeout=300) == 0
    info = runs.load_run(run_dir)
    assert (info.status, info.iteration, info.iters) == ("finished", 12, 12), "the resumed start was not lost"


def test_asp_ft_train_resume_follows_the_resumed_worker(tmp_path, settings):
    from asp_ft_tui.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws", with_samples=False)
    run_dir = _run(ws.adapters_dir, replace(settings, iters=8))
    config = yaml.safe_load((run_dir / "train_config.yaml").read_text())
    config["iters"] = 12
    (run_dir / "train_config.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run([sys.executable, "-m", "asp_ft_tui.cli", "train", "-w", str(ws.root), "--resume",
                           run_dir.name], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "finished at iteration 12/12" in done.stdout
    assert not runs.alive(runs.pid_of(run_dir)), "the command returned when the worker was done"


def test_kill_9_marks_the_run_failed_and_keeps_its_checkpoints(tmp_path, settings):
    run_dir = runs.prepare(tmp_path / "adapters", replace(settings, iters=100000))
    worker = runs.start(run_dir)
    _wait_for(lambda: _kinds(run_dir, "checkpoint"), "a first checkpoint")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=60)
    info = runs.load_run(run_dir)
    assert info.status == "failed" and "ended without a word" in info.reason
    (iteration, _), *_ = checkpoints.list_checkpoints(run_dir)
    assert runs.resume(run_dir, checkpoint=iteration).pid > 0
    _wait_for(lambda: [e for e in _kinds(run_dir, "start") if e["iteration"] == iteration], "the resumed start")
    assert runs.stop(run_dir) in ("stopped", "killed")


def test_fuse_gives_a_model_with_the_same_logits(tmp_path, settings):
    import mlx.core as mx
    from mlx_lm import generate, load

    from asp_ft_tui.training.fuse import FuseError, fuse_model

    run_dir = _run(tmp_path / "adapters", replace(settings, iters=8))
    fused = fuse_model(settings.model, run_dir, tmp_path / "fused", checkpoint_step=8)
    adapted, tokenizer = load(settings.model, adapter_path=str(run_dir))
    standalone, _ = load(str(fused))
    ids = mx.array([tokenizer.encode("node(1..3).")])
    assert float(mx.abs(adapted(ids) - standalone(ids)).max()) < 1e-4
    assert isinstance(generate(standalone, tokenizer, "node(", max_tokens=4), str)
    with pytest.raises(FuseError, match="no checkpoint at iteration 5"):
        fuse_model(settings.model, run_dir, tmp_path / "other", checkpoint_step=5)
    with pytest.raises(FuseError, match="not empty"):
        fuse_model(settings.model, run_dir, tmp_path / "fused")


# ---------------------------------------------------------------------------- the demo model learns
@pytest.fixture(scope="session")
def pretrained_tiny(tmp_path_factory) -> tuple[Path, list[float]]:
    """Built and pretrained once per test session (short windows keep it to seconds)."""
    from asp_ft_tui.training.pretrain import pretrain
    from asp_ft_tui.training.tiny_model import make_tiny_model

    model = make_tiny_model(tmp_path_factory.mktemp("pretrained") / "model")
    return model, pretrain(model, 40, window=64, batch_size=4)


def test_pretraining_lowers_the_loss_and_lora_on_it_learns(pretrained_tiny, tmp_path, monkeypatch):
    model, losses = pretrained_tiny
    assert sum(losses[-5:]) / 5 < losses[0] - 2, losses
    from asp_ft_tui.training.pretrain import default_documents

    rows = [{"messages": c} for c in default_documents() if len(c[-1]["content"]) < 120]
    data = write_split(tmp_path / "d", rows[:48], rows[48:60])
    settings = TrainSettings(model=str(model), data=str(data), iters=30, steps_per_report=5, steps_per_eval=10,
                             save_every=30, val_batches=-1, learning_rate=1e-3, blas="off")
    run_dir = _run(tmp_path / "adapters", settings)
    vals = [e["val_loss"] for e in _kinds(run_dir, "val")]
    assert vals[-1] < vals[0], vals


def test_asp_ft_train_and_runs_from_the_command_line(tmp_path, settings):
    from asp_ft_tui.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws", with_samples=False)
    config = tmp_path / "mine.yaml"
    config.write_text(yaml.safe_dump({"model": settings.model, "data": settings.data, "iters": 4,
                                      "steps_per_report": 2, "steps_per_eval": 2, "save_every": 2,
                                      "val_batches": 2, "learning_rate": 1e-3}))
    cli = [sys.executable, "-m", "asp_ft_tui.cli"]
    done = subprocess.run([*cli, "train", "-w", str(ws.root), "--config", str(config)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "finished at iteration 4/4" in done.stdout
    listed = json.loads(subprocess.run([*cli, "runs", "-w", str(ws.root), "--json"], capture_output=True, text=True,
                                       check=True).stdout)
    assert [(r["status"], r["iteration"]) for r in listed] == [("finished", 4)]
    assert listed[0]["settings"]["lr_schedule"]["name"] == "cosine_decay", "left out: the seed's default"
    missing = subprocess.run([*cli, "train", "-w", str(ws.root), "--model", settings.model], capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2 and "no dataset: export the approved samples first" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_two_processes_through_mlx_launch_and_rank_0_alone_writes(tmp_path, settings):
    odd = replace(settings, hostfile="2", batch_size=3)
    assert any("must divide by the 2 processes" in p for p in check_settings(odd))
    run_dir = _run(tmp_path / "adapters", replace(settings, hostfile="2", batch_size=2, grad_accumulation_steps=2,
                                                  iters=8))
    events = read_events(run_dir / "events.jsonl")
    assert [e["kind"] for e in events].count("start") == 1 and events[0]["world_size"] == 2
    assert events[-1]["kind"] == "end" and (run_dir / "adapters.safetensors").is_file()
    assert len(_kinds(run_dir, "checkpoint")) == len(checkpoints.list_checkpoints(run_dir)) == 2


def test_a_gguf_file_as_the_base_model_is_imported_once_and_trains(tmp_path, settings, monkeypatch):
    from asp_ft_tui.training.gguf import imported_model
    from test_gguf import write_gguf  # the GGUF writer of the import tests

    gguf = tmp_path / "tiny.gguf"
    write_gguf(Path(settings.model), gguf)
    folder = imported_model(str(gguf))
    assert Path(folder, "config.json").is_file() and imported_model(str(gguf)) == folder, "imported once"
    run_dir = _run(tmp_path / "adapters", replace(settings, model=str(gguf), iters=4))
    assert runs.load_run(run_dir).status == "finished"


def test_a_loss_that_turns_nan_fails_the_run_with_the_reason(tmp_path, settings):
    import shutil

    import mlx.core as mx

    broken = tmp_path / "broken-model"
    shutil.copytree(settings.model, broken)
    weights = mx.load(str(broken / "model.safetensors"))
    weights["model.norm.weight"] = weights["model.norm.weight"] * float("nan")
    mx.save_safetensors(str(broken / "model.safetensors"), weights, metadata={"format": "mlx"})
    run_dir = runs.prepare(tmp_path / "adapters", replace(settings, model=str(broken), steps_per_report=1))
    assert runs.start(run_dir).wait(timeout=600) == 1
    info = runs.load_run(run_dir)
    assert info.status == "failed" and "the training loss became" in info.reason, info.reason


def test_a_full_disk_under_a_checkpoint_fails_the_run_in_one_line_and_leaves_no_temp(tmp_path, settings):
    from mounts import fill, small_tmpfs

    with small_tmpfs(tmp_path / "disk", "4m") as disk:
        run_dir = runs.prepare(disk / "adapters", replace(settings, iters=100000, save_every=2))
        worker = runs.start(run_dir)
        _wait_for(lambda: _kinds(run_dir, "checkpoint"), "a first checkpoint")
        filler = fill(disk)
        assert worker.wait(timeout=300) == 1
        info = runs.load_run(run_dir)
        assert info.status == "failed" and info.reason.startswith("no space left on device while writing"), info
        assert not [p for p in run_dir.rglob("*") if p.name.endswith(".tmp")]
        (iteration, folder), *_ = checkpoints.list_checkpoints(run_dir)
        assert (folder / "adapters.safetensors").stat().st_size > 0
        filler.unlink()
