"""The one redactor: every configured secret is cut out of any text before it leaves the process.

Error texts can carry an API key (a server that echoes the request, an SDK that prints its URL);
everything asp-ft stores (sidecars, run records), prints, logs or shows in the app passes `redact`
first. The registry holds the environment variables that name secrets, read when redacting (a key
set after start-up counts too), plus any value handed to `add_secret`.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
SECRET_VARIABLES: list[str] = ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
# Shorter values would turn ordinary words into "[redacted]"; real API keys are far longer.
MIN_SECRET_LENGTH = 8

_added: set[str] = set()
_lock = threading.Lock()


def register_variable(name: str) -> None:
    """Treat the value of environment variable `name` as a secret from now on."""
    with _lock:
        if name not in SECRET_VARIABLES:
            SECRET_VARIABLES.append(name)


def add_secret(value: str | None) -> None:
    """Treat `value` (e.g. a key passed on the command line) as a secret from now on."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _added.add(value)


def secrets() -> list[str]:
    """Every secret known now, in every form it may travel in, longest first (a key that
    contains another is cut whole). A value set with stray spaces or a newline travels stripped
    (the SDKs strip it), and one that goes into a URL travels percent-encoded."""
    with _lock:
        raw = set(_added) | {os.environ.get(name, "") for name in SECRET_VARIABLES}
    found = set()
    for value in raw:
        for form in (value, value.strip()):
            found.update((form, quote(form, safe=""), quote_plus(form, safe="")))
    return sorted((s for s in found if len(s.strip()) >= MIN_SECRET_LENGTH), key=len, reverse=True)


# Google API keys have a fixed shape: cut any, configured or not (another tool's key in an echo).
_GOOGLE_KEY = re.compile(r"AIza[0-9A-Za-z_\-]{35,}")


def redact(text: str) -> str:
    for secret in secrets():
        text = text.replace(secret, REDACTED)
    return _GOOGLE_KEY.sub(REDACTED, text)


def redact_data(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with every string redacted."""
    known = secrets()

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            for secret in known:
                item = item.replace(secret, REDACTED)
            return _GOOGLE_KEY.sub(REDACTED, item)
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item

    return walk(value)


class RedactingFormatter(logging.Formatter):
    """Formats the whole record (message, traceback, stack) and then removes every secret."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingStream:
    """A text stream (stdout, stderr) whose writes pass the redactor; everything else is the
    stream's own, so rich and print use it unchanged."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
