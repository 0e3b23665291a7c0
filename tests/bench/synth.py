"""Synthetic workspaces for benchmarks: many distinct, realistic, clingo-valid benchmark folders.

Each benchmark is drawn from one of a few problem families with a planted solution (so every
program is satisfiable), its own instance, commented sections like the bundled set, and about a
third with soft constraints and the penalty objective. Every `variant_every`-th benchmark gets a
`_variant_b` sibling, every `ir_every`-th an IR.txt. Same arguments, same bytes.

    from synth import make_workspace
    workspace = make_workspace(tmp / "ws", 1000, seed=1)
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from asp_ft_tui.workspace import Workspace, init_workspace  # noqa: E402

OBJECTIVE = "#minimize { W,N,T : penalty(N,T,W) }."


def _colouring(rng: random.Random, n: int, soft: bool) -> tuple[str, str]:
    k = rng.randint(3, 4)
    planted = {v: rng.randrange(k) for v in range(1, n + 1)}
    edges = sorted(
        {(u, v) for u in range(1, n + 1) for v in range(u + 1, n + 1)
         if planted[u] != planted[v] and rng.random() < 0.35}
    )
    colours = ["red", "green", "blue", "yellow"][:k]
    prices = {c: rng.randint(1, 5) for c in colours}
    edge_facts = "; ".join(f"{u},{v}" for u, v in edges) or "1,2"
    asp = [
        f"% Colour a graph of {n} vertices with {k} colours so that neighbours differ.",
        "",
        "% --- Instance ---",
        "",
        "% The vertices of the graph.",
        f"vertex(1..{n}).",
        "% The undirected edges of the graph.",
        f"edge({edge_facts}).",
        "% The available colours and their prices.",
        f"colour({'; '.join(f'{c},{p}' for c, p in prices.items())}).",
        "% Colours a vertex must not take.",
        f"forbidden({'; '.join(f'{v},{colours[(planted[v] + 1) % k]}' for v in range(1, n + 1, 2))}).",
        "",
        "% --- Generator ---",
        "",
        "% Every vertex gets exactly one colour.",
        "{ assign(V,C) : colour(C,_) } = 1 :- vertex(V).",
        "",
        "% --- Hard constraints ---",
        "",
        "% Two vertices joined by an edge never share a colour.",
        ":- edge(U,V), assign(U,C), assign(V,C).",
        "% Some vertices may not take some colours.",
        ":- assign(V,C), forbidden(V,C).",
    ]
    if soft:
        asp += [
            "",
            "% --- Soft constraints ---",
            "",
            "% Painting a vertex costs the price of its colour.",
            'penalty("colour_price", V, P) :- assign(V,C), colour(C,P).',
            "",
            "% --- Objective ---",
            "",
            "% Minimise the total of all penalties.",
            OBJECTIVE,
        ]
    asp += ["", "% Show the colour of every vertex.", "#show assign/2."]
    nl = (
        f"A graph has {n} vertices and the edges {', '.join(f'{u}-{v}' for u, v in edges)}. "
        f"Colour every vertex with one of {', '.join(colours)} so that the two ends of every edge "
        "get different colours."
    )
    if soft:
        nl += " Colours have prices (" + ", ".join(f"{c} costs {p}" for c, p in prices.items()) + "); minimise the total price."
    return nl, "\n".join(asp) + "\n"


def _assignment(rng: random.Random, n: int, soft: bool) -> tuple[str, str]:
    workers = [f"w{i}" for i in range(1, max(2, n // 2) + 1)]
    tasks = [f"t{i}" for i in range(1, n + 1)]
    planted = {t: rng.choice(workers) for t in tasks}
    skills = {(planted[t], t) for t in tasks} | {(rng.choice(workers), rng.choice(tasks)) for _ in range(n)}
    load = max(sum(1 for t in tasks if planted[t] == w) for w in workers)
    costs = {(w, t): rng.randint(1, 9) for w, t in skills}
    asp = [
        f"% Assign {len(tasks)} tasks to {len(workers)} workers who have the skill for them.",
        "",
        "% --- Instance ---",
        "",
        "% The workers.",
        f"worker({'; '.join(workers)}).",
        "% The tasks.",
        f"task({'; '.join(tasks)}).",
        "% Which worker can do which task.",
        f"can({'; '.join(f'{w},{t}' for w, t in sorted(skills))}).",
        "% Worker and task pairs that cannot happen this week.",
        f"unavailable({'; '.join(f'{w},{t}' for w, t in sorted(skills) if planted[t] != w) or 'nobody,none'}).",
        "% The most tasks one worker may take.",
        f"#const max_load={load}.",
        "",
        "% --- Generator ---",
        "",
        "% Every task goes to exactly one worker who can do it.",
        "{ does(W,T) : can(W,T) } = 1 :- task(T).",
        "",
        "% --- Hard constraints ---",
        "",
        "% No worker takes more tasks than the maximum load.",
        ":- worker(W), #count { T : does(W,T) } > max_load.",
        "% A worker never does a task they are unavailable for.",
        ":- does(W,T), unavailable(W,T).",
    ]
    if soft:
        asp += [
            "% The cost of a worker doing a task.",
            f"cost({'; '.join(f'{w},{t},{c}' for (w, t), c in sorted(costs.items()))}).",
            "",
            "% --- Soft constraints ---",
            "",
            "% Each assignment costs what that worker charges for that task.",
            'penalty("assignment_cost", (W,T), C) :- does(W,T), cost(W,T,C).',
            "",
            "% --- Objective ---",
            "",
            "% Minimise the total of all penalties.",
            OBJECTIVE,
        ]
    asp += ["", "% Show who does which task.", "#show does/2."]
    nl = (
        f"There are workers {', '.join(workers)} and tasks {', '.join(tasks)}. Each task must be done by exactly "
        f"one worker who has the skill for it ({', '.join(f'{w} can do {t}' for w, t in sorted(skills))}), and no "
        f"worker may take more than {load} tasks."
    )
    if soft:
        nl += " Every worker charges a price per task; find the cheapest assignment."
    return nl, "\n".join(asp) + "\n"


def _timetable(rng: random.Random, n: int, soft: bool) -> tuple[str, str]:
    slots = rng.randint(3, 5)
    events = [f"e{i}" for i in range(1, n + 1)]
    planted = {e: rng.randint(1, slots) for e in events}
    clashes = sorted({(a, b) for i, a in enumerate(events) for b in events[i + 1:]
                      if planted[a] != planted[b] and rng.random() < 0.3})
    late = {e: rng.randint(1, 4) for e in rng.sample(events, k=max(1, n // 3))}
    asp = [
        f"% Place {n} events into {slots} time slots without clashes.",
        "",
        "% --- Instance ---",
        "",
        "% The events to schedule.",
        f"event({'; '.join(events)}).",
        "% The available time slots.",
        f"slot(1..{slots}).",
        "% Pairs of events that share participants.",
        f"clash({'; '.join(f'{a},{b}' for a, b in clashes) or 'e1,e1'}).",
        "% Slots in which an event cannot be held.",
        f"blocked({'; '.join(f'{e},{planted[e] % slots + 1}' for e in events[::2])}).",
        "",
        "% --- Generator ---",
        "",
        "% Every event is held in exactly one slot.",
        "{ at(E,S) : slot(S) } = 1 :- event(E).",
        "",
        "% --- Hard constraints ---",
        "",
        "% Clashing events are never held in the same slot.",
        ":- clash(A,B), A != B, at(A,S), at(B,S).",
        "% An event is never held in a slot blocked for it.",
        ":- at(E,S), blocked(E,S).",
    ]
    if soft:
        asp += [
            "% Events whose organisers dislike late slots, with how much.",
            f"dislikes_late({'; '.join(f'{e},{w}' for e, w in sorted(late.items()))}).",
            "",
            "% --- Soft constraints ---",
            "",
            "% Holding such an event in the last slot costs its weight.",
            f'penalty("late_slot", E, W) :- dislikes_late(E,W), at(E,{slots}).',
            "",
            "% --- Objective ---",
            "",
            "% Minimise the total of all penalties.",
            OBJECTIVE,
        ]
    asp += ["", "% Show the slot of every event.", "#show at/2."]
    nl = (
        f"Schedule the events {', '.join(events)} into slots 1 to {slots}. Events that share participants "
        f"({', '.join(f'{a} and {b}' for a, b in clashes) or 'none'}) must be in different slots."
    )
    if soft:
        nl += f" Some organisers dislike the last slot ({', '.join(f'{e} with weight {w}' for e, w in sorted(late.items()))}); minimise their discomfort."
    return nl, "\n".join(asp) + "\n"


FAMILIES = {"Graph Problems": _colouring, "Configuration": _assignment, "Scheduling": _timetable}
FAMILY_NAMES = {"Graph Problems": "colouring", "Configuration": "assignment", "Scheduling": "timetable"}


def _ir(nl: str) -> str:
    return "Objects:\n- see the description\nConstraints:\n- " + nl.replace(". ", ".\n- ") + "\n"


def make_benchmark_tree(root: Path, count: int, *, seed: int = 0, variant_every: int = 5, ir_every: int = 7) -> list[Path]:
    """Write `count` benchmark folders (variants included in the count) below `root`."""
    rng = random.Random(seed)
    families = list(FAMILIES)
    folders: list[Path] = []
    i = 0
    while len(folders) < count:
        category = families[i % len(families)]
        size = 5 + (i * 7 + seed) % 6
        soft = i % 3 == 0
        base = f"{FAMILY_NAMES[category]}_{seed}_{i}"
        batch = f"Batch {i // 60}"
        names = [base]
        if variant_every and i % variant_every == variant_every - 1 and len(folders) + 1 < count:
            names.append(f"{base}_variant_b")
        for offset, name in enumerate(names):
            nl, asp = FAMILIES[category](rng, size + offset, soft)
            folder = root / category / batch / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "NL.txt").write_text(nl + "\n", encoding="utf-8")
            (folder / "ASP.txt").write_text(asp, encoding="utf-8")
            if ir_every and i % ir_every == 0:
                (folder / "IR.txt").write_text(_ir(nl), encoding="utf-8")
            folders.append(folder)
        i += 1
    return folders


def make_workspace(root: Path, count: int, *, seed: int = 0, **kwargs) -> Workspace:
    """A fresh workspace whose data/benchmarks holds `count` synthetic benchmarks."""
    workspace = init_workspace(root, with_samples=False)
    make_benchmark_tree(workspace.benchmarks_dir, count, seed=seed, **kwargs)
    return workspace
