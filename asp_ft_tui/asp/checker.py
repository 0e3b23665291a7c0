"""The clingo work itself, in-process and unsandboxed: only worker processes call this.

`check` adds and grounds context + snippet and turns clingo's messages into diagnostics;
`solve` enumerates answer sets within a time limit. A text with non-ASCII bytes is checked with
clingo's messages going to a captured stderr instead of a Python logger: clingo reports a bad
multi-byte character one byte at a time, and its own strict UTF-8 decode of such a message
inside the logger callback kills the process.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

import clingo

from asp_ft_tui.asp.diagnostics import Diagnostic, parse_messages
from asp_ft_tui.asp.guard import forbidden_directives
from asp_ft_tui.asp.reduce import without_data, without_idle_facts

MESSAGE_LIMIT = 100


def join_context(context: str, snippet: str) -> tuple[str, int]:
    """The program clingo sees and how many of its lines are context."""
    if not context:
        return snippet, 0
    prefix = context if context.endswith("\n") else context + "\n"
    return prefix + snippet, prefix.count("\n")


@contextmanager
def _stderr_to_file() -> Iterator[list[bytes]]:
    captured: list[bytes] = []
    with tempfile.TemporaryFile() as tmp:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.append(tmp.read())


def _logger(sink: list[bytes]):
    def logger(_code: clingo.MessageCode, message: str) -> None:
        # An exception escaping a clingo logger kills the process: never let one out.
        try:
            sink.append(message.encode("utf-8", "replace"))
        except BaseException:
            pass

    return logger


def _collecting(text: str, work) -> list[bytes]:
    """Run `work(logger)` with clingo's messages collected: through a Python logger for ASCII
    text, through a captured stderr otherwise (see the module docstring)."""
    raw: list[bytes] = []
    if text.isascii():
        work(_logger(raw))
    else:
        with _stderr_to_file() as captured:
            work(None)
        raw.extend(captured)
    return raw


def _ground(program: str, arguments: list[str]) -> tuple[clingo.Control | None, list[bytes], str | None]:
    """(control, raw messages, exception text); control is None when it failed."""
    failure = None
    ctl = None

    def run(logger) -> None:
        nonlocal ctl, failure
        try:
            ctl = clingo.Control(arguments, logger=logger, message_limit=MESSAGE_LIMIT)
            ctl.add("base", [], program)
            ctl.ground([("base", [])])
        except RuntimeError as err:
            failure = str(err)
            ctl = None

    raw = _collecting(program, run)
    return ctl, raw, failure


def _parse_only(text: str) -> tuple[bool, list[bytes]]:
    """Does `text` parse, and clingo's messages if not: the same parser `Control.add` uses,
    without creating a Control."""
    from clingo import ast

    parsed = True

    def run(logger) -> None:
        nonlocal parsed
        try:
            ast.parse_string(text, _ignore, logger=logger, message_limit=MESSAGE_LIMIT)
        except RuntimeError:
            parsed = False

    raw = _collecting(text, run)
    return parsed, raw


def _ignore(_statement) -> None:
    pass


_context_parses: "OrderedDict[str, bool]" = OrderedDict()
CONTEXTS_REMEMBERED = 4096


def _context_ok(context: str) -> bool:
    known = _context_parses.get(context)
    if known is None:
        known = _parse_only(context)[0]
        _context_parses[context] = known
        while len(_context_parses) > CONTEXTS_REMEMBERED:
            _context_parses.popitem(last=False)
    return known


def check(snippet: str, context: str = "", *, parse_first: bool = False, errors_only: bool = False) -> list[Diagnostic]:
    """clingo's diagnostics for `snippet` checked after `context`, located in the snippet.

    With `errors_only`, only the errors (a verdict), checked against the context without its
    ground facts first (see `reduce.without_data`): much faster with a large instance.

    With `parse_first`, a snippet is parsed on its own before any Control is made: when the
    context parses (remembered per context) and the snippet does not, clingo's parse errors for
    the snippet alone are exactly those it gives for context + snippet, since the parser meets
    the snippet between two statements either way. Most broken code never reaches grounding.
    """
    forbidden = forbidden_directives(context, in_context=True) + forbidden_directives(snippet)
    if forbidden:
        return forbidden
    parsed = None
    if parse_first and (not context or _context_ok(context)):
        parsed, raw = _parse_only(snippet)
        if not parsed:
            diagnostics = parse_messages(raw, snippet.encode("utf-8"), 0)
            if any(d.severity == "error" for d in diagnostics):
                return diagnostics
    program, offset = join_context(context, snippet)
    # Same byte layout as `program`: clingo's locations read the same in both.
    if errors_only:
        # Blanking facts must not change how the rest parses (a snippet's leading `[default]`
        # would attach to a `#const` before the blanked facts; a bad fact would vanish): only
        # when context and snippet each parse, which their join then does alike, is the
        # context's data left out.
        whole = not context or not _context_ok(context) or not (_parse_only(snippet)[0] if parsed is None else parsed)
        reduced = program if whole else without_data(context) + program[len(context):]
    else:
        reduced = without_idle_facts([(0, context), (len(program) - len(snippet), snippet)], program)
    _, raw, failure = _ground(reduced, [])
    diagnostics = parse_messages(raw, program.encode("utf-8"), offset)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors_only:
        # Errors do not depend on facts, but after a syntax error how clingo picks up again may,
        # and a failure without a message is not explained: those are checked whole.
        again = (failure and not errors) or any(d.kind in ("lexer", "syntax") or d.in_context for d in errors)
    else:
        # Warnings about the facts left out must be clingo's for the whole program.
        again = bool(failure or errors)
    if reduced is not program and again:
        _, raw, failure = _ground(program, [])
        diagnostics = parse_messages(raw, program.encode("utf-8"), offset)
    if failure and not any(d.severity == "error" for d in diagnostics):
        diagnostics.append(Diagnostic("error", "other", failure))
    return [d for d in diagnostics if d.severity == "error"] if errors_only else diagnostics


def _shared_apart(answer_sets: list[list[str]]) -> dict:
    """The answer sets as sent: the atoms all of them hold once ("shared"), each one's others
    ("models"); see `Engine.solve`. Fifty answer sets of a 100,000-fact instance stay small."""
    if len(answer_sets) < 2:
        return {"models": answer_sets, "shared": []}
    shared = set(answer_sets[0]).intersection(*answer_sets[1:])
    return {"models": [[atom for atom in atoms if atom not in shared] for atoms in answer_sets],
            "shared": sorted(shared)}


def solve(program: str, models: int = 1, time_limit: float = 5.0) -> dict:
    """Answer sets (sorted shown atoms), status and, with an objective, the optimal cost."""
    started = time.monotonic()
    forbidden = forbidden_directives(program)
    if forbidden:
        return {"status": "ERROR", "diagnostics": [d.to_dict() for d in forbidden]}
    ctl, raw, failure = _ground(program, [f"--models={max(0, models)}", "--opt-mode=optN"])
    diagnostics = parse_messages(raw, program.encode("utf-8"), 0)
    if ctl is None:
        if not any(d.severity == "error" for d in diagnostics):
            diagnostics.append(Diagnostic("error", "other", failure or "clingo failed"))
        return {"status": "ERROR", "diagnostics": [d.to_dict() for d in diagnostics]}
    found: list[tuple[list[str], list[int], bool]] = []
    names: dict[int, str] = {}

    def on_model(model: clingo.Model) -> None:
        # Each atom's text is made once, not once per model: a large instance's facts are in all.
        # Keyed by the symbol's handle (`_rep`, an int; clingo symbols are unique per value):
        # Symbol.__hash__ is a Python call into clingo, three times slower here.
        texts = []
        for symbol in model.symbols(shown=True):
            text = names.get(symbol._rep)
            if text is None:
                text = names[symbol._rep] = str(symbol)
            texts.append(text)
        texts.sort()
        found.append((texts, list(model.cost), model.optimality_proven))

    remaining = max(0.0, time_limit - (time.monotonic() - started))
    with ctl.solve(on_model=on_model, async_=True) as handle:
        finished = handle.wait(remaining)
        if not finished:
            handle.cancel()
        result = handle.get()
    has_objective = any(cost for _, cost, _ in found)
    if has_objective:
        proven = [m for m in found if m[2]]
        answer_sets = [m[0] for m in proven] or [found[-1][0]]
        cost = (proven[0][1] if proven else found[-1][1])
        optimal = bool(proven) and finished
    else:
        answer_sets, cost, optimal = [m[0] for m in found], None, None
    if found:
        status = "SAT"
    elif finished and result.unsatisfiable:
        status = "UNSAT"
    else:
        status = "UNKNOWN"
    return {
        "status": status,
        **_shared_apart(answer_sets[: models] if models else answer_sets),
        "cost": cost,
        "optimal": optimal,
        "exhausted": bool(finished and result.exhausted),
        "timed_out": not finished,
        "diagnostics": [d.to_dict() for d in diagnostics],
    }
