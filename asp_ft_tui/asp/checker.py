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
from contextlib import contextmanager
from typing import Iterator

import clingo

from asp_ft_tui.asp.diagnostics import Diagnostic, parse_messages
from asp_ft_tui.asp.guard import forbidden_directives

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


def _control(arguments: list[str], sink: list[bytes], ascii_only: bool) -> clingo.Control:
    if not ascii_only:
        return clingo.Control(arguments, message_limit=MESSAGE_LIMIT)

    def logger(_code: clingo.MessageCode, message: str) -> None:
        # An exception escaping a clingo logger kills the process: never let one out.
        try:
            sink.append(message.encode("utf-8", "replace"))
        except BaseException:
            pass

    return clingo.Control(arguments, logger=logger, message_limit=MESSAGE_LIMIT)


def _ground(program: str, arguments: list[str]) -> tuple[clingo.Control | None, list[bytes], str | None]:
    """(control, raw messages, exception text); control is None when it failed."""
    ascii_only = program.isascii()
    raw: list[bytes] = []
    failure = None
    ctl = None

    def run() -> None:
        nonlocal ctl, failure
        try:
            ctl = _control(arguments, raw, ascii_only)
            ctl.add("base", [], program)
            ctl.ground([("base", [])])
        except RuntimeError as err:
            failure = str(err)
            ctl = None

    if ascii_only:
        run()
    else:
        with _stderr_to_file() as captured:
            run()
        raw.extend(captured)
    return ctl, raw, failure


def check(snippet: str, context: str = "") -> list[Diagnostic]:
    forbidden = forbidden_directives(context, in_context=True) + forbidden_directives(snippet)
    if forbidden:
        return forbidden
    program, offset = join_context(context, snippet)
    _, raw, failure = _ground(program, [])
    diagnostics = parse_messages(raw, program.encode("utf-8"), offset)
    if failure and not any(d.severity == "error" for d in diagnostics):
        diagnostics.append(Diagnostic("error", "other", failure))
    return diagnostics


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

    def on_model(model: clingo.Model) -> None:
        found.append((sorted(str(s) for s in model.symbols(shown=True)), list(model.cost), model.optimality_proven))

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
        "models": answer_sets[: models] if models else answer_sets,
        "cost": cost,
        "optimal": optimal,
        "exhausted": bool(finished and result.exhausted),
        "timed_out": not finished,
        "diagnostics": [d.to_dict() for d in diagnostics],
    }
