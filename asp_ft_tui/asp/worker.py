"""A clingo worker process: reads JSON requests on stdin, answers one JSON line each on stdout.

Started by `asp_ft_tui.asp.engine` with `python -m asp_ft_tui.asp.worker CONFIG`. It caps its own
address space (RLIMIT_AS, where the OS enforces it) and gives every request a CPU budget
(RLIMIT_CPU, raised request by request), so a grounding blow-up becomes a MemoryError it can
report, or a SIGXCPU that ends it; the parent's wall clock covers everything else. Once warm,
it walls itself off from the file system (see sandbox.py) before reading the first request.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import OrderedDict


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0 and sys.platform != "darwin":
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


_cpu_soft = 0


def _cpu_budget(seconds: float) -> None:
    """Give the next request at least `seconds` of CPU (and at most about 1.5 times that).

    RLIMIT_CPU counts the whole process, so the soft limit moves up request by request; it is
    only raised when the remaining budget falls under `seconds`, which keeps this to one
    system call for most requests.
    """
    global _cpu_soft
    if seconds <= 0:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    if _cpu_soft and used + seconds <= _cpu_soft:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used + 1.5 * seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    _cpu_soft = soft


def _resource_limit(what: str) -> dict:
    return {"severity": "error", "kind": "resource-limit", "message": f"resource limit: {what}", "notes": []}


CONTEXTS_KEPT = 8192
FLUSH_S = 0.02
_contexts: "OrderedDict[str, str]" = OrderedDict()
_walls = "none"
"""Which walls beside the guard hold this process (see sandbox.confine); answered to a ping."""


def _context_of(request: dict) -> str | None:
    """The context text: sent in full the first time, by key after that (see engine._wire)."""
    key = request.get("context_key")
    if key is None:
        return request.get("context", "")
    if "context" in request:
        _contexts[key] = request["context"]
        _contexts.move_to_end(key)
        while len(_contexts) > CONTEXTS_KEPT:
            _contexts.popitem(last=False)
    return _contexts.get(key)


class _Result:
    """What `first_rejected` needs of a validation result, without the engine's classes."""

    def __init__(self, diagnostics, error_text: str) -> None:
        self.errors = [d for d in diagnostics if d.severity == "error"]
        self.ok = not self.errors
        self.error_text = error_text


def handle(request: dict) -> dict:
    from asp_ft_tui.asp import checker

    op = request.get("op")
    if op == "validate":
        context = _context_of(request)
        if context is None:
            return {"diagnostics": [{"severity": "error", "kind": "worker", "notes": [],
                                     "message": "internal error: the worker lost a context; check again"}]}
        diagnostics = checker.check(request["snippet"], context, errors_only=request.get("errors_only", False))
        return {"diagnostics": [d.to_dict() for d in diagnostics]}
    if op == "check_and_pair":
        from asp_ft_tui.asp.corrupt import first_rejected
        from asp_ft_tui.asp.diagnostics import canonical_error_text

        context = _context_of(request)
        if context is None:
            return {"pair": None, "diagnostics": [{"severity": "error", "kind": "worker", "notes": [],
                                                   "message": "internal error: the worker lost a context"}]}
        # A sample needs a verdict and an error text, never warnings: errors only, fast.
        diagnostics = checker.check(request["code"], context, errors_only=True)
        if any(d.severity == "error" for d in diagnostics):
            return {"pair": None, "diagnostics": [d.to_dict() for d in diagnostics]}

        def check(code: str, ctx: str) -> _Result:
            found = checker.check(code, ctx, parse_first=True, errors_only=True)
            return _Result(found, canonical_error_text(found))

        pair = first_rejected(request["code"], context, request["seed"], check, rate=request["rate"],
                              tries=request["tries"])
        return {"diagnostics": [d.to_dict() for d in diagnostics],
                "pair": None if pair is None else {"operator": pair.operator, "broken": pair.broken,
                                                   "error": pair.error}}
    if op == "solve":
        return checker.solve(request["program"], request.get("models", 1), request.get("time_limit", 5.0))
    if op == "deconstruct":
        from asp_ft_tui.asp.deconstruct import deconstruct
        from asp_ft_tui.asp.guard import forbidden_directives

        forbidden = forbidden_directives(request["program"])
        if forbidden:
            return {"deconstruction": {"statements": [], "instance": [], "generator": [], "hard": [], "soft": [],
                                       "objective": [], "show": [], "directives": [],
                                       "errors": [d.to_dict() for d in forbidden]}}
        if not request["program"].isascii():
            bad = checker.check(request["program"])
            errors = [d.to_dict() for d in bad if d.severity == "error"]
            if errors:
                return {"deconstruction": {"statements": [], "instance": [], "generator": [], "hard": [], "soft": [],
                                           "objective": [], "show": [], "directives": [], "errors": errors}}
        return {"deconstruction": deconstruct(request["program"]).to_dict()}
    if op == "fingerprint":
        from asp_ft_tui.asp.statements import fingerprint

        return fingerprint(request["program"])
    if op == "ping":
        return {"pong": True, "walls": _walls}
    return {"error": f"unknown op {op!r}"}


def main() -> int:
    config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    _limit_memory(int(config.get("memory_mb", 0)))
    cpu_s = float(config.get("cpu_s", 0))
    import clingo.ast  # noqa: F401  (warm: import clingo and every module a request needs, then wall off)

    import asp_ft_tui.asp.checker  # noqa: F401
    import asp_ft_tui.asp.corrupt  # noqa: F401
    import asp_ft_tui.asp.deconstruct  # noqa: F401
    import asp_ft_tui.asp.statements  # noqa: F401
    from asp_ft_tui.asp import sandbox

    global _walls
    home = config.get("home")
    _walls = sandbox.confine(home) if home else "no private folder"

    out = sys.stdout.fileno()
    pending = b""
    answers: list[bytes] = []
    oldest = 0.0

    def flush() -> None:
        data = b"".join(answers)
        answers.clear()
        while data:
            data = data[os.write(out, data):]

    # Answers to a batch of requests go out together (one wake-up of the parent instead of one per
    # answer), but never sit longer than FLUSH_S: the parent's wall clock runs per answer.
    start = 0
    while True:
        end = pending.find(b"\n", start)
        if end < 0:
            flush()
            chunk = os.read(0, 1 << 16)
            if not chunk:
                return 0
            pending = pending[start:] + chunk
            start = 0
            continue
        line = pending[start:end]
        start = end + 1
        if not line.strip():
            continue
        request = json.loads(line)
        restart = False
        _cpu_budget(cpu_s)
        try:
            response = handle(request)
        except MemoryError:
            response, restart = {"diagnostics": [_resource_limit("memory (the grounding grew too large)")]}, True
        except RuntimeError as err:
            if "bad_alloc" in str(err) or "memory" in str(err).lower():
                response = {"diagnostics": [_resource_limit("memory (the grounding grew too large)")]}
            else:
                response = {"diagnostics": [{"severity": "error", "kind": "other", "message": str(err), "notes": []}]}
            restart = True
        except Exception as err:  # answer, then let the parent replace this process
            response = {"diagnostics": [{"severity": "error", "kind": "worker", "message": f"internal error: {err!r}",
                                         "notes": []}]}
            restart = True
        response["id"] = request.get("id")
        response["restart"] = restart
        if not answers:
            oldest = time.monotonic()
        answers.append(json.dumps(response).encode("utf-8") + b"\n")
        if restart:
            flush()
            return 0
        if pending.find(b"\n", start) < 0 or time.monotonic() - oldest > FLUSH_S:
            flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
