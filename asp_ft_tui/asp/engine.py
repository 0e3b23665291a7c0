"""The clingo engine: contained, warm worker processes behind `validate`, `validate_many`, `solve`.

clingo never runs in the caller's process. Workers are plain subprocesses (spawned, never forked
from a threaded host), started lazily and kept warm. Each has a memory cap and a CPU budget per
request (see worker.py); the parent adds a wall-clock limit per request and kills and replaces a
worker that exceeds it, or that dies. On macOS, where RLIMIT_AS is not enforced, the parent
watches the worker's memory instead. Whatever happens, the caller gets a result (a
`resource-limit` diagnostic in the bad cases) and the pool keeps answering.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from asp_ft_tui.asp import sandbox
from asp_ft_tui.asp.diagnostics import Diagnostic, canonical_error_text

if TYPE_CHECKING:
    from asp_ft_tui.asp.corrupt import RepairPair
    from asp_ft_tui.asp.deconstruct import Deconstruction

MIN_CHUNK, MAX_CHUNK, CHUNKS_PER_WORKER = 8, 256, 12
CONTEXTS_KEPT = 8192


@dataclass(frozen=True)
class EngineConfig:
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    memory_mb: int = 1024
    cpu_s: float = 10.0
    wall_s: float = 10.0
    memory_guard: str = field(default_factory=lambda: "watch" if sys.platform == "darwin" else "rlimit")
    """`rlimit`: the worker caps its own address space; `watch`: the parent polls its RSS."""


@dataclass(frozen=True)
class ValidationResult:
    ok: bool
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def error_text(self) -> str:
        """The canonical clingo error text (empty when ok)."""
        return canonical_error_text(list(self.diagnostics))

    @classmethod
    def from_diagnostics(cls, diagnostics: Sequence[Diagnostic]) -> "ValidationResult":
        return cls(not any(d.severity == "error" for d in diagnostics), tuple(diagnostics))


@dataclass(frozen=True)
class SolveResult:
    status: str
    """SAT, UNSAT, UNKNOWN (time limit reached before an answer), or ERROR (see diagnostics)."""
    models: tuple[tuple[str, ...], ...] = ()
    cost: tuple[int, ...] | None = None
    optimal: bool | None = None
    exhausted: bool = False
    timed_out: bool = False
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True)
class Fingerprint:
    """A program's statements as one hash (see statements.py): equal hashes, the same program."""

    digest: str | None = None
    """None when unknown: errors, program parts besides base, or a limit struck."""
    errors: tuple[Diagnostic, ...] = ()
    """Why the program is refused or does not parse (never a limit: that is no fault of it)."""


class _Died(Exception):
    pass


def _limit(what: str, failure: str) -> Diagnostic:
    """Says which request hit which limit: `resource limit: validation ran out of CPU time`."""
    return Diagnostic("error", "resource-limit", f"resource limit: {what} {failure}")


