"""What a chart of a run shows: loss points and the latest stats, fed event by event.

Memory stays bounded however long the run: when a series reaches `limit` points, every other
point is dropped (the curve keeps its shape at half the resolution) and new points come in at
the coarser spacing too.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Series:
    limit: int = 2000
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    stride: int = 1
    _seen: int = 0

    def add(self, x: float, y: float) -> None:
        if self.xs and x <= self.xs[-1]:
            # A resumed run validates again at the iteration it stopped at: keep the newest value.
            while self.xs and x <= self.xs[-1]:
                self.xs.pop()
                self.ys.pop()
        self._seen += 1
        if self._seen % self.stride:
            return
        self.xs.append(x)
        self.ys.append(y)
        if len(self.xs) >= self.limit:
            self.xs, self.ys = self.xs[::2], self.ys[::2]
            self.stride *= 2


@dataclass
class RunSeries:
    """Train and validation loss of one run, plus the stats row."""

    train: Series = field(default_factory=Series)
    val: Series = field(default_factory=Series)
    validity: Series = field(default_factory=Series)
    semantic: Series = field(default_factory=Series)
    iteration: int = 0
    iters: int = 0
    last_train: dict = field(default_factory=dict)
    status: str = ""
    reason: str = ""
    changed: bool = False

    def feed(self, events: list[dict]) -> None:
        for event in events:
            try:
                self._feed_one(event)
            except (KeyError, TypeError, ValueError):
                continue  # a damaged line: the chart goes on with the others

    def _feed_one(self, event: dict) -> None:
        kind = event.get("kind")
        if kind == "start":
            self.iters = int(event.get("iters", self.iters))
            self.iteration = int(event.get("iteration", self.iteration))
            self.status, self.reason = "running", ""
        elif kind == "train":
            numbers = {k: float(event[k]) for k in ("train_loss", "learning_rate", "iterations_per_second",
                                                     "tokens_per_second", "peak_memory")}
            iteration = int(event["iteration"])
            if numbers["train_loss"] == numbers["train_loss"] and abs(numbers["train_loss"]) != float("inf"):
                self.train.add(iteration, numbers["train_loss"])
            self.iteration = iteration
            self.last_train = numbers
        elif kind == "val":
            self.val.add(int(event["iteration"]), float(event["val_loss"]))
        elif kind == "eval":
            self.validity.add(int(event["iteration"]), float(event["valid"]))
            self.semantic.add(int(event["iteration"]), float(event["semantic"]))
        elif kind == "end":
            self.status = {"finished": "finished", "early stop": "stopped early"}.get(event.get("reason"), "stopped")
        elif kind == "failed":
            self.status, self.reason = "failed", str(event.get("reason", ""))
        self.changed = True

    def stats(self) -> str:
        """it/s, tokens/s, learning rate, memory and ETA, from the latest report."""
        parts = [f"iteration {self.iteration}/{self.iters or '?'}"]
        t = self.last_train
        if t:
            parts.append(f"loss {t['train_loss']:.3f}")
            if self.val.ys:
                parts.append(f"val {self.val.ys[-1]:.3f} (best {min(self.val.ys):.3f})")
            if self.validity.ys:
                parts.append(f"clingo-valid {100 * self.validity.ys[-1]:.0f}% semantic {100 * self.semantic.ys[-1]:.0f}%")
            parts.append(f"{t['iterations_per_second']:.2f} it/s")
            parts.append(f"{t['tokens_per_second']:.0f} tok/s")
            parts.append(f"lr {t['learning_rate']:.2e}")
            parts.append(f"{t['peak_memory']:.2f} GB")
            if self.status == "running" and t["iterations_per_second"] > 0 and self.iters:
                parts.append(f"ETA {clock((self.iters - self.iteration) / t['iterations_per_second'])}")
        if self.status:
            parts.append(self.status + (f": {self.reason}" if self.reason else ""))
        return "  ".join(parts)


def loss_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def clock(seconds: float | None) -> str:
    """`m:ss`, or `h:mm:ss` from an hour on; `-` when unknown."""
    if seconds is None:
        return "-"
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
