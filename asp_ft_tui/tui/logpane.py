"""The Log tab: the log file's last lines at launch, then log lines from any thread."""

from __future__ import annotations

import logging
import os
import stat
from collections import deque
from pathlib import Path

from rich.text import Text
from textual import events
from textual.widgets import RichLog

from asp_ft_tui.logs import LOG_NAME
from asp_ft_tui.paths import user_dirs
from asp_ft_tui.redaction import RedactingFormatter, redact
from asp_ft_tui.tui.plural import counted

TAIL_LINES = 200
TAIL_BYTES = 64 * 1024
KEPT_LINES = 1000  # log lines on screen, wrapped again at each resize (5,000 long ones took 1.5 s)
LINE_CHARS = 2000  # of one line: a 100 KB line wrapped to thousands of rows


def log_file() -> Path:
    return user_dirs().log / LOG_NAME


def tail(path: Path, lines: int = TAIL_LINES, *, upto: int | None = None) -> list[str]:
    """The last `lines` lines of a file (of its first `upto` bytes when given), read from that end
    only (the file grows to megabytes)."""
    try:
        # Never waits on a FIFO, never reads a device without end: a regular file or nothing.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return []
            size = handle.seek(0, 2) if upto is None else min(upto, handle.seek(0, 2))
            handle.seek(max(0, size - TAIL_BYTES))
            data = handle.read(min(size, TAIL_BYTES))
    except OSError:
        return []
    found = data.decode("utf-8", errors="replace").splitlines()
    if size > TAIL_BYTES:
        found = found[1:]  # the first line read is most likely cut
    return found[-lines:]


def log_size() -> int:
    try:
        return log_file().stat().st_size
    except OSError:
        return 0


class LogView(RichLog):
    """Opens with the end of the log file (earlier sessions, the command line's work), so the tab
    is not empty at launch and says where the whole file is. Lines are wrapped to the tab's width,
    and wrapped again when it changes (RichLog keeps lines as first wrapped, and wraps to at least
    78 columns: at 80 the middle of long lines was cut off)."""

    def __init__(self, **kwargs) -> None:
        # Bounded by its entries, not by rows (max_lines counts rows: one long line pushed out all others).
        super().__init__(wrap=True, markup=False, min_width=1, **kwargs)
        self._waiting: list[str] | None = []
        """This session's lines until the tab first opens (then the file's end goes first)."""
        self._entries: deque[str | Text] = deque(maxlen=KEPT_LINES)
        self._wrapped_at = 0
        self._stale = False  # lines came while the tab had no width
        self._before = 0
        """How much of the log file was written before this session's lines come here."""

    def session_starts(self) -> None:
        """Called when this session's log lines start coming here: the file's end read later stops
        at what was written until now (what follows is here already, not twice)."""
        self._before = log_size()

    def _put(self, entry: str | Text) -> None:
        if len(entry) > LINE_CHARS:
            cut = len(entry) - LINE_CHARS
            entry = (entry[:LINE_CHARS] if isinstance(entry, Text) else Text(entry[:LINE_CHARS]))
            entry.append(f" ... ({cut:,} more characters in the log file)", style="dim italic")
        self._entries.append(entry)
        if not self._stale and self._wrapped_at and self.scrollable_content_region.width == self._wrapped_at:
            self.write(entry)
        else:  # on a hidden tab (no width): wrapped when the tab is shown, at its width
            self._stale = True

    def add(self, line: str) -> None:
        if self._waiting is None:
            self._put(line)
        else:
            self._waiting.append(line)

    def on_resize(self, event: events.Resize) -> None:
        super().on_resize(event)
        width = self.scrollable_content_region.width
        if not width:
            return
        if self._stale or width != self._wrapped_at:
            self.clear()
            for entry in self._entries:
                self.write(entry)
            self._stale = False
        self._wrapped_at = width

    def open(self) -> None:
        """The log file's end, then this session's lines: when the tab first opens."""
        if self._waiting is None:
            return
        waiting, self._waiting = self._waiting, None
        path = log_file()
        earlier = tail(path, upto=self._before)
        # Redacted again: a key configured now may sit in lines written before it was.
        for line in redact("\n".join(earlier)).splitlines():
            self._put(Text(line, style="dim"))
        note = f"above: the last {counted(len(earlier), 'line')} of {path}" if earlier else f"log file: {path} (empty so far)"
        self._put(Text(f"-- {note}; this session's lines follow --", style="dim italic"))
        for line in waiting:
            self._put(line)


class AppLogHandler(logging.Handler):
    """Posts each record, through the one redactor, to the app as a message (post_message is thread-safe)."""

    def __init__(self, app, message_class) -> None:
        super().__init__(logging.INFO)
        self.app = app
        self.message_class = message_class
        self.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.app.post_message(self.message_class(self.format(record), record.levelno))
        except Exception:
            pass
