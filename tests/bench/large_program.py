"""A large scheduling-like instance: mostly ~10-byte facts, a choice rule and two constraints.

The names are short on purpose: per-fact costs are the ones to watch.

Shaped like the real instance of issue 9 (840 KB, 85,000 facts): tables that only some
constraints use, and a solution (the conflicts never pair a task with itself).
"""

from __future__ import annotations

import random

SLOTS = 40


def make_program(size: int, seed: int = 0) -> str:
    """About `size` bytes of ASP (ASCII)."""
    rng = random.Random(seed)
    tasks = max(20, size // 850)
    head = (f"% Tasks, slots, b(T,S): task T is busy in slot S, c(A,B): tasks A and B conflict.\n"
            f"#const slots={SLOTS}.\nslot(1..slots).\ntask(1..{tasks}).\n")
    tail = ("% Each task gets one slot.\n{ at(T,S) : slot(S) } = 1 :- task(T).\n"
            "% A task is never put in a slot where it is busy.\n:- at(T,S), b(T,S).\n"
            "% Conflicting tasks are apart.\n:- c(A,B), at(A,S), at(B,S).\n")
    parts = [head]
    total = len(head) + len(tail)
    while total < size:
        task = rng.randint(1, tasks)
        if rng.random() < 0.02:
            line = f"c({task},{task % tasks + 1}).\n"
        else:
            line = f"b({task},{rng.randint(1, 2 * SLOTS)}).\n"
        parts.append(line)
        total += len(line)
    parts.append(tail)
    return "".join(parts)
