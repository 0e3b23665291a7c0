"""A program's statements as one order-free fingerprint: equal fingerprints, the same program.

Worker side (clingo.ast parses untrusted text); the engine asks for it (`Engine.fingerprint`) and
faithfulness compares two programs by it before solving anything. The fingerprint is a hash of
the sorted multiset of the statements' clingo.ast string forms, so statement order, comments and
layout do not count, nor do the names of variables (a statement's variables are its own:
`:- a(X), b(X).` and `:- a(Y), b(Y).` say the same, so each statement's are renamed in order of
first appearance), while terms and every operator do. Plain facts skip
clingo.ast (see facts.py): their text with the blanks outside strings taken out is the form
clingo prints. Where a fact went through clingo.ast on one side and through the text on the
other (the fact walk gave up on one program), the forms may differ: a missed shortcut, never a
false match.
"""

from __future__ import annotations

import hashlib
import re

from asp_ft_tui.asp.checker import _parse_only
from asp_ft_tui.asp.deconstruct import _parse, _statement_nodes
from asp_ft_tui.asp.diagnostics import parse_messages
from asp_ft_tui.asp.facts import Positions
from asp_ft_tui.asp.guard import forbidden_directives

# A string (kept whole: its blanks are its content) or blanks outside strings (dropped).
_BLANKS_OUTSIDE_STRINGS = re.compile(r'("(?:[^\\"\n]|\\.)*")|[ \t]+')
# A string (kept whole) or a variable as clingo prints one; `_` alone is anonymous.
_VARIABLE = re.compile(r'("(?:[^\\"]|\\.)*")|(?<![\w\'])(_*[A-Z][\w\']*)')


def _renamed(statement: str) -> str:
    """A statement as clingo prints it, its variables named V0, V1, ... in order of appearance."""
    names: dict[str, str] = {}

    def name(match: re.Match) -> str:
        if match.group(1) is not None:
            return match.group(1)
        return names.setdefault(match.group(2), f"V{len(names)}")

    return _VARIABLE.sub(name, statement)


def _parse_errors(program: str) -> list[dict]:
    _, raw = _parse_only(program)
    return [d.to_dict() for d in parse_messages(raw, program.encode("utf-8"), 0) if d.severity == "error"]


def fingerprint(program: str) -> dict:
    """`{"fingerprint": hex or None, "errors": [diagnostic dicts]}`: None with errors when the
    program is refused or does not parse, None alone when it has program parts besides base
    (their statements' order decides where they belong)."""
    from clingo.ast import ASTType

    forbidden = forbidden_directives(program)
    if forbidden:
        return {"fingerprint": None, "errors": [d.to_dict() for d in forbidden]}
    if not program.isascii():
        # A bad character's message, handed to a Python logger, kills the process (see
        # checker.py): such text is parsed with the messages going to stderr first.
        errors = _parse_errors(program)
        if errors:
            return {"fingerprint": None, "errors": errors}
    try:
        nodes, plain = _statement_nodes(program, Positions(program))
    except RuntimeError:
        return {"fingerprint": None, "errors": _parse_errors(program)}
    keys: list[str] = []
    for node in nodes:
        kind = node.ast_type
        if kind == ASTType.Comment:
            continue
        if kind == ASTType.Program:
            if node.name != "base" or len(node.parameters):
                return {"fingerprint": None, "errors": []}
            continue
        keys.append(_renamed(str(node)))
    if plain is not None and plain.starts:
        texts = list(map(program.__getitem__, map(slice, plain.starts, plain.ends)))
        # A comment inside a fact may hold an unpaired quote, which would pair with a quote of a
        # later fact in the joined text: such facts are read by clingo.ast, one by one.
        commented = [text for text in texts if "%" in text]
        if commented:
            texts = [text for text in texts if "%" not in text]
            keys += [_renamed(str(node)) for text in commented for node in _parse(text)
                     if node.ast_type not in (ASTType.Comment, ASTType.Program)]
        facts = "\x00".join(texts)
        keys += _BLANKS_OUTSIDE_STRINGS.sub(r"\1", facts).split("\x00") if texts else []  # no NUL: the guard refuses it
    keys.sort()
    return {"fingerprint": hashlib.blake2b("\x00".join(keys).encode("utf-8"), digest_size=16).hexdigest(),
            "errors": []}
