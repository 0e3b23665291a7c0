"""bench_eval: `asp-ft eval` (batched generation + clingo scoring) vs plain generation.

(a) the same prompts through plain `mlx_lm.generate`, one by one, greedy, same token bounds,
    no scoring; (b) `evaluate()` as `asp-ft eval` runs it: batched generation, then every answer
    scored by the clingo engine (valid, exact, semantic). Same model (the tiny offline model,
    pretrained briefly so it writes ASP-like text), same prompts (the bundled export's valid
    split), alternating, best of N.

    python tests/bench/bench_eval.py [--quick]
Target: samples/s of (b) / (a) >= 0.9 (scoring costs almost nothing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    limit, repeats, steps = (8, 1, 20) if args.quick else (32, 3, 150)

    from mlx_lm import generate, load
    from mlx_lm.sample_utils import make_sampler

    from asp_ft_tui.asp.engine import get_engine
    from asp_ft_tui.evaluation.evaluate import TOKEN_CAP, evaluate, read_split
    from asp_ft_tui.training.pretrain import pretrain
    from asp_ft_tui.training.tiny_model import make_tiny_model
    from asp_ft_tui.workspace import init_workspace

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = init_workspace(root / "ws")
        subprocess.run([sys.executable, "-m", "asp_ft_tui.cli", "convert", "-w", str(ws.root)], check=True,
                       capture_output=True)
        data = next(ws.exports_dir.iterdir()) / "valid.jsonl"
        model_dir = make_tiny_model(root / "tiny")
        pretrain(model_dir, steps, window=64, batch_size=4)
        pairs = read_split(data, limit)
        model, tokenizer = load(str(model_dir))
        limits = [min(TOKEN_CAP, 2 * len(tokenizer.encode(m["answer"])) + 32) for _, m in pairs]
        engine = get_engine()
        engine.warm_up()
        best = {"a": float("inf"), "b": float("inf")}
        for n in range(repeats):
            began = time.perf_counter()
            for (row, _), max_tokens in zip(pairs, limits):
                prompt = tokenizer.apply_chat_template(row["messages"][:-1], add_generation_prompt=True)
                generate(model, tokenizer, prompt, max_tokens=max_tokens, sampler=make_sampler(temp=0.0))
            best["a"] = min(best["a"], time.perf_counter() - began)
            began = time.perf_counter()
            summary = evaluate(str(model_dir), data, root / f"eval-{n}", engine, limit=limit)
            best["b"] = min(best["b"], time.perf_counter() - began)
            print(f"round {n + 1}: plain {best['a']:.1f} s, ours {best['b']:.1f} s; "
                  f"{json.dumps(summary.counts['all'])}", flush=True)
    rate_a, rate_b = len(pairs) / best["a"], len(pairs) / best["b"]
    ratio = rate_b / rate_a
    print(f"BENCH bench_eval samples={len(pairs)} plain_samples_s={rate_a:.2f} ours_samples_s={rate_b:.2f} "
          f"ratio={ratio:.2f} target=ratio>=0.9 ok={'yes' if ratio >= 0.9 else 'no'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
