"""Clingo evaluation during training: a fixed valid subset, scored every N optimizer updates.

The worker calls `Probe.run` between two batches with the model it trains (switched to eval
mode for the generation and back). The best checkpoint is the one with the most semantically
right answers, then the most valid ones, then the lowest validation loss; `stale` counts the
evaluations since the best one, for early stopping. mlx-lm has neither (its pull requests for a
best checkpoint and for patience are unmerged): both live here and in the worker.
"""

from __future__ import annotations

from pathlib import Path

from asp_ft_tui.evaluation.evaluate import TOKEN_CAP, generate_answers, read_split
from asp_ft_tui.evaluation.scoring import Verdict, score


class Probe:
    def __init__(self, data: Path, samples: int, tokenizer, engine) -> None:
        self.pairs = read_split(Path(data) / "valid.jsonl", samples)
        self.tokenizer = tokenizer
        self.engine = engine
        self.limits = [min(TOKEN_CAP, 2 * len(tokenizer.encode(meta["answer"])) + 32) for _, meta in self.pairs]
        self.best: tuple | None = None
        self.stale = 0

    def run(self, model, val_loss: float | None) -> dict:
        model.eval()
        try:
            outputs = generate_answers(model, self.tokenizer, [row["messages"][:-1] for row, _ in self.pairs],
                                       self.limits)
        finally:
            model.train()
        verdicts = [Verdict(failure=out["failure"]) if out["failure"] else score(self.engine, meta, out["text"])
                    for (_, meta), out in zip(self.pairs, outputs)]
        n = len(verdicts)
        valid = sum(v.valid for v in verdicts) / n
        semantic = sum(v.semantic == "yes" for v in verdicts) / n
        key = (semantic, valid, -val_loss if val_loss is not None else float("-inf"))
        improved = self.best is None or key > self.best
        if improved:
            self.best, self.stale = key, 0
        else:
            self.stale += 1
        return {"samples": n, "valid": valid, "semantic": semantic, "improved": improved, "stale": self.stale}
