"""A scriptable fake of the Gemini REST API (``generateContent``) for tests.

It is an HTTP server on 127.0.0.1 (a free port, served from a background thread) that speaks the
wire format the google-genai SDK uses with an API key (the Gemini Developer API, not Vertex):

* request:  ``POST {base_url}/{api_version}/models/{model}:generateContent`` -- google-genai 3.x
  defaults ``api_version`` to ``v1`` (``v1beta`` with ``HttpOptions(api_version="v1beta")`` or
  ``GOOGLE_GENAI_API_VERSION=beta``); the fake accepts any version segment -- with headers
  ``x-goog-api-key: <key>``, ``Content-Type: application/json``, ``user-agent`` /
  ``x-goog-api-client: google-genai-sdk/<v> gl-python/<v>`` and, when the client has a timeout,
  ``X-Server-Timeout: <ceil(seconds)>``; the JSON body is camelCase, e.g.
  ``{"contents": [{"role": "user", "parts": [{"text": "..."}]}],
  "systemInstruction": {"role": "user", "parts": [{"text": "..."}]},
  "generationConfig": {"responseMimeType": "application/json", "temperature": 0.2}}``.
  Streaming uses ``POST .../models/{model}:streamGenerateContent?alt=sse`` with the same body
  (the fake answers one SSE event ``data: <response JSON>``).
* response: ``{"candidates": [{"content": {"role": "model", "parts": [{"text": "..."}]},
  "finishReason": "STOP", "index": 0}], "usageMetadata": {"promptTokenCount": n,
  "candidatesTokenCount": m, "totalTokenCount": n + m}, "modelVersion": model,
  "responseId": "fake-<n>"}``; errors are ``{"error": {"code": 429, "message": "...",
  "status": "RESOURCE_EXHAUSTED"}}`` with that HTTP status (the SDK raises
  ``google.genai.errors.ClientError`` for 4xx and ``ServerError`` for 5xx).

Use it as::

    from fake_gemini import FakeGemini, text, status, delay, hang

    with FakeGemini() as fake:
        fake.script("benchmark-a", status(429), text('{"ok": true}'))
        fake.default(text("fallback"))
        client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake.base_url))
        ...
        assert fake.count("benchmark-a") == 2

Steps: ``text(...)``, ``status(code)``, ``delay(s, then)``, ``hang()`` and ``echo_key(400)`` (an
error whose message repeats the request's API key: the leak tests' bait).

Scripts: ``script(key, *steps)`` answers requests whose prompt text (the text parts of
``contents`` plus the system instruction) contains ``key``; when several keys match, the one
scripted first wins. Steps are consumed in order per key and the last one repeats once they run
out. Requests that no key matches use ``default(*steps)``; without a default they get a
404 ``NOT_FOUND`` error that says no script matched (so a missing script fails loudly and is not
retried by the SDK's default retry codes).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Any, Optional, Union
from urllib.parse import urlsplit

__all__ = [
    "FakeGemini",
    "FakeRequest",
    "Text",
    "Status",
    "Delay",
    "Hang",
    "text",
    "status",
    "delay",
    "hang",
    "EchoKey",
    "echo_key",
]

# Google RPC status names for the HTTP codes the Gemini API answers with.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_DEFAULT_MESSAGES = {
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
}


# --------------------------------------------------------------------------------------- steps
@dataclass(frozen=True)
class Text:
    """Answer 200 with this model text."""

    text: str
    finish_reason: str = "STOP"


@dataclass(frozen=True)
class Status:
    """Answer this HTTP error with a Gemini-style JSON error body."""

    code: int
    message: Optional[str] = None


@dataclass(frozen=True)
class Delay:
    """Sleep ``seconds`` (cut short if the server closes), then answer ``then``."""

    seconds: float
    then: Union[Text, Status] = field(default_factory=lambda: Text(""))


@dataclass(frozen=True)
class Hang:
    """Never answer within a test's patience: wait ``seconds`` or until the server closes, then
    drop the connection without a response."""

    seconds: float = 30.0


@dataclass(frozen=True)
class EchoKey:
    """Answer this HTTP error with the request's API key in the message, as a careless proxy or
    server might: what a client must never show, log or store."""

    code: int = 400


Step = Union[Text, Status, Delay, Hang, EchoKey]


def text(value: str, finish_reason: str = "STOP") -> Text:
    return Text(value, finish_reason)


def status(code: int, message: Optional[str] = None) -> Status:
    return Status(code, message)


def delay(seconds: float, then: Union[Text, Status, str, None] = None) -> Delay:
    if then is None:
        then = Text("")
    elif isinstance(then, str):
        then = Text(then)
    return Delay(seconds, then)


def hang(seconds: float = 30.0) -> Hang:
    return Hang(seconds)


def echo_key(code: int = 400) -> EchoKey:
    return EchoKey(code)


def _check_step(step: Any) -> Step:
    if isinstance(step, str):
        return Text(step)
    if not isinstance(step, (Text, Status, Delay, Hang, EchoKey)):
        raise TypeError(f"not a FakeGemini step: {step!r}")
    if isinstance(step, Delay) and not isinstance(step.then, (Text, Status)):
        raise TypeError(f"delay(..., then=) must be text(...) or status(...), not {step.then!r}")
    return step


# ------------------------------------------------------------------------------------- records
@dataclass
class FakeRequest:
    """One request the fake received."""

    time: float  # time.monotonic() when the request was received
    path: str  # the path without the query string, e.g. /v1/models/m:generateContent
    api_version: Optional[str]  # the first path segment, e.g. "v1" or "v1beta"
    model: Optional[str]  # "gemini-2.5-flash" (the "models/" prefix stripped)
    method: Optional[str]  # "generateContent" / "streamGenerateContent"
    api_key: Optional[str]  # the x-goog-api-key header
    headers: dict[str, str]  # all request headers, names lower-cased
    body: Any  # parsed JSON (None if the body was empty or not JSON)
    prompt: str  # the text parts of all contents, joined with "\n"
    system: Optional[str]  # the system instruction's text, if any
    response_mime_type: Optional[str]  # generationConfig.responseMimeType, if any
    key: Optional[str] = None  # the script key that matched (None: default / unmatched)
    step: Optional[Step] = None  # the step chosen to answer
    status: Optional[int] = None  # HTTP status answered (None: hang, no answer)

    @property
    def text(self) -> str:
        """The text a script key is matched against (prompt and system instruction)."""
        return self.prompt + ("\n" + self.system if self.system else "")


def _parts_text(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    if not isinstance(content, dict):
        return []
    out = []
    for part in content.get("parts") or []:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            out.append(part["text"])
    return out


def _prompt_of(body: Any) -> tuple[str, Optional[str]]:
    if not isinstance(body, dict):
        return "", None
    contents = body.get("contents") or []
    if isinstance(contents, dict):
        contents = [contents]
    prompt = "\n".join(t for c in contents for t in _parts_text(c))
    sys_inst = body.get("systemInstruction", body.get("system_instruction"))
    system = "\n".join(_parts_text(sys_inst)) if sys_inst is not None else None
    return prompt, system


def _tokens(s: str) -> int:
    return (len(s) + 3) // 4 if s else 0


_PATH_RE = re.compile(r"^/(?P<version>[^/]+)/(?P<resource>.+?):(?P<method>[A-Za-z]+)$")


# ---------------------------------------------------------------------------------------- server
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: "FakeGemini"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep tests quiet
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.server.fake._handle(self)

    def do_GET(self) -> None:  # noqa: N802
        self.server.fake._handle(self)


class FakeGemini:
    """Scriptable fake Gemini API server; see the module docstring."""

    def __init__(self, host: str = "127.0.0.1", clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        """What `FakeRequest.time` is read from: a test that injects a clock into the client
        passes the same one here, so request times show the client's pacing without sleeping."""
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._scripts: dict[str, list[Step]] = {}
        self._positions: dict[Optional[str], int] = {}
        self._default: list[Step] = []
        self._requests: list[FakeRequest] = []
        self._ids = itertools.count(1)
        self._server = _Server((host, 0), _Handler)
        self._server.fake = self
        self.host, self.port = self._server.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeGemini:{self.port}",
            daemon=True,
        )
        self._thread.start()

    # ---------------------------------------------------------------- lifecycle
    def __enter__(self) -> "FakeGemini":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving; wakes any delay()/hang() in progress. Idempotent, never blocks long."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # ---------------------------------------------------------------- scripting
    def script(self, key: str, *steps: Any) -> "FakeGemini":
        """Answer requests whose prompt/system text contains ``key`` with ``steps`` in order
        (the last repeats). Re-scripting a key replaces its steps and restarts it."""
        if not key:
            raise ValueError("script key must be a non-empty string")
        if not steps:
            raise ValueError("script() needs at least one step")
        checked = [_check_step(s) for s in steps]
        with self._lock:
            self._scripts[key] = checked
            self._positions[key] = 0
        return self

    def default(self, *steps: Any) -> "FakeGemini":
        """Answer requests that no script key matches with ``steps`` (the last repeats)."""
        if not steps:
            raise ValueError("default() needs at least one step")
        checked = [_check_step(s) for s in steps]
        with self._lock:
            self._default = checked
            self._positions[None] = 0
        return self

    # ---------------------------------------------------------------- inspection
    @property
    def requests(self) -> list[FakeRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def count(self, key: Optional[str] = None) -> int:
        """How many requests contained ``key`` in their prompt/system text (all if None)."""
        with self._lock:
            if key is None:
                return len(self._requests)
            return sum(1 for r in self._requests if key in r.text)

    def requests_for(self, key: str) -> list[FakeRequest]:
        with self._lock:
            return [r for r in self._requests if key in r.text]

    def reset(self) -> None:
        """Forget recorded requests and restart every script at its first step."""
        with self._lock:
            self._requests.clear()
            for k in self._positions:
                self._positions[k] = 0

    # ---------------------------------------------------------------- serving
    def _next_step(self, rec: FakeRequest) -> tuple[Optional[str], Optional[Step]]:
        # Caller holds the lock.
        for key, steps in self._scripts.items():
            if key in rec.text:
                break
        else:
            key, steps = None, self._default
        if not steps:
            return None, None
        pos = self._positions.get(key, 0)
        self._positions[key] = pos + 1
        return key, steps[min(pos, len(steps) - 1)]

    def _handle(self, h: _Handler) -> None:
        received = self.clock()
        try:
            length = int(h.headers.get("Content-Length") or 0)
            raw = h.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            split = urlsplit(h.path)
            path = split.path
            m = _PATH_RE.match(path)
            model = method = version = None
            if m:
                version = m.group("version")
                resource = m.group("resource")
                model = resource.split("/", 1)[1] if resource.startswith("models/") else resource
                method = m.group("method")
            prompt, system = _prompt_of(body)
            gen_cfg = body.get("generationConfig") if isinstance(body, dict) else None
            mime = gen_cfg.get("responseMimeType") if isinstance(gen_cfg, dict) else None
            rec = FakeRequest(
                time=received,
                path=path,
                api_version=version,
                model=model,
                method=method,
                api_key=h.headers.get("x-goog-api-key"),
                headers={k.lower(): v for k, v in h.headers.items()},
                body=body,
                prompt=prompt,
                system=system,
                response_mime_type=mime,
            )

            known = h.command == "POST" and method in ("generateContent", "streamGenerateContent")
            with self._lock:
                self._requests.append(rec)
                n = next(self._ids)
                if known:
                    rec.key, rec.step = self._next_step(rec)
                    step = rec.step
                    if step is None:
                        step = Status(404, "FakeGemini: no script matches this request and no "
                                      f"default is set (prompt starts {prompt[:80]!r})")
                else:
                    step = Status(404, f"FakeGemini: unsupported {h.command} {path}")
                final = step.then if isinstance(step, Delay) else step
                rec.status = None if isinstance(final, Hang) else (
                    200 if isinstance(final, Text) else final.code)
                if isinstance(step, EchoKey):
                    step = Status(step.code, f"API key not valid: {rec.api_key!s} was rejected "
                                  f"(key={rec.api_key!s})")

            if isinstance(step, Hang):
                self._closed.wait(step.seconds)
                h.close_connection = True
                return
            if isinstance(step, Delay):
                if self._closed.wait(step.seconds):
                    h.close_connection = True
                    return
                step = step.then
            if isinstance(step, Status):
                self._send_error(h, step)
            else:
                self._send_text(h, step, rec, n, stream=(method == "streamGenerateContent"))
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            # The client gave up (timeout) or the server is closing: nothing to answer.
            h.close_connection = True

    @staticmethod
    def _send_json(h: _Handler, code: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json; charset=UTF-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()

    def _send_error(self, h: _Handler, step: Status) -> None:
        message = step.message or _DEFAULT_MESSAGES.get(step.code, f"FakeGemini error {step.code}")
        self._send_json(
            h,
            step.code,
            {
                "error": {
                    "code": step.code,
                    "message": message,
                    "status": _STATUS_NAMES.get(step.code, "UNKNOWN"),
                }
            },
        )

    def _send_text(self, h: _Handler, step: Text, rec: FakeRequest, n: int, stream: bool) -> None:
        prompt_tokens = max(1, _tokens(rec.text))
        out_tokens = _tokens(step.text)
        payload = {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": step.text}]},
                    "finishReason": step.finish_reason,
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": out_tokens,
                "totalTokenCount": prompt_tokens + out_tokens,
            },
            "modelVersion": rec.model or "fake",
            "responseId": f"fake-{n}",
        }
        if not stream:
            self._send_json(h, 200, payload)
            return
        data = ("data: " + json.dumps(payload) + "\r\n\r\n").encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()
