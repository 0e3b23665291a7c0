"""The corruption engine: break valid ASP on purpose, the ways language models break it.

Each operator takes code and a seeded `random.Random` and returns a broken candidate, or None
where it does not apply. A candidate becomes a repair pair only when clingo, with the same
context, really rejects it (`make_pairs`): some mistakes are silently valid (`<>` is clingo's
own spelling of `!=`, an accented letter inside a string is fine) and those are skipped.
Positions are found on the code with comments and strings blanked out (`guard.code_only`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from asp_ft_tui.asp.guard import code_only

Operator = Callable[[str, random.Random], "str | None"]
_ACCENTED = {"a": "\u00e1", "e": "\u00e9", "i": "\u00ed", "o": "\u00f3", "u": "\u00fc", "n": "\u00f1", "c": "\u00e7"}


@dataclass(frozen=True)
class RepairPair:
    operator: str
    broken: str
    fixed: str
    error: str
    """The canonical clingo error text of `broken` with its context."""


def _spans(pattern: str, code: str) -> list[re.Match]:
    return list(re.finditer(pattern, code_only(code)))


def _pick(rng: random.Random, matches: Sequence[re.Match]) -> re.Match | None:
    return matches[rng.randrange(len(matches))] if matches else None


def _replace(code: str, start: int, end: int, new: str) -> str:
    return code[:start] + new + code[end:]


def _statement_ends(mask: str) -> list[int]:
    """Positions of the periods that end statements (not `..` ranges, not inside brackets)."""
    ends, depth = [], 0
    for i, char in enumerate(mask):
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth = max(0, depth - 1)
        elif char == "." and depth == 0 and mask[i - 1 : i] != "." and mask[i + 1 : i + 2] != ".":
            ends.append(i)
    return ends


def _body_commas(code: str) -> list[int]:
    """Commas between body literals: depth 0, after a `:-` in the same statement."""
    mask = code_only(code)
    out, depth, in_body = [], 0, False
    for i, char in enumerate(mask):
        if mask.startswith(":-", i) or mask.startswith(":~", i):
            in_body = True
        elif char in "({[":
            depth += 1
        elif char in ")}]":
            depth = max(0, depth - 1)
        elif char == "." and depth == 0 and mask[i + 1 : i + 2] != "." and mask[i - 1 : i] != ".":
            in_body = False
        elif char == "," and depth == 0 and in_body:
            out.append(i)
    return out


def missing_period(code: str, rng: random.Random) -> str | None:
    ends = _statement_ends(code_only(code))
    return _replace(code, ends[-1], ends[-1] + 1, "") if ends else None


def double_braces(code: str, rng: random.Random) -> str | None:
    mask = code_only(code)
    opens = [i for i, c in enumerate(mask) if c == "{"]
    if not opens:
        return None
    start = opens[rng.randrange(len(opens))]
    depth = 0
    for end in range(start, len(mask)):
        depth += {"{": 1, "}": -1}.get(mask[end], 0)
        if depth == 0:
            return code[:start] + "{{" + code[start + 1 : end] + "}}" + code[end + 1 :]
    return None


def unsafe_variable(code: str, rng: random.Random) -> str | None:
    """Drop the body of a rule whose head has a variable: the variable is no longer bound."""
    mask = code_only(code)
    starts = [0] + [e + 1 for e in _statement_ends(mask)]
    candidates = []
    for begin, end in zip(starts, _statement_ends(mask)):
        statement = mask[begin:end]
        neck = statement.find(":-")
        if neck > 0 and re.search(r"\b[A-Z][A-Za-z0-9_']*", statement[:neck]):
            candidates.append((begin + neck, end))
    if not candidates:
        return None
    neck, end = candidates[rng.randrange(len(candidates))]
    return code[:neck].rstrip() + code[end:]


def smart_quotes(code: str, rng: random.Random) -> str | None:
    quotes = [i for i, c in enumerate(code_only(code)) if c == '"']
    if len(quotes) < 2:
        return None
    pair = rng.randrange(len(quotes) // 2) * 2
    a, b = quotes[pair], quotes[pair + 1]
    return code[:a] + "\u201c" + code[a + 1 : b] + "\u201d" + code[b + 1 :]


def en_dash(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"\.\.", code)) or _pick(rng, _spans(r"(?<=:)-", code))
    return _replace(code, match.start(), match.end(), "\u2013") if match else None


def non_breaking_space(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"(?<=\S) (?=\S)", code))
    return _replace(code, match.start(), match.end(), "\u00a0") if match else None


def accented_letter(code: str, rng: random.Random) -> str | None:
    names = _spans(r"\b[a-z][a-z0-9_]*(?=\()", code)
    letters = [i for match in names for i in range(match.start(), match.end()) if code[i] in _ACCENTED]
    if not letters:
        return None
    i = letters[rng.randrange(len(letters))]
    return _replace(code, i, i + 1, _ACCENTED[code[i]])


def pipe_for_colon(code: str, rng: random.Random) -> str | None:
    mask = code_only(code)
    depth, colons = 0, []
    for i, char in enumerate(mask):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == ":" and depth > 0 and mask[i + 1 : i + 2] not in ("-", "~", "="):
            colons.append(i)
    if not colons:
        return None
    i = colons[rng.randrange(len(colons))]
    return _replace(code, i, i + 1, "|")


def backslash_neq(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"!=", code))
    return _replace(code, match.start(), match.end(), "\\=") if match else None


def diamond_neq(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"!=", code))
    return _replace(code, match.start(), match.end(), "<>") if match else None


def colon_assign(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"(?<![!<>=:])=(?!=)", code))
    return _replace(code, match.start(), match.end(), ":=") if match else None


def bang_not(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"\bnot\s+", code))
    return _replace(code, match.start(), match.end(), "!") if match else None


def tilde_not(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"\bnot\s+", code))
    return _replace(code, match.start(), match.end(), "~") if match else None


def markdown_fences(code: str, rng: random.Random) -> str | None:
    return f"```{rng.choice(['asp', 'prolog', ''])}\n{code.strip()}\n```"


def if_for_neck(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"(?<=\S)\s*:-", code))
    return _replace(code, match.start(), match.end(), " if") if match else None


def and_in_body(code: str, rng: random.Random) -> str | None:
    commas = _body_commas(code)
    if not commas:
        return None
    i = commas[rng.randrange(len(commas))]
    return _replace(code, i, i + 1, " and")


def or_in_body(code: str, rng: random.Random) -> str | None:
    commas = _body_commas(code)
    if not commas:
        return None
    i = commas[rng.randrange(len(commas))]
    return _replace(code, i, i + 1, " or")


def slash_comment(code: str, rng: random.Random) -> str | None:
    comments = [m for m in re.finditer(r"(?m)^(\s*)%(?!\*)", code)]
    if comments:
        match = comments[rng.randrange(len(comments))]
        return _replace(code, match.end() - 1, match.end(), "//")
    ends = _statement_ends(code_only(code))
    if not ends:
        return None
    return code[: ends[-1] + 1] + " // " + rng.choice(["done", "the rule above", "check this"]) + code[ends[-1] + 1 :]


def directive_without_hash(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"#(minimi[sz]e|maximi[sz]e|show|const)\b", code))
    return _replace(code, match.start(), match.start() + 1, "") if match else None


def unbalanced_paren(code: str, rng: random.Random) -> str | None:
    closes = [i for i, c in enumerate(code_only(code)) if c == ")"]
    if not closes:
        return None
    i = closes[rng.randrange(len(closes))]
    return _replace(code, i, i + 1, "")


def unbalanced_brace(code: str, rng: random.Random) -> str | None:
    closes = [i for i, c in enumerate(code_only(code)) if c == "}"]
    if not closes:
        return None
    i = closes[rng.randrange(len(closes))]
    return _replace(code, i, i + 1, "")


def capitalised_predicate(code: str, rng: random.Random) -> str | None:
    match = _pick(rng, _spans(r"(?<![A-Za-z0-9_#\"])[a-z][A-Za-z0-9_]*(?=\()", code))
    return _replace(code, match.start(), match.start() + 1, code[match.start()].upper()) if match else None


def missing_comma(code: str, rng: random.Random) -> str | None:
    commas = _body_commas(code)
    if not commas:
        return None
    i = commas[rng.randrange(len(commas))]
    return _replace(code, i, i + 1, "")


OPERATORS: dict[str, Operator] = {
    "missing_period": missing_period,
    "double_braces": double_braces,
    "unsafe_variable": unsafe_variable,
    "smart_quotes": smart_quotes,
    "en_dash": en_dash,
    "non_breaking_space": non_breaking_space,
    "accented_letter": accented_letter,
    "pipe_for_colon": pipe_for_colon,
    "backslash_neq": backslash_neq,
    "diamond_neq": diamond_neq,
    "colon_assign": colon_assign,
    "bang_not": bang_not,
    "tilde_not": tilde_not,
    "markdown_fences": markdown_fences,
    "if_for_neck": if_for_neck,
    "and_in_body": and_in_body,
    "or_in_body": or_in_body,
    "slash_comment": slash_comment,
    "directive_without_hash": directive_without_hash,
    "unbalanced_paren": unbalanced_paren,
    "unbalanced_brace": unbalanced_brace,
    "capitalised_predicate": capitalised_predicate,
    "missing_comma": missing_comma,
}


@dataclass(frozen=True)
class Candidate:
    index: int
    """Which input snippet it breaks."""
    operator: str
    broken: str


def has_code(text: str) -> bool:
    """Something clingo reads besides whitespace and comments."""
    return bool(code_only(text).strip())


def candidates_for(code: str, rng: random.Random, tries: int = 3, operators: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Up to `tries` (operator, broken) candidates, operators in a seeded random order. A pair
    teaches something only with code on both sides: nothing for code that is only comments
    (fences around nothing), no candidate that an operator emptied."""
    if not has_code(code):
        return []
    names = list(operators or OPERATORS)
    rng.shuffle(names)
    out = []
    for name in names:
        broken = OPERATORS[name](code, rng)
        if broken is not None and broken != code and has_code(broken):
            out.append((name, broken))
            if len(out) == tries:
                break
    return out


