"""A code editor with live clingo validation, as a modal screen.

Validation is debounced and runs in a thread worker; the result comes back as a message. The
screen is dismissed with the edited code (ctrl+s) or None (escape); `require_valid` refuses to
save code that does not pass clingo.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea

DEBOUNCE_S = 0.3


class EditorScreen(ModalScreen[str | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="editor.save"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel"),
    ]

    class Checked(Message):
        def __init__(self, code: str, ok: bool, error: str) -> None:
            super().__init__()
            self.code, self.ok, self.error = code, ok, error

    def __init__(self, title: str, code: str, context: str, engine, *, require_valid: bool, save_label: str) -> None:
        super().__init__()
        self.title_text = title
        self.code = code
        self.context = context
        self.engine = engine
        self.require_valid = require_valid
        self.save_label = save_label
        self.result: tuple[str, bool, str] | None = None
        self._timer = None

    def compose(self) -> ComposeResult:
        with Vertical(id="editor"):
            yield Static(Text(self.title_text, style="bold"), id="editor-title")
            yield TextArea(self.code, id="editor-text", show_line_numbers=True, soft_wrap=False)
            yield Static(Text("checking...", style="dim"), id="editor-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()
        self.check(self.code)

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        self.query_one("#editor-status", Static).update(Text("checking...", style="dim"))
        if self._timer is not None:
            self._timer.stop()
        code = event.text_area.text
        self._timer = self.set_timer(DEBOUNCE_S, lambda: self.check(code))

    @work(thread=True, exclusive=True, group="editor-check")
    def check(self, code: str) -> None:
        result = self.engine.validate(code, self.context)
        self.post_message(self.Checked(code, result.ok, result.error_text))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        if message.code != self.query_one(TextArea).text:
            return  # an older check; a newer one is on its way
        self.result = (message.code, message.ok, message.error)
        status = Text("clingo: valid", style="bold green") if message.ok else \
            Text.assemble(("clingo: ", "bold red"), message.error)
        self.query_one("#editor-status", Static).update(status)

    def action_save(self) -> None:
        code = self.query_one(TextArea).text
        if self.require_valid and (self.result is None or self.result[0] != code or not self.result[1]):
            self.notify(f"{self.save_label}: the code must pass clingo first", severity="error")
            return
        self.dismiss(code)

    def action_cancel(self) -> None:
        self.dismiss(None)
