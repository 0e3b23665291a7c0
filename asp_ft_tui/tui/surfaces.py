"""What the app shows when it may not write or a write fails: the read-only banner, greyed keys
that say why when pressed, failures as notifications (never a crash), and the one redactor over
every notification. Mixed into the app."""

from __future__ import annotations

import logging

from textual.markup import escape
from textual.widgets import Label

from asp_ft_tui.oserrors import describe
from asp_ft_tui.redaction import REDACTED, redact

log = logging.getLogger("asp_ft_tui.tui.app")
DECIDING_ACTIONS = {"approve", "reject", "edit", "undo", "bulk_approve"}
# Everything that writes into the workspace: off (greyed, the banner says why) while read-only.
WRITING_ACTIONS = DECIDING_ACTIONS | {"extract", "extract_all", "export"}


class Surfaces:
    readonly_reason: str | None = None
    """Why this app may not write (another writer's PID, a read-only disk); None: it may."""

    @property
    def is_readonly(self) -> bool:
        return self.readonly_reason is not None or (self.session is not None and self.session.store.readonly)

    def _show_readonly(self, reason: str | None) -> None:
        changed, self.readonly_reason = reason != self.readonly_reason, reason
        banner = self.query_one("#readonly-banner", Label)
        banner.display = reason is not None
        if reason is not None:
            text = f"read-only: {reason}; browsing only (decisions, extraction and export are off)"
            banner.update(text)
            if changed:
                self.notify(text, severity="warning", timeout=15)
        self.refresh_bindings()

    def on_key(self, event) -> None:
        """A writing key pressed in a read-only app did nothing (it is greyed): say why."""
        if self.readonly_reason is None:
            return
        active = self.screen.active_bindings.get(event.key)
        # A tab's keys name the app's actions as `app.<action>`.
        if active is not None and not active.enabled and active.binding.action.removeprefix("app.") in WRITING_ACTIONS:
            self.notify(f"read-only: {self.readonly_reason}", severity="warning", timeout=5)

    def report_failure(self, what: str, error: BaseException) -> None:
        """The one place a failure of long work or of a write becomes a notification and a log line;
        the app stays up (a full disk is the machine's state, not a reason to quit)."""
        text = describe(error) if isinstance(error, OSError) else str(error)
        log.error("%s failed: %s", what, text, exc_info=error)
        self.notify(f"{what}: {text}", severity="error", timeout=15)

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every notification passes the one redactor. Plain text unless asked: our messages carry
        folder names, paths and clingo's words, where `[` is text (`[/x]` would stop the app)."""
        message, title = redact(message), redact(title)
        if markup:
            message = message.replace(REDACTED, escape(REDACTED))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
