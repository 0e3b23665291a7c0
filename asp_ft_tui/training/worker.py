"""The training worker: one OS process per run, driving mlx-lm's own `train()`.

    python -m asp_ft_tui.training.worker RUN_DIR [--resume CHECKPOINT_DIR]

mlx-lm's trainer, losses and batching do the work; this module only wraps them:
- a callback appends one event per report to `events.jsonl` (rank 0 only);
- `iterate_batches` is wrapped: training batches come from a private random state (so an
  evaluation cannot shift the data order) and skip what a resumed run already trained;
  evaluations always draw the same rows (mlx-lm draws a new subset each time, so curves jump);
  between batches the wrapper writes checkpoints and ends the loop when a stop is asked for,
  at the next optimizer update, after which mlx-lm's own final save runs;
- every checkpoint holds the adapter weights, the optimizer state (its step drives the cosine
  schedule) and the iteration, so a resume continues all three; mlx-lm's
  `resume_adapter_file` restores weights only;
- a validation runs after the last step (mlx-lm's last one comes before it).

SIGTERM or SIGINT, or a file `stop` in the run folder, asks for a graceful stop.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace

from asp_ft_tui.training import checkpoints
from asp_ft_tui.training.config import SettingsError, TrainSettings
from asp_ft_tui.training.events import EVENTS_NAME, EventWriter

CONFIG_NAME = "train_config.yaml"
STOP_NAME = "stop"
VAL_SEED = 1234  # the rows an evaluation draws: fixed, so every point of the curve is comparable


class RunFailed(Exception):
    """The run cannot go on; the message is the reason shown to the user."""


class _Stop:
    def __init__(self, run_dir: Path) -> None:
        self.file = run_dir / STOP_NAME
        self.asked = False
        self.reason = "stopped"

    def __call__(self, *_: object) -> None:
        self.asked = True

    def requested(self) -> bool:
        if not self.asked and self.file.exists():
            self.asked = True
        return self.asked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="asp_ft_tui.training.worker")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--resume", type=Path, default=None, help="a checkpoint folder of this run")
    args = parser.parse_args(argv)
    run_dir = args.run_dir.resolve()
    stop = _Stop(run_dir)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    import mlx.core as mx

    rank = mx.distributed.init().rank()
    writer = EventWriter(run_dir / EVENTS_NAME) if rank == 0 else None
    try:
        _train(run_dir, args.resume, stop, writer, rank)
    except (RunFailed, SettingsError) as err:
        _fail(writer, str(err))
        return 1
    except MemoryError:
        _fail(writer, "out of memory")
        return 1
    except OSError as err:  # a full or read-only disk under a checkpoint: one line, checkpoints before it stay
        from asp_ft_tui.oserrors import describe

        traceback.print_exc()
        _fail(writer, describe(err))
        return 1
    except Exception as err:  # the reason goes to the events, the details to the log
        traceback.print_exc()
        _fail(writer, f"{type(err).__name__}: {err}")
        return 1
    finally:
        if writer is not None:
            writer.close()
    return 0


def _fail(writer: EventWriter | None, reason: str) -> None:
    print(f"run failed: {reason}", file=sys.stderr, flush=True)
    if writer is not None:
        writer.emit("failed", reason=reason)


def _train(run_dir: Path, resume: Path | None, stop: _Stop, writer: EventWriter | None, rank: int) -> None:
    import mlx.core as mx
    import mlx.optimizers as optim
    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm import load
    from mlx_lm.tuner.callbacks import TrainingCallback
    from mlx_lm.tuner.datasets import CacheDataset, load_dataset
    from mlx_lm.tuner.trainer import TrainingArgs, evaluate, iterate_batches, train
    from mlx_lm.tuner.utils import build_schedule, linear_to_lora_layers

    def emit(kind: str, **data) -> None:
        if writer is not None:
            writer.emit(kind, **data)

    settings = TrainSettings.load(run_dir / CONFIG_NAME)
    world = mx.distributed.init()
    if settings.batch_size % world.size():
        raise RunFailed(f"batch_size {settings.batch_size} does not divide by the {world.size()} processes")
    np.random.seed(settings.seed)
    mx.random.seed(settings.seed)

    from asp_ft_tui.training.gguf import imported_model

    model, tokenizer = load(imported_model(settings.model))
    layers = len(model.layers)
    num_layers = layers if settings.num_layers == -1 else settings.num_layers
    if num_layers > layers:
        raise RunFailed(f"num_layers is {num_layers} but the model has only {layers} layers")
    config = settings.to_mlx_config()
    train_set, valid_set, _ = load_dataset(SimpleNamespace(**{**config, "test": False}), tokenizer)
    if len(valid_set) == 0:
        raise RunFailed(f"{settings.data}/valid.jsonl has no rows")
    train_data, valid_data = CacheDataset(train_set), CacheDataset(valid_set)
    _check_lengths({"train": train_data, "valid": valid_data}, settings.max_seq_length)

    model.freeze()
    lora = {"rank": settings.rank, "scale": settings.scale, "dropout": settings.dropout}
    linear_to_lora_layers(model, num_layers, lora)
    if rank == 0:
        checkpoints.write_adapter_config(run_dir, {**config, "num_layers": num_layers})
    schedule = settings.lr_schedule()
    optimizer = optim.Adam(learning_rate=build_schedule(schedule) if schedule else settings.learning_rate)

    start = 0
    if resume is not None:
        state = checkpoints.load(resume, settings, num_layers)
        model.load_weights(list(state.adapters.items()), strict=False)
        optimizer.state = state.optimizer_state
        start = state.iteration
        # mlx cannot set its random key back; a seed of its own per resume point keeps dropout
        # reproducible (a run without dropout continues exactly as if never stopped).
        mx.random.seed(settings.seed + start)
    remaining = settings.iters - start
    emit("start", iteration=start, iters=settings.iters, resumed_from=str(resume) if resume else None,
         train_rows=len(train_data), valid_rows=len(valid_data), pid=os.getpid(), world_size=world.size())
    if remaining <= 0:
        emit("end", iteration=start, reason="finished")
        return

    done = [start]
    last_val = [None]
    last_val_loss = [None]
    accumulation = settings.grad_accumulation_steps
    probe = None
    if settings.eval_every and rank == 0:
        from asp_ft_tui.asp.engine import get_engine
        from asp_ft_tui.evaluation.during import Probe

        probe = Probe(Path(settings.data), settings.eval_samples, tokenizer, get_engine())

    def evaluate_now(iteration: int) -> None:
        found = probe.run(model, last_val_loss[0])
        emit("eval", iteration=iteration, **found)
        if found["improved"]:
            path = checkpoints.save_best(run_dir, iteration, dict(tree_flatten(model.trainable_parameters())),
                                         {k: found[k] for k in ("valid", "semantic", "samples")})
            emit("best", iteration=iteration, path=str(path), valid=found["valid"], semantic=found["semantic"])
        if settings.patience and found["stale"] >= settings.patience:
            stop.asked, stop.reason = True, "early stop"

    def save(iteration: int) -> None:
        if rank == 0:
            path = checkpoints.save(run_dir, iteration, dict(tree_flatten(model.trainable_parameters())),
                                    dict(tree_flatten(optimizer.state)), settings, num_layers)
            emit("checkpoint", iteration=iteration, path=str(path))

    def stop_now() -> bool:
        wanted = stop.requested()
        if world.size() > 1:  # every rank must leave the loop at the same step
            wanted = mx.distributed.all_sum(mx.array(int(wanted)), stream=mx.cpu).item() > 0
        return wanted

    def batches(dataset, batch_size, max_seq_length, loop=False, seed=None, comm_group=None):
        inner = iterate_batches(dataset, batch_size, max_seq_length, loop=loop, comm_group=comm_group)
        if not loop:
            yield from _isolated(inner, np.random.RandomState(VAL_SEED).get_state())
            return
        source = _isolated(inner, np.random.RandomState(settings.seed).get_state())
        for _ in range(start):
            next(source)  # the batches the resumed run already trained on
        for batch in source:
            iteration = done[0]
            if iteration > start:
                if iteration % settings.save_every == 0:
                    save(iteration)
                if probe is not None and iteration % (accumulation * settings.eval_every) == 0:
                    evaluate_now(iteration)
                if iteration % accumulation == 0 and stop_now():
                    emit("stopping", iteration=iteration, reason=stop.reason)
                    return
            done[0] = iteration + 1
            yield batch

    class Events(TrainingCallback):
        def on_train_loss_report(self, info: dict) -> None:
            info = {**info, "iteration": start + info["iteration"]}
            emit("train", **info)
            if not math.isfinite(info["train_loss"]):
                stop.asked, stop.reason = True, "failed"
                raise RunFailed(f"the training loss became {info['train_loss']} at iteration {info['iteration']}")

        def on_val_loss_report(self, info: dict) -> None:
            iteration = start + info["iteration"]
            last_val[0] = iteration
            last_val_loss[0] = info["val_loss"]
            emit("val", iteration=iteration, val_loss=info["val_loss"], val_time=info["val_time"])

    args = TrainingArgs(
        batch_size=settings.batch_size,
        iters=remaining,
        val_batches=settings.val_batches,
        steps_per_report=settings.steps_per_report,
        steps_per_eval=settings.steps_per_eval,
        steps_per_save=remaining + 1,  # checkpoints are ours (with the optimizer state)
        max_seq_length=settings.max_seq_length,
        adapter_file=str(run_dir / checkpoints.ADAPTERS_NAME),
        grad_accumulation_steps=accumulation,
    )
    train(model=model, optimizer=optimizer, train_dataset=train_data, val_dataset=valid_data, args=args,
          iterate_batches=batches, training_callback=Events())
    finished = done[0]
    if last_val[0] != finished:
        import time

        tic = time.perf_counter()
        val_loss = evaluate(model=model, dataset=valid_data, batch_size=settings.batch_size,
                            num_batches=settings.val_batches, max_seq_length=settings.max_seq_length,
                            iterate_batches=batches)
        emit("val", iteration=finished, val_loss=val_loss, val_time=time.perf_counter() - tic)
    save(finished)
    if stop.reason == "early stop":
        emit("end", iteration=finished, reason="early stop")
        return
    emit("end", iteration=finished, reason="stopped" if stop.asked and finished < settings.iters else "finished")


def _isolated(batches, state):
    """Run a batch generator on its own numpy random state, leaving the global one alone."""
    import numpy as np

    while True:
        outer = np.random.get_state()
        np.random.set_state(state)
        try:
            batch = next(batches)
        except StopIteration:
            return
        finally:
            state = np.random.get_state()
            np.random.set_state(outer)
        yield batch


def _check_lengths(datasets: dict, limit: int) -> None:
    too_long = []
    for split, data in datasets.items():
        for index in range(len(data)):
            tokens = data[index][0]
            if len(tokens) > limit:
                too_long.append(f"{split}.jsonl line {index + 1} ({len(tokens)} tokens)")
    if too_long:
        shown = ", ".join(too_long[:10]) + (f" and {len(too_long) - 10} more" if len(too_long) > 10 else "")
        raise RunFailed(f"{len(too_long)} sample{'s' if len(too_long) != 1 else ''} longer than max_seq_length "
                        f"{limit} tokens: {shown}; raise max_seq_length or drop them from the export")


if __name__ == "__main__":
    raise SystemExit(main())
