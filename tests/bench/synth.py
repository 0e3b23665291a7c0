"""Synthetic workspaces for benchmarks: many distinct, realistic, clingo-valid benchmark folders.

Each benchmark is drawn from one of a few problem families with a planted solution (so every
program is satisfiable), its own instance, commented sections like the bundled set, and about a
third with soft constraints and the penalty objective. Every `variant_every`-th benchmark gets a
`_variant_b` sibling, every `ir_every`-th an IR.txt. Same arguments, same bytes.

    from synth import make_workspace
    workspace = make_workspace(tmp / "ws", 1000, seed=1)

`make_foreign_tree` / `make_foreign_workspace` write trees whose benchmarks carry another
pipeline's structure.json (see the section below).
"""

from __future__ import annotations

import json
import random
import re
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


# --- Trees with foreign caches: structure.json as another pipeline (Gemini, the seed) left it ---
#
# Three more families like the real tree's hard cases: exam timetables with thousands of answer
# sets, rosters whose optimum takes seconds to prove, and logistics planning whose support
# definitions (truck and package positions) several constraints share. Their caches have no
# sidecar, tone labels and odd descriptions like a teacher's, components split verbatim from the
# program (in another order), a few with renamed variables, and on request one that is wrong.

TONE_LABELS = ("Business Requirements: ", "Sanity check: ", "Academic: ", "**Casual:** ", "Succinct: ", "Didactic: ")
NON_ASCII = "Zwei Einträge dürfen sich nie überschneiden – niemals; «règle» stricte ✓"


