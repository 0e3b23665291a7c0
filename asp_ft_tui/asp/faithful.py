"""Faithfulness: does the recombined structure mean what the original program means?

First by its statements: when the recombined program holds the same statements as the original
(as clingo.ast reads them, in any order), it is faithful with nothing solved. Otherwise both are
solved (bounded, at the same time where the engine has workers to spare): the same
satisfiability, the same optimal cost, and the same answer sets on the predicates both show.
Collections are only compared whole: a side with more answer sets than the bound makes the
verdict inconclusive, unless one of its answer sets is missing from the other side's complete
collection, a difference no enumeration order can explain.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from asp_ft_tui.asp.guard import code_only

FAITHFUL, NOT_FAITHFUL, INCONCLUSIVE = "faithful", "not faithful", "inconclusive"
_SHOW = re.compile(r"#show\b")


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str = ""

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "reason": self.reason}


def signature(atom: str) -> str:
    """`name/arity` of an atom as clingo prints it (strings may hold commas and brackets)."""
    name = atom.split("(", 1)[0]  # a classical negation `-p` stays its own predicate
    if "(" not in atom:
        return f"{name}/0"
    depth, arity, quoted, escaped = 0, 1, False, False
    for char in atom[atom.index("(") + 1 : -1]:
        if quoted:
            quoted = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            arity += 1
    return f"{name}/{arity}"


def _out(result) -> bool:
    return result.timed_out or result.status == "UNKNOWN"


def _ran_out(result, time_limit: float) -> str:
    """What a solve ran out of: the engine's limit (wall clock, memory), else the time limit."""
    for d in result.diagnostics:
        if d.kind == "resource-limit":
            return d.message.removeprefix("resource limit: ").removeprefix("solving ")
    return f"ran out of its {time_limit:g} s time limit"


def _both(engine, work, original: str, recombined: str):
    """`work` on both programs: at the same time when the pool has a worker for each."""
    if engine.config.workers < 2:
        return work(original), work(recombined)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="faithful") as pool:
        other = pool.submit(work, recombined)
        return work(original), other.result()


def _first_lines(diagnostics) -> str:
    return "; ".join(d.message.splitlines()[0] for d in diagnostics if d.severity == "error")


def compare(engine, original: str, recombined: str, *, cap: int = 50, time_limit: float = 5.0) -> Verdict:
    """The verdict on `recombined` against `original`, comparing at most `cap` answer sets a side."""
    mine, theirs = _both(engine, engine.fingerprint, original, recombined)
    if mine.errors:
        return Verdict(INCONCLUSIVE, "the original program has errors: " + "; ".join(d.message for d in mine.errors))
    if theirs.errors:
        return Verdict(NOT_FAITHFUL, f"the recombined program has errors: {_first_lines(theirs.errors)}")
    if mine.digest is not None and mine.digest == theirs.digest:
        return Verdict(FAITHFUL, "the same statements as the original")
    # One more than the bound: a side that finds it has more answer sets than are compared.
    a, b = _both(engine, lambda program: engine.solve(program, models=cap + 1, time_limit=time_limit),
                 original, recombined)
    if a.status == "ERROR":
        return Verdict(INCONCLUSIVE, "the original program has errors: " + "; ".join(d.message for d in a.diagnostics))
    if b.status == "ERROR":
        return Verdict(NOT_FAITHFUL, f"the recombined program has errors: {_first_lines(b.diagnostics)}")
    for name, result in (("the original", a), ("the recombined program", b)):
        if _out(result):
            return Verdict(INCONCLUSIVE, f"solving {name} {_ran_out(result, time_limit)}")
    if a.status != b.status:
        return Verdict(NOT_FAITHFUL, f"the original is {a.status}, the recombined program {b.status}")
    if a.status == "UNSAT":
        return Verdict(FAITHFUL, "both unsatisfiable")
    if a.cost != b.cost:
        return Verdict(NOT_FAITHFUL, f"optimal cost {list(a.cost or [])} in the original, {list(b.cost or [])} recombined")
    # Each distinct atom once: fifty answer sets of a large instance repeat its 100,000 facts.
    predicate_of = {x: signature(x) for x in set().union(*a.models, *b.models)}
    in_original = {predicate_of[x] for x in set().union(*a.models)}
    in_recombined = {predicate_of[x] for x in set().union(*b.models)}
    # A predicate is only missing from a side for sure when that side's collection is complete.
    lost = in_original - in_recombined
    if lost and b.exhausted:
        return Verdict(NOT_FAITHFUL, f"predicates missing from the recombined answer sets: {', '.join(sorted(lost))}")
    extra = in_recombined - in_original
    if extra and a.exhausted and _SHOW.search(code_only(recombined)):
        return Verdict(NOT_FAITHFUL, f"predicates only in the recombined answer sets: {', '.join(sorted(extra))}")
    shared = in_original & in_recombined

    def project(models) -> set[frozenset[str]]:
        if shared == in_original == in_recombined:
            return set(map(frozenset, models))
        return {frozenset(x for x in m if predicate_of[x] in shared) for m in models}

    sets_a, sets_b = project(a.models), project(b.models)
    cost = f", optimal cost {list(a.cost)}" if a.cost else ""
    if a.exhausted and b.exhausted:
        if sets_a == sets_b:
            return Verdict(FAITHFUL, f"{len(sets_a)} answer sets agree{cost}")
        if len(sets_a) != len(sets_b):
            return Verdict(NOT_FAITHFUL, f"{len(sets_a)} answer sets in the original, {len(sets_b)} recombined")
        return Verdict(NOT_FAITHFUL, "the answer sets differ on the shared predicates")
    # One side complete, the other not: an answer set outside the complete collection is a
    # difference whatever the order of enumeration.
    if a.exhausted and not sets_b <= sets_a:
        return Verdict(NOT_FAITHFUL, f"an answer set of the recombined program is not one of the original's "
                                     f"{len(sets_a)}")
    if b.exhausted and not sets_a <= sets_b:
        return Verdict(NOT_FAITHFUL, f"an answer set of the original is not one of the recombined program's "
                                     f"{len(sets_b)}")
    where = " in the recombined program" if a.exhausted else " in the original" if b.exhausted else ""
    same_cost = f"the same optimal cost {list(a.cost)}; " if a.cost else ""
    return Verdict(INCONCLUSIVE, f"{same_cost}more than {cap} answer sets{where}: not compared")
