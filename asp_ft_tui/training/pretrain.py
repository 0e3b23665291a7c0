"""A short full-parameter "pretraining" of the tiny model, so LoRA on it has something to adapt.

LoRA on a frozen random base plateaus near loss 5: the adapters only get a low-rank update of
random weights. A few hundred full-parameter steps (embeddings included; mlx-lm's `full` fine-tune
type leaves them frozen) on the bundled benchmarks as chat turns give the base a prior for ASP
and for the chat layout, and LoRA then shows a falling loss. Minutes at most on two CPU cores.

Training data: every bundled benchmark as a conversation (its description asks, its program
answers) plus its program on its own, tokenized with the model's chat template, cut into
random windows of `window` tokens; next-token loss over every token; AdamW with cosine decay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

SYSTEM = "You are an expert in Answer Set Programming with clingo."


def default_documents() -> list[list[dict]]:
    """The bundled benchmarks as chat conversations, in a fixed order."""
    from asp_ft_tui import paths
    from asp_ft_tui.domain.benchmarks import discover

    conversations = []
    for bench in discover(paths.bundled_benchmarks()).benchmarks:
        question = (bench.nl or bench.ir or "").strip()
        program = bench.asp.strip()
        conversations.append([{"role": "system", "content": SYSTEM},
                              {"role": "user", "content": f"Write a clingo program for this problem.\n\n{question}"},
                              {"role": "assistant", "content": program}])
        for statement in (s.strip() for s in program.split(".\n") if s.strip()):
            conversations.append([{"role": "system", "content": SYSTEM},
                                  {"role": "user", "content": "Write one clingo statement."},
                                  {"role": "assistant", "content": statement + "."}])
    return conversations


def pretrain(model_dir: Path, steps: int, *, documents: Iterable[list[dict]] | None = None, seed: int = 0,
             window: int = 128, batch_size: int = 8, learning_rate: float = 2e-3,
             progress: Callable[[int, float], None] | None = None) -> list[float]:
    """Train every parameter of the model in `model_dir` for `steps` steps and save it in place.

    Returns the loss of every step.
    """
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim
    import numpy as np
    from mlx_lm import load
    from mlx_lm.utils import save_model

    if steps <= 0:
        return []
    model_dir = Path(model_dir)
    model, tokenizer = load(str(model_dir))
    tokens: list[int] = []
    for conversation in default_documents() if documents is None else documents:
        tokens += tokenizer.apply_chat_template(conversation, return_dict=False)
    data = np.array(tokens, dtype=np.int32)
    if len(data) <= window + 1:
        raise ValueError(f"the pretraining corpus has {len(data)} tokens, fewer than one window of {window}")
    rng = np.random.default_rng(seed)
    mx.random.seed(seed)
    model.unfreeze()
    model.train()

    def loss_fn(model, batch):
        logits = model(batch[:, :-1])
        return nn.losses.cross_entropy(logits, batch[:, 1:]).astype(mx.float32).mean()

    schedule = optim.cosine_decay(learning_rate, steps, learning_rate / 20)
    optimizer = optim.AdamW(learning_rate=schedule, weight_decay=0.01)
    loss_and_grad = nn.value_and_grad(model, loss_fn)
    losses = []
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(data) - window - 1, size=batch_size)
        batch = mx.array(np.stack([data[s:s + window + 1] for s in starts]))
        loss, grads = loss_and_grad(model, batch)
        optimizer.update(model, grads)
        mx.eval(model.parameters(), optimizer.state, loss)
        losses.append(loss.item())
        if progress is not None:
            progress(step, losses[-1])
    model.eval()
    save_model(model_dir, model)
    return losses
