"""Logging to a rotating file in the per-user log folder (platformdirs, or ASP_FT_HOME/log).

Set up by the entry points, never at import. ASP_FT_LOG_LEVEL (DEBUG, INFO, ...) sets the level.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from asp_ft_tui.paths import user_dirs
from asp_ft_tui.redaction import RedactingFormatter, add_secret

LOG_NAME = "asp-ft.log"
# Callers that only know the log module register their secrets here: it is the one redactor's.
__all__ = ["LOG_NAME", "add_secret", "setup_logging"]


def setup_logging(level: str | None = None) -> Path:
    """Send all logging (ours and our libraries') to the user log file; returns its path.

    Every line passes the one redactor (asp_ft_tui.redaction), so an API key never reaches the file
    even at DEBUG.
    """
    log_dir = user_dirs().log
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_NAME
    logger = logging.getLogger()
    for old in [h for h in logger.handlers if getattr(h, "asp_ft_log", False)]:
        logger.removeHandler(old)
        old.close()
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        # Opened for appending, a FIFO waits for a reader that never comes: the program would hang.
        print(f"asp-ft: warning: the log file {path} is not a regular file; nothing is logged until it is "
              "moved away", file=sys.stderr)
        return path
    handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    handler.asp_ft_log = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel((level or os.environ.get("ASP_FT_LOG_LEVEL") or "INFO").upper())
    return path