def plan_candidates(
    snippets: Sequence[tuple[str, str]],
    seeds: Sequence[int],
    *,
    rate: float = 0.5,
    tries: int = 3,
    operators: Iterable[str] | None = None,
) -> list[Candidate]:
    """Broken candidates for the snippets picked (each with probability `rate`), to be checked by
    clingo. Each snippet draws from its own `random.Random(seed)`, so its candidates do not
    depend on which other snippets share the batch."""
    out = []
    for index, ((code, _), seed) in enumerate(zip(snippets, seeds)):
        rng = random.Random(seed)
        if rng.random() < rate:
            out += [Candidate(index, op, broken) for op, broken in candidates_for(code, rng, tries, operators)]
    return out


def choose_pairs(snippets: Sequence[tuple[str, str]], candidates: Sequence[Candidate], results: Sequence) -> list[RepairPair | None]:
    """The first candidate of each snippet that clingo rejected (for its own reasons: not a
    resource limit, not a broken context) becomes its repair pair."""
    pairs: list[RepairPair | None] = [None] * len(snippets)
    for candidate, result in zip(candidates, results):
        i = candidate.index
        if pairs[i] is None and rejected(result):
            pairs[i] = RepairPair(candidate.operator, candidate.broken, snippets[i][0], result.error_text)
    return pairs


