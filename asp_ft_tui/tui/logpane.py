"""Log lines to the app's Log tab, from any thread."""

from __future__ import annotations

import logging

from asp_ft_tui.redaction import RedactingFormatter


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