def _exams(rng: random.Random, n: int, soft: bool) -> tuple[str, str]:
    slots, rooms, n = 4, 2, 5 + n % 4
    exams = [f"x{i}" for i in range(1, n + 1)]
    planted = {e: (1 + i % slots, 1 + (i // slots) % rooms) for i, e in enumerate(exams)}
    clashes = sorted({(a, b) for i, a in enumerate(exams) for b in exams[i + 1:]
                      if planted[a][0] != planted[b][0] and rng.random() < 0.15})
    asp = [
        f"% Place {n} exams into {slots} slots and {rooms} rooms; many timetables are possible.",
        "",
        "% --- Instance ---",
        "",
        "% The exams to schedule.",
        f"exam({'; '.join(exams)}).",
        "% The time slots and the rooms.",
        f"slot(1..{slots}).",
        f"room(1..{rooms}).",
        "% Exams that share students.",
        f"clash({'; '.join(f'{a},{b}' for a, b in clashes) or 'x1,x1'}).",
        "",
        "% --- Generator ---",
        "",
        "% Every exam gets exactly one slot and room.",
        "{ at(E,S,R) : slot(S), room(R) } = 1 :- exam(E).",
        "",
        "% --- Hard constraints ---",
        "",
        "% A room holds one exam per slot.",
        ":- at(E1,S,R), at(E2,S,R), E1 < E2.",
        "% Exams that share students are in different slots.",
        ":- clash(A,B), A != B, at(A,S,_), at(B,S,_).",
        "",
        "% Show the slot and room of every exam.",
        "#show at/3.",
    ]
    nl = (f"Schedule the exams {', '.join(exams)} into slots 1 to {slots} and rooms 1 to {rooms}, one exam per "
          f"room and slot; exams sharing students ({', '.join(f'{a} and {b}' for a, b in clashes) or 'none'}) "
          "must be in different slots.")
    return nl, "\n".join(asp) + "\n"


def _roster(rng: random.Random, n: int, soft: bool) -> tuple[str, str]:
    nurses, days = (5, 4) if n % 2 else (6, 3)
    wishes = sorted({(rng.randint(1, nurses), rng.randint(1, days), rng.choice("men")) for _ in range(4)})
    asp = [
        f"% Roster {nurses} nurses over {days} days with balanced loads; the optimum is slow to prove.",
        "",
        "% --- Instance ---",
        "",
        "% The nurses, the days and the shifts.",
        f"nurse(1..{nurses}).",
        f"day(1..{days}).",
        "shift(m;e;n).",
        "% How many nurses every shift needs.",
        "need(D,m,2) :- day(D).",
        "need(D,e,1) :- day(D).",
        "need(D,n,1) :- day(D).",
        "% Shifts that nurses asked for.",
        f"wish({'; '.join(f'{x},{d},{s}' for x, d, s in wishes)}).",
        "",
        "% --- Generator ---",
        "",
        "% A nurse works at most one shift a day.",
        "{ work(X,D,S) : shift(S) } <= 1 :- nurse(X), day(D).",
        "",
        "% --- Support ---",
        "",
        "% How many shifts each nurse works.",
        "load(X,L) :- nurse(X), L = #count { D,S : work(X,D,S) }.",
        "",
        "% --- Hard constraints ---",
        "",
        "% Every shift gets exactly the nurses it needs.",
        ":- need(D,S,K), #count { X : work(X,D,S) } != K.",
        "% Nobody works a morning after a night.",
        ":- work(X,D,n), work(X,D+1,m).",
        "",
        "% --- Soft constraints ---",
        "",
        "% Uneven loads cost the square of each load.",
        'penalty("load", X, L*L) :- load(X,L).',
        "% Working another shift than the one wished for costs 3.",
        'penalty("wish", (X,D), 3) :- wish(X,D,S), work(X,D,T), T != S.',
        "",
        "% --- Objective ---",
        "",
        "% Minimise the total of all penalties.",
        OBJECTIVE,
        "",
        "% Show the roster.",
        "#show work/3.",
    ]
    nl = (f"Roster nurses 1 to {nurses} over days 1 to {days}: each day needs two nurses in the morning, one in the "
          "evening and one at night, nobody works more than one shift a day or a morning after a night. Keep the "
          f"loads even and honour the wishes ({', '.join(f'nurse {x} on day {d}: {s}' for x, d, s in wishes)}).")
    return nl, "\n".join(asp) + "\n"


def _logistics(rng: random.Random, n: int, soft: bool) -> tuple[str, str]:
    places = ["depot", "mill", "port", "farm"][: 3 + n % 2]
    packages = [f"p{i}" for i in range(1, 3 + n % 2)]
    start = {p: rng.choice(places) for p in packages}
    goal = {p: rng.choice([q for q in places if q != start[p]]) for p in packages}
    # Enough steps for the plan that fetches and delivers each package in turn along the line.
    horizon = len(packages) * 2 * len(places)
    roads = [(a, b) for a, b in zip(places, places[1:])]
    asp = [
        f"% Deliver {len(packages)} packages with one truck on a line of {len(places)} places.",
        "",
        "% --- Instance ---",
        "",
        "% The truck, the places and the packages.",
        "truck(t1).",
        f"place({'; '.join(places)}).",
        f"package({'; '.join(packages)}).",
        "% Roads in both directions.",
        f"road({'; '.join(f'{a},{b}; {b},{a}' for a, b in roads)}).",
        "% Where everything starts and where packages must go.",
        f"init_truck(t1,{places[0]}).",
        f"init_pkg({'; '.join(f'{p},{start[p]}' for p in packages)}).",
        f"goal({'; '.join(f'{p},{goal[p]}' for p in packages)}).",
        f"#const horizon={horizon}.",
        "step(1..horizon).",
        "",
        "% --- Generator ---",
        "",
        "% Each step a truck drives, loads or unloads, or waits.",
        "{ drive(Tr,A,B,T) : road(A,B); load(P,Tr,T) : package(P); unload(P,Tr,T) : package(P) } <= 1 :- truck(Tr), step(T).",
        "",
        "% --- Support ---",
        "",
        "% Where the truck is at each step.",
        "truck_at(Tr,L,0) :- init_truck(Tr,L).",
        "truck_at(Tr,B,T) :- drive(Tr,_,B,T).",
        "truck_at(Tr,L,T) :- truck_at(Tr,L,T-1), step(T), not moved(Tr,T).",
        "moved(Tr,T) :- drive(Tr,_,_,T).",
        "% Where each package is, on the ground or in a truck.",
        "pkg_at(P,L,0) :- init_pkg(P,L).",
        "pkg_at(P,L,T) :- unload(P,Tr,T), truck_at(Tr,L,T-1).",
        "pkg_at(P,L,T) :- pkg_at(P,L,T-1), step(T), not load(P,_,T).",
        "in(P,Tr,T) :- load(P,Tr,T).",
        "in(P,Tr,T) :- in(P,Tr,T-1), step(T), not unload(P,Tr,T).",
        "",
        "% --- Hard constraints ---",
        "",
        "% Constraint: a truck drives only from where it is.",
        ":- drive(Tr,A,_,T), not truck_at(Tr,A,T-1).",
        "% Constraint: a package is loaded only where it lies and the truck is.",
        ":- load(P,Tr,T), pkg_at(P,L,T-1), not truck_at(Tr,L,T-1).",
        ":- load(P,_,T), not pkg_at(P,_,T-1).",
        "% Constraint: a package is unloaded only from the truck holding it.",
        ":- unload(P,Tr,T), not in(P,Tr,T-1).",
        "% Constraint: every package ends at its goal.",
        ":- goal(P,L), not pkg_at(P,L,horizon).",
        "",
        "% Show the plan.",
        "#show drive/4.",
        "#show load/3.",
        "#show unload/3.",
    ]
    nl = (f"A truck starts at {places[0]} on the road {' - '.join(places)}. Deliver "
          f"{', '.join(f'{p} from {start[p]} to {goal[p]}' for p in packages)} within {horizon} steps; each step "
          "the truck drives to a neighbouring place, loads or unloads one package, or waits.")
    return nl, "\n".join(asp) + "\n"


HARD_FAMILIES = {"Scheduling/Exams": _exams, "Scheduling/Rostering": _roster}
SHARED_FAMILIES = {"Planning": _logistics}
_FOREIGN_NAMES = {"Scheduling/Exams": "exams", "Scheduling/Rostering": "roster", "Planning": "logistics", **FAMILY_NAMES}
_SECTION = re.compile(r"^% --- (.+) ---$")
_PREDICATE = re.compile(r"\b([a-z_]\w*)\(")
_VARIABLE = re.compile(r"\b([A-Z]\w*)\b")


def _statements(asp: str) -> list[tuple[str, str, str]]:
    """(section, comment above, statement) for every statement of a generated program."""
    out, section, comment = [], "", ""
    for line in asp.splitlines():
        header = _SECTION.match(line)
        if header:
            section, comment = header.group(1), ""
        elif line.startswith("%"):
            comment = line.lstrip("% ").strip()
        elif line.strip():
            out.append((section, comment, line))
        else:
            comment = ""
    return out


def _head(statement: str) -> str:
    match = _PREDICATE.match(statement)
    return match.group(1) if match else ""


def _support_for(rule: str, support: list[str]) -> list[str]:
    """The support definitions a rule needs, transitively, in program order (what Gemini repeats)."""
    needed, grow = set(), set(_PREDICATE.findall(rule))
    while grow - needed:
        needed |= grow
        grow = needed | {p for s in support if _head(s) in needed for p in _PREDICATE.findall(s)}
    return [s for s in support if _head(s) in needed]


def _rename(rule: str) -> str:
    """The same rule with other variable names (meaning unchanged); strings are left alone."""
    parts = re.split(r'("[^"]*")', rule)
    return "".join(p if p.startswith('"') else _VARIABLE.sub(lambda m: m.group(1) + "x", p) for p in parts)


def _make_wrong(rule: str) -> str | None:
    """The rule with its last body literal negated (it then means something else), or None."""
    body = rule.rstrip(".").rsplit(", ", 1)
    if not rule.startswith(":-") or len(body) < 2 or not re.fullmatch(r"[a-z]\w*\(.*\)", body[1]):
        return None
    return f"{body[0]}, not {body[1]}."


def _description(rng: random.Random, comment: str) -> str:
    roll = rng.random()
    if roll < 0.04:
        return ""
    if roll < 0.07:
        return " ".join([comment] * 40)
    if roll < 0.10:
        return NON_ASCII
    if roll < 0.45:
        return rng.choice(TONE_LABELS) + comment
    return comment


def foreign_structure(asp: str, rng: random.Random, *, rename: bool = False, wrong: bool = False) -> dict:
    """A structure.json as the seed's Gemini pipeline would have left it for `asp`."""
    statements = _statements(asp)
    by_section: dict[str, list[tuple[str, str]]] = {}
    for section, comment, statement in statements:
        key = "Show" if statement.startswith("#show") else section
        by_section.setdefault(key, []).append((comment, statement))
    support = [s for _, s in by_section.get("Support", [])]
    instance = [s for _, s in by_section.get("Instance", [])]
    if rng.random() < 0.5:
        rng.shuffle(instance)
    # Gemini puts #show into the generator, and support definitions into every rule that uses them.
    generator = [s for _, s in by_section.get("Generator", [])] + [s for _, s in by_section.get("Show", [])]
    hard = [[c, s] for c, s in by_section.get("Hard constraints", [])]
    soft = [[c, s] for c, s in by_section.get("Soft constraints", [])]
    if wrong:
        for item in reversed(hard):
            changed = _make_wrong(item[1])
            if changed:
                item[1] = changed
                break
        else:
            raise ValueError("no hard constraint to make wrong")
    if rename and hard:
        hard[0][1] = _rename(hard[0][1])
    if len(hard) > 1 and rng.random() < 0.5:
        rng.shuffle(hard)

    def rules(items):
        return [{"description": _description(rng, c), "asp_rule": "\n".join([*_support_for(s, support), s])}
                for c, s in items]

    return {
        "instance_template": "\n".join(instance),
        "generator": "\n".join(generator),
        "hard_constraints": rules(hard),
        "soft_constraints": rules(soft),
        "global_objective": "\n".join(s for _, s in by_section.get("Objective", [])),
    }


def _short(nl: str, limit: int = 1500) -> str:
    """A description of a large instance names its data, it does not list it (like real ones)."""
    if len(nl) <= limit:
        return nl
    return nl[:limit].rsplit(" ", 1)[0] + " ... (the rest of the data is given as facts)."


def make_foreign_tree(root: Path, count: int, *, seed: int = 0, wrong: int = 0, variant_every: int = 5,
                      rename_every: int = 8, scale: int = 1) -> list[Path]:
    """`count` benchmark folders below `root`, each with a foreign structure.json and no sidecar.

    15% are hard scheduling problems (thousands of answer sets, or an optimum that takes seconds to
    prove), 15% planning with shared support definitions, the rest the plain families. Every
    `rename_every`-th cache has a constraint with renamed variables; the first `wrong` caches each
    have one constraint that means something else. `scale` multiplies the plain families' sizes
    (their instances grow about with its square)."""
    rng = random.Random(f"foreign-{seed}")
    plain = list(FAMILIES)
    folders: list[Path] = []
    i = 0
    while len(folders) < count:
        slot = i % 20
        if slot in (2, 9, 15):
            category = list(HARD_FAMILIES)[slot % 2]
            make = HARD_FAMILIES[category]
        elif slot in (5, 12, 18):
            category, make = "Planning", _logistics
        else:
            category = plain[i % len(plain)]
            make = FAMILIES[category]
        size = 5 + (i * 7 + seed) % 6
        base = f"{_FOREIGN_NAMES[category]}_{seed}_{i}"
        names = [base]
        if variant_every and i % variant_every == variant_every - 1 and len(folders) + 1 < count:
            names.append(f"{base}_variant_b")
        for offset, name in enumerate(names):
            nl, asp = make(rng, (size + offset) * (scale if category in FAMILIES else 1), i % 3 == 0)
            folder = root / category / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "NL.txt").write_text(_short(nl) + "\n", encoding="utf-8")
            (folder / "ASP.txt").write_text(asp, encoding="utf-8")
            structure = foreign_structure(asp, rng, rename=bool(rename_every) and i % rename_every == 1,
                                          wrong=len(folders) < wrong)
            (folder / "structure.json").write_text(json.dumps(structure, indent=2, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")
            folders.append(folder)
        i += 1
    return folders


def make_foreign_workspace(root: Path, count: int, *, seed: int = 0, **kwargs) -> Workspace:
    """A fresh workspace whose data/benchmarks holds `count` benchmarks with foreign caches."""
    workspace = init_workspace(root, with_samples=False)
    make_foreign_tree(workspace.benchmarks_dir, count, seed=seed, **kwargs)
    return workspace