class _Worker:
    def __init__(self, config: EngineConfig) -> None:
        self.home = sandbox.private_folder()  # its working and temp folder, removed by kill()
        settings = {"memory_mb": config.memory_mb if config.memory_guard == "rlimit" else 0, "cpu_s": config.cpu_s,
                    "home": self.home.name}
        self.config = config
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "asp_ft_tui.asp.worker", json.dumps(settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            cwd=self.home.name,
            env=sandbox.worker_environment(self.home.name),
            start_new_session=True,  # Ctrl+C in the terminal is the host's to handle, not the workers'
        )
        self._buffer = b""
        self._fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        self._in = self.proc.stdin.fileno()  # type: ignore[union-attr]
        os.set_blocking(self._in, False)
        self._outgoing = bytearray()
        self._contexts: set[str] = set()

    def _wire(self, request: dict) -> bytes:
        """A request as sent: a context this worker already holds goes by its key only (the
        same instance and generator accompany every constraint of a benchmark)."""
        context = request.get("context")
        if context:
            key = hashlib.blake2b(context.encode("utf-8"), digest_size=12).hexdigest()
            if len(self._contexts) >= CONTEXTS_KEPT // 2:
                self._contexts.clear()  # the worker keeps twice as many, so every key we think it has, it has
            request = {k: v for k, v in request.items() if k != "context"}
            request["context_key"] = key
            if key not in self._contexts:
                self._contexts.add(key)
                request["context"] = context
        return json.dumps(request).encode("utf-8") + b"\n"

    def send(self, requests: Iterable[dict]) -> None:
        """Queue requests; they are written as the pipe takes them, never blocking, while
        answers are read (a worker whose answers filled its pipe would otherwise wait for us
        while we wait to write to it)."""
        self._outgoing += b"".join(self._wire(r) for r in requests)
        self._write_some()

    def _write_some(self) -> None:
        if not self._outgoing:
            return
        try:
            written = os.write(self._in, self._outgoing)
        except BlockingIOError:
            return
        except OSError:
            self._outgoing.clear()  # the worker is gone; receive() reports how
            return
        del self._outgoing[:written]

    def receive(self, wall_s: float) -> dict | None:
        """The next response, None when the wall clock ran out; raises _Died.

        Reads the pipe in the calling thread (no reader thread, no hand-off per response):
        one read often brings many responses. Pending requests are written meanwhile.
        """
        deadline = time.monotonic() + wall_s
        step = 0.1 if self.config.memory_guard == "watch" else None
        end = self._buffer.find(b"\n")
        while end < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            writers = [self._in] if self._outgoing else []
            try:
                readable, writable, _ = select.select([self._fd], writers, [],
                                                      min(remaining, step) if step else remaining)
                if writable:
                    self._write_some()
                if not readable:
                    if not writable and step and self.rss_mb() > self.config.memory_mb:
                        raise _Died("ran out of memory")
                    continue
                chunk = os.read(self._fd, 1 << 16)
            except (OSError, ValueError):  # its pipes were closed under us: the engine is closing
                raise _Died("was stopped (the engine closed)") from None
            if not chunk:
                raise _Died(self._death_reason())
            searched = len(self._buffer)
            self._buffer += chunk
            end = self._buffer.find(b"\n", searched)
        line = self._buffer[:end]
        self._buffer = self._buffer[end + 1 :]
        return json.loads(line)

    def rss_mb(self) -> float:
        try:
            out = subprocess.run(["ps", "-o", "rss=", "-p", str(self.proc.pid)], capture_output=True, text=True)
            return int(out.stdout.strip() or 0) / 1024
        except (OSError, ValueError):
            return 0.0

    def _death_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "ended: the worker stopped answering"
        if code == -24:  # SIGXCPU
            return "ran out of CPU time"
        if code == -9:
            return "was killed (out of memory, or by a signal)"
        return f"ended: the worker exited with status {code}"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        self.home.cleanup()