def rejected(result) -> bool:
    """clingo rejects it for its own reasons (not a resource limit, not a broken context)."""
    return not result.ok and not any(d.kind in ("resource-limit", "context") for d in result.errors)


def first_rejected(code: str, context: str, seed: int, check: Callable, *, rate: float = 0.5, tries: int = 3,
                   operators: Iterable[str] | None = None) -> RepairPair | None:
    """One snippet's repair pair, checking its candidates one by one and stopping at the first
    that clingo rejects (what a worker does for `Engine.make_pairs`). `check(code, context)`
    returns a ValidationResult. Same seed, same pair as `make_pairs`."""
    rng = random.Random(seed)
    if rng.random() >= rate:
        return None
    for operator, broken in candidates_for(code, rng, tries, operators):
        result = check(broken, context)
        if rejected(result):
            return RepairPair(operator, broken, code, result.error_text)
    return None


def make_pairs(
    snippets: Sequence[tuple[str, str]],
    validate_many: Callable,
    *,
    seeds: Sequence[int] | None = None,
    seed: int = 0,
    rate: float = 0.5,
    tries: int = 3,
    operators: Iterable[str] | None = None,
) -> list[RepairPair | None]:
    """For each valid (code, context), with probability `rate`, one repair pair that clingo
    really rejects; None where it was not picked or no candidate was rejected. Deterministic
    for the seeds (default: derived from `seed` and the position). One `validate_many` batch."""
    if seeds is None:
        seeds = [seed * 1_000_003 + i for i in range(len(snippets))]
    candidates = plan_candidates(snippets, seeds, rate=rate, tries=tries, operators=operators)
    results = validate_many([(c.broken, snippets[c.index][1]) for c in candidates]) if candidates else []
    return choose_pairs(snippets, candidates, results)
