"""Plain sentences for the structural teacher: program comments cleaned of their labels, and,
where a statement has no comment, a sentence made from its predicate names.

Every sentence ends with a full stop, has no word twice in a row, and never starts with a
`Word(s):` label (a label importer strips and flags those on teachers' descriptions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# `Constraint: ...`, `Hard constraint 2: ...`, `Statement s1 (alice): ...`: up to four words
# before a colon that a space follows (`:-` and `10:30` are not labels).
_LABEL = re.compile(r"^(?P<label>[A-Za-z][\w'/&-]*(?:[ \t]+[\w'/&()-]+){0,3}?)[ \t]*:[ \t]+(?P<rest>\S.*)$", re.S)
# Labels that only say what kind of statement follows (the slot says that already) or which
# tone a teacher wrote in: dropped. Any other label is part of the meaning and is kept at the end.
_KIND_LABEL = re.compile(
    r"(?:(?:hard|soft|integrity|weak|global)\s+)?(?:constraint|rule|requirement|condition|restriction|penalty|"
    r"preference|objective|goal function)s?(?:\s*#?\d+[a-z]?)?|(?:rule|step|part|req|[chrs])\s*#?\d+[a-z]?|"
    r"hard|soft|note|nb|generat(?:e|or)|guess|choice|choose|check|test|defin(?:e|ition)s?|derived|helpers?|"
    r"auxiliary|aux|optimi[sz](?:e|ation)|minimi[sz]e|instance|facts?|data|inputs?|outputs?|show|display|"
    r"academic|casual|business(?: rule| requirements?)?|succinct|didactic|sanity check|todo",
    re.IGNORECASE,
)
_LITTLE = {"a", "an", "the", "of", "and", "or", "not", "no", "to", "in", "on", "at", "by", "for", "with", "from", "as",
           "is", "are", "be", "it", "its", "that", "this", "which", "when", "whenever", "each", "every", "never", "must",
           "hold", "holds", "needs", "adds", "case", "together", "way", "all", "total", "weight"}
_DOUBLED = re.compile(r"\b([A-Za-z]+)(?:\s+\1\b)+", re.IGNORECASE)
_ENDED = re.compile(r"[.!?][\"')\]]*$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NEGATED = re.compile(r"\bnot\s+(?:not\s+)?-?([a-z_']\w*)")


def tidy(text: str) -> str:
    """One sentence (or several): single spaces, no doubled word, a capital first, a full stop."""
    text = _DOUBLED.sub(r"\1", " ".join(text.split()))
    if not text:
        return ""
    if re.match(r"[a-z][a-z0-9]*\b(?![(_'])", text):  # a word, not code such as `p(X) :- q(X)`
        text = text[0].upper() + text[1:]
    return text if _ENDED.search(text) else text + "."


def from_comment(comment: str) -> str:
    """A description from a comment's text (markers already removed); "" when the comment is only
    a heading such as `Constraints:`."""
    text = " ".join(comment.split()).rstrip(":")
    if not text or _KIND_LABEL.fullmatch(text.rstrip(".")):
        return ""
    found = _LABEL.match(text)
    if found is None:
        return tidy(text)
    label, rest = found["label"], found["rest"]
    if _KIND_LABEL.fullmatch(label):
        # `Constraint: overlap` says too little once the label is gone: the caller words it instead.
        return tidy(rest) if len(re.findall(r"[A-Za-z]\w*", rest)) > 1 else ""
    # A label with meaning (`Initial state: block c lies on a.`) goes after the sentence instead.
    label = re.sub(r"\s*\(([^)]*)\)", r", \1", label)
    if label[1:2].islower():
        label = label[0].lower() + label[1:]
    rest = tidy(rest)
    if rest[-1] in ".!?":
        return f"{rest[:-1]} ({label}){rest[-1]}"
    return f"{rest} ({label})."  # after a closing quote, not inside it


def words(name: str) -> str:
    """A predicate name as words: `not_adjacent/2` -> `not adjacent`, `isFree` -> `is free`; a
    name that is one little word (`in`, `the`) is quoted, or the sentence around it would not read."""
    name = name.split("/")[0].strip("_'")
    parts = _CAMEL.sub(" ", name.replace("_", " ")).split()
    text = _DOUBLED.sub(r"\1", " ".join(p if p.isupper() and len(p) > 1 else p.lower() for p in parts)) or name
    return f'"{text}"' if text in _LITTLE else text


def listing(names: Iterable[str]) -> str:
    """`a`, `a and b`, `a, b and c` from predicate names, each once."""
    items = list(dict.fromkeys(map(words, dict.fromkeys(names))))  # 100,000 facts name a few predicates
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _signs(text: str, deps: Iterable[str]) -> tuple[list[str], list[str]]:
    """The predicates a statement uses, in the order it names them: those it uses positively, and
    those it uses only under `not`."""
    found = {d.split("/")[0]: re.search(rf"\b{re.escape(d.split('/')[0])}\b", text) for d in deps}
    names = sorted(found, key=lambda n: (found[n].start() if found[n] else len(text), n))
    off = set(_NEGATED.findall(text))
    positive = [n for n in names if n not in off or re.search(rf"(?<!not )\b{re.escape(n)}\b", text)]
    negative = [n for n in names if n in off and n not in positive]
    return _once(positive), _once(negative)


def _once(names: list[str]) -> list[str]:
    """Names that read the same (`the_the`, `the`) count once."""
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(words(name), name)
    return list(first.values())


def _holds(names: list[str]) -> str:
    return "holds" if len(names) == 1 else "hold"


def constraint_sentence(text: str, deps: Iterable[str]) -> str:
    """What a hard constraint forbids, in words, when nobody wrote it down."""
    positive, negative = _signs(text, deps)
    if positive and negative:
        return tidy(f"Whenever {listing(positive)} {_holds(positive)}, {listing(negative)} must hold as well")
    if negative:
        return tidy(f"Every solution needs {listing(negative)}")
    if len(positive) > 1:
        return tidy(f"{listing(positive)} never hold together in the way this rule describes")
    if positive:
        return tidy(f"{listing(positive)} never holds in the case this rule describes")
    return tidy("Every solution must meet the condition this constraint states")


def penalty_sentence(text: str, deps: Iterable[str]) -> str:
    """What a weak constraint or penalty rule charges for, in words."""
    positive, negative = _signs(text, [d for d in deps if not d.startswith("penalty/")])
    named = re.match(r'\s*penalty\(\s*"([^"]+)"', text)
    cost = f"a {words(named[1])} penalty" if named else "a penalty"
    if positive and negative:
        return tidy(f"Each case of {listing(positive)} without {listing(negative)} adds {cost}")
    if positive or negative:
        return tidy(f"Each case of {listing(positive) or 'no ' + listing(negative)} adds {cost}")
    return tidy(f"Each case this rule describes adds {cost}")


def objective_sentence(text: str, deps: Iterable[str]) -> str:
    names = [d for d in deps if d != "penalty/3"]
    verb = "Maximise" if re.search(r"#maximi[sz]e", text) else "Minimise"
    if not names:
        return tidy(f"{verb} the total weight of all penalties")
    return tidy(f"{verb} the total weight of {listing(names)}")


def instance_sentence(facts: Iterable[str], constants: Iterable[str], also: bool) -> str:
    """The facts and constants nobody described (`also`: after sentences that described others)."""
    facts, constants = listing(facts), listing(constants)
    subject = "It also" if also else "The instance"
    if facts and constants:
        return tidy(f"{subject} sets {constants} and lists the {facts} facts")
    if constants:
        return tidy(f"{subject} sets {constants}")
    if facts:
        return tidy(f"{subject} lists the {facts} facts")
    return "" if also else tidy("The instance is empty")


def generator_sentence(chosen: Iterable[str], derived: Iterable[str], also: bool) -> str:
    """The choices and derived predicates nobody described."""
    chosen, derived = listing(chosen), listing(derived)
    if also:
        parts = [f"chooses which {chosen} atoms hold" if chosen else "", f"derives {derived}" if derived else ""]
        return tidy("It also " + " and ".join(p for p in parts if p)) if chosen or derived else ""
    if chosen and derived:
        return tidy(f"Choose which {chosen} atoms hold and derive {derived} from them")
    if chosen:
        return tidy(f"Choose which {chosen} atoms hold")
    if derived:
        return tidy(f"Derive {derived} from the instance")
    return tidy("There is nothing to choose; the instance alone fixes the solution")