class Engine:
    """A pool of clingo workers. Thread-safe; use one per process (see `get_engine`)."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._started = 0
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed = False
        self.replacements = 0
        """How many workers were killed or replaced (limits, deaths)."""
        sandbox.sweep_stale_folders()  # left by an owner killed with -9

    # -- workers -------------------------------------------------------------------------------
    def _take(self) -> _Worker:
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the clingo engine is closed")
                try:
                    return self._idle.get_nowait()
                except queue.Empty:
                    pass
                start = self._started < self.config.workers
                if start:
                    self._started += 1
            if start:
                return self._start()
            try:
                return self._idle.get(timeout=0.25)  # wake up now and then to notice close()
            except queue.Empty:
                continue

    def _start(self) -> _Worker:
        """A new worker in a slot already counted in `_started`; the slot is freed on failure."""
        try:
            worker = _Worker(self.config)
        except BaseException:
            with self._lock:
                self._started -= 1
            raise
        with self._lock:
            self._live.add(worker)
        return worker

    def _give(self, worker: _Worker) -> None:
        if self._closed or worker.proc.poll() is not None:
            worker.kill()
            with self._lock:
                if worker in self._live:
                    self._live.discard(worker)
                    self._started -= 1
            return
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        self.replacements += 1
        with self._lock:
            self._live.discard(worker)
        return self._start()

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for memory accounting and tests)."""
        with self._lock:
            return [w.proc.pid for w in self._live if w.proc.poll() is None]

    def warm_up(self) -> None:
        """Start every worker now instead of on first use."""
        workers = [self._take() for _ in range(self.config.workers)]
        for worker in workers:
            worker.send([{"op": "ping", "id": 0}])
        for worker in workers:
            try:
                answered = worker.receive(30) is not None
            except _Died:
                answered = False
            self._give(worker if answered else self._replace(worker))

    # -- requests ------------------------------------------------------------------------------
    def _run(self, requests: list[dict], wall_s: float, on_result: Callable[[int, dict], None],
             what: str = "validation") -> None:
        """Run requests in order on one worker, replacing it when a limit strikes.

        Requests go out together and answers come back in batches. When the worker times out
        or dies with several requests outstanding, which one did it is unknown: the outstanding
        ones are replayed one at a time on a fresh worker, so only the culprit is blamed.
        """
        worker = self._take()
        index = 0
        try:
            one_at_a_time = False
            while index < len(requests):
                batch = requests[index : index + 1] if one_at_a_time else requests[index:]
                worker.send(batch)
                end = index + len(batch)
                while index < end:
                    try:
                        response = worker.receive(wall_s)
                        failure = None if response is not None else f"ran out of wall-clock time ({wall_s:g} s)"
                    except _Died as death:
                        response, failure = None, str(death)
                    if response is not None and response.get("id") != requests[index].get("id"):
                        response, failure = None, "ended: the worker answered out of turn"
                    if failure is not None:
                        worker = self._replace(worker)
                        if end - index > 1:
                            one_at_a_time = True
                            break
                        response = {"diagnostics": [_limit(what, failure).to_dict()], "restart": True}
                        on_result(index, response)
                        index += 1
                        break
                    on_result(index, response)
                    index += 1
                    if response.get("restart"):
                        worker = self._replace(worker)
                        break
        finally:
            if index < len(requests):
                # Interrupted (an exception in a callback, Ctrl+C): answers may still be on their
                # way, and the next caller must not read them as its own. A dead worker frees its slot.
                worker.kill()
            self._give(worker)

    def validate(self, snippet: str, context: str = "") -> ValidationResult:
        return self.validate_many([(snippet, context)])[0]

    def validate_many(
        self,
        items: Iterable[str | tuple[str, str]],
        progress: Callable[[int, int], None] | None = None,
        *,
        errors_only: bool = False,
    ) -> list[ValidationResult]:
        """Validate (snippet, context) pairs (or bare snippets); results in input order. With
        `errors_only`, the diagnostics are the errors alone (a verdict), found faster."""
        requests = [
            {"op": "validate", "id": next(self._ids), "snippet": item, "context": "", "errors_only": errors_only}
            if isinstance(item, str)
            else {"op": "validate", "id": next(self._ids), "snippet": item[0], "context": item[1],
                  "errors_only": errors_only}
            for item in items
        ]
        results: list[ValidationResult | None] = [None] * len(requests)
        done = itertools.count(1)

        def store(index: int, response: dict) -> None:
            diagnostics = [Diagnostic.from_dict(d) for d in response.get("diagnostics", [])]
            results[index] = ValidationResult.from_diagnostics(diagnostics)
            if progress:
                progress(next(done), len(requests))

        self._in_chunks(requests, store)
        return [r for r in results if r is not None]

    def _in_chunks(self, requests: list[dict], store: Callable[[int, dict], None]) -> None:
        """Spread requests over the workers in chunks; `store(index, response)` for each."""
        # About a dozen chunks per worker: few round trips, and still a balanced finish.
        chunk = max(MIN_CHUNK, min(MAX_CHUNK, len(requests) // (CHUNKS_PER_WORKER * self.config.workers) or 1))
        offsets = range(0, len(requests), chunk)

        def run_chunk(offset: int) -> None:
            self._run(requests[offset : offset + chunk], self.config.wall_s, lambda i, r: store(offset + i, r))

        if len(offsets) <= 1:
            for offset in offsets:
                run_chunk(offset)
        else:
            with ThreadPoolExecutor(max_workers=self.config.workers, thread_name_prefix="clingo-batch") as pool:
                list(pool.map(run_chunk, offsets))

    def check_and_pair(self, snippets: Sequence[tuple[str, str]], seeds: Sequence[int], *, rate: float = 0.5,
                       tries: int = 3) -> list[tuple[ValidationResult, "RepairPair | None"]]:
        """Validate each (code, context) and, where it is valid, make its repair pair, in one
        request per snippet inside the workers: each breaks its snippet with its own seed and
        checks candidates until clingo rejects one (`corrupt.first_rejected`). Input order."""
        from asp_ft_tui.asp.corrupt import RepairPair

        requests = [{"op": "check_and_pair", "id": next(self._ids), "code": code, "context": context, "seed": seed,
                     "rate": rate, "tries": tries} for (code, context), seed in zip(snippets, seeds)]
        out: list[tuple[ValidationResult, RepairPair | None] | None] = [None] * len(requests)

        def store(index: int, response: dict) -> None:
            result = ValidationResult.from_diagnostics([Diagnostic.from_dict(d) for d in response.get("diagnostics", [])])
            found = response.get("pair")
            pair = RepairPair(found["operator"], found["broken"], snippets[index][0], found["error"]) if found else None
            out[index] = (result, pair)

        self._in_chunks(requests, store)
        return [item for item in out if item is not None]

    def solve(self, program: str, models: int = 1, time_limit: float = 5.0) -> SolveResult:
        """Solve a whole program within `time_limit` seconds (grounding included, by the wall clock)."""
        box: dict = {}
        request = {"op": "solve", "id": next(self._ids), "program": program, "models": models,
                   "time_limit": time_limit}
        self._run([request], max(self.config.wall_s, time_limit + 2.0), lambda _, r: box.update(r), "solving")
        diagnostics = tuple(Diagnostic.from_dict(d) for d in box.get("diagnostics", []))
        if "status" not in box:
            return SolveResult("UNKNOWN", timed_out=True, diagnostics=diagnostics)
        shared = box.get("shared", [])
        return SolveResult(
            status=box["status"],
            models=tuple(tuple(sorted(shared + m)) if shared else tuple(m) for m in box.get("models", [])),
            cost=tuple(box["cost"]) if box.get("cost") is not None else None,
            optimal=box.get("optimal"),
            exhausted=box.get("exhausted", False),
            timed_out=box.get("timed_out", False),
            diagnostics=diagnostics,
        )

    def fingerprint(self, program: str) -> Fingerprint:
        """The program's statements as one order-free hash, parsed inside a worker."""
        box: dict = {}
        self._run([{"op": "fingerprint", "id": next(self._ids), "program": program}], self.config.wall_s,
                  lambda _, r: box.update(r), "reading the statements")
        return Fingerprint(box.get("fingerprint"), tuple(Diagnostic.from_dict(d) for d in box.get("errors", [])))

    def deconstruct(self, program: str, name: str = "the program") -> "Deconstruction":
        """Classify every statement of a program (parsed inside a worker); `name` says which
        program a limit's message is about."""
        from asp_ft_tui.asp.deconstruct import Deconstruction

        box: dict = {}
        self._run([{"op": "deconstruct", "id": next(self._ids), "program": program}], self.config.wall_s,
                  lambda _, r: box.update(r), f"deconstruction of {name}")
        if "deconstruction" in box:
            return Deconstruction.from_dict(box["deconstruction"], program)
        return Deconstruction(errors=box.get("diagnostics", []))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            live, self._live = self._live, set()
        for worker in live:
            worker.kill()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_default: Engine | None = None
_default_lock = threading.Lock()


def get_engine() -> Engine:
    """The process-wide engine, started on first use and closed at exit."""
    global _default
    with _default_lock:
        if _default is None or _default._closed:
            _default = Engine()
            atexit.register(_default.close)
        return _default


def validate(snippet: str, context: str = "") -> ValidationResult:
    return get_engine().validate(snippet, context)


def validate_many(items: Iterable[str | tuple[str, str]], progress=None) -> list[ValidationResult]:
    return get_engine().validate_many(items, progress)


def solve(program: str, models: int = 1, time_limit: float = 5.0) -> SolveResult:
    return get_engine().solve(program, models, time_limit)


def deconstruct(program: str) -> "Deconstruction":
    return get_engine().deconstruct(program)
