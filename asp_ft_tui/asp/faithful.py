"""Faithfulness: does the recombined structure mean what the original program means?

Both are solved (bounded): the same satisfiability, the same number of answer sets (up to a
cap), the same answer sets on the predicates both show, and the same optimal cost.
"""

from __future__ import annotations

import re
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


def compare(engine, original: str, recombined: str, *, cap: int = 50, time_limit: float = 5.0) -> Verdict:
    a = engine.solve(original, models=cap, time_limit=time_limit)
    if a.status == "ERROR":
        return Verdict(INCONCLUSIVE, "the original program has errors: " + "; ".join(d.message for d in a.diagnostics))
    # When the original ran out, no answer sets can be compared: the recombined program is only
    # checked for errors (one answer set, not `cap` more to wait for).
    b = engine.solve(recombined, models=1 if _out(a) else cap, time_limit=time_limit)
    if b.status == "ERROR":
        text = "; ".join(d.message.splitlines()[0] for d in b.diagnostics if d.severity == "error")
        return Verdict(NOT_FAITHFUL, f"the recombined program has errors: {text}")
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
    lost = in_original - in_recombined
    if lost:
        return Verdict(NOT_FAITHFUL, f"predicates missing from the recombined answer sets: {', '.join(sorted(lost))}")
    extra = in_recombined - in_original
    if extra and _SHOW.search(code_only(recombined)):
        return Verdict(NOT_FAITHFUL, f"predicates only in the recombined answer sets: {', '.join(sorted(extra))}")
    shared = in_original & in_recombined

    def project(models) -> set[frozenset[str]]:
        if shared == in_original == in_recombined:
            return set(map(frozenset, models))
        return {frozenset(x for x in m if predicate_of[x] in shared) for m in models}

    same_sets = project(a.models) == project(b.models)
    if a.exhausted and b.exhausted:
        if len(a.models) != len(b.models):
            return Verdict(NOT_FAITHFUL, f"{len(a.models)} answer sets in the original, {len(b.models)} recombined")
        if not same_sets:
            return Verdict(NOT_FAITHFUL, "the answer sets differ on the shared predicates")
        return Verdict(FAITHFUL, f"{len(a.models)} answer sets agree" + (f", optimal cost {list(a.cost)}" if a.cost else ""))
    if a.exhausted != b.exhausted:
        counts = [str(len(x.models)) if x.exhausted else f"more than {len(x.models) - 1}" for x in (a, b)]
        return Verdict(NOT_FAITHFUL, f"{counts[0]} answer sets in the original, {counts[1]} recombined")
    if same_sets:
        return Verdict(FAITHFUL, f"the first {cap} answer sets agree")
    return Verdict(INCONCLUSIVE, f"more than {cap} answer sets; the first {cap} differ")
