"""bench_train: our training worker vs mlx-lm's own `lora` command, same config and data.

(a) `python -m mlx_lm lora --config FILE`, (b) our worker launched as the app launches it
(`runs.prepare` + `runs.start`, events, fixed validation rows, checkpoints with optimizer state),
and, where an optimized BLAS is installed, (b_fast) the same worker with it preloaded (the
default `blas: auto`). Runs alternate, best of N each. Both train the same answer tokens (same
seed, data and iterations), so answer tokens/s = trained answer tokens / the process's wall time.

The model is the tiny offline model; the data are the bundled benchmarks' export (convert).

    python tests/bench/bench_train.py [--quick]
Target: b/a >= 0.97.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from asp_ft_tui.training import runs
from asp_ft_tui.training.config import TrainSettings
from asp_ft_tui.training.events import read_events
from asp_ft_tui.training.launch import find_openblas


def build(root: Path) -> tuple[Path, Path]:
    from asp_ft_tui.training.tiny_model import make_tiny_model
    from asp_ft_tui.workspace import init_workspace

    ws = init_workspace(root / "ws")
    subprocess.run([sys.executable, "-m", "asp_ft_tui.cli", "convert", "-w", str(ws.root)], check=True,
                   capture_output=True)
    export = next((ws.exports_dir).iterdir())
    return make_tiny_model(root / "tiny"), export


def run_mlx_lm(settings: TrainSettings, folder: Path) -> float:
    folder.mkdir(parents=True)
    config = folder / "config.yaml"
    config.write_text(dataclasses.replace(settings, adapter_path=str(folder)).to_yaml())
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mlx_lm", "lora", "--config", str(config)], check=True,
                   capture_output=True, env={**os.environ, "LD_PRELOAD": ""})
    return time.perf_counter() - started


def run_ours(settings: TrainSettings, adapters: Path) -> tuple[float, int]:
    started = time.perf_counter()
    run_dir = runs.prepare(adapters, settings)
    if runs.start(run_dir).wait() != 0:
        raise SystemExit(f"our worker failed: {runs.log_tail(run_dir)}")
    seconds = time.perf_counter() - started
    trained = [e for e in read_events(run_dir / "events.jsonl") if e["kind"] == "train"][-1]["trained_tokens"]
    return seconds, trained


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    iters, repeats = (8, 1) if args.quick else (40, 3)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model, export = build(root)
        settings = TrainSettings(model=str(model), data=str(export), iters=iters, steps_per_report=4,
                                 steps_per_eval=iters, save_every=iters, val_batches=4, blas="off")
        fast = find_openblas()
        best = {"a": float("inf"), "b": float("inf"), "b_fast": float("inf")}
        tokens = 0
        for n in range(repeats):
            best["a"] = min(best["a"], run_mlx_lm(settings, root / f"mlx-{n}"))
            seconds, tokens = run_ours(settings, root / "adapters")
            best["b"] = min(best["b"], seconds)
            if fast:
                seconds, _ = run_ours(dataclasses.replace(settings, blas="auto"), root / "adapters")
                best["b_fast"] = min(best["b_fast"], seconds)
            print(f"round {n + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in best.items() if v < float("inf")),
                  flush=True)
    rate = {k: tokens / v for k, v in best.items() if v < float("inf")}
    ratio = rate["b"] / rate["a"]
    line = (f"BENCH bench_train iters={iters} answer_tokens={tokens} a_tok_s={rate['a']:.1f} b_tok_s={rate['b']:.1f} "
            f"ratio={ratio:.3f}")
    if "b_fast" in rate:
        line += f" b_fast_tok_s={rate['b_fast']:.1f} fast_ratio={rate['b_fast'] / rate['a']:.2f} blas={fast}"
    else:
        line += " b_fast=none(no optimized BLAS found)"
    print(f"{line} target=b/a>=0.97 ok={'yes' if ratio >= 0.97 else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
