"""A code editor with live clingo validation, as a modal screen.

Validation is debounced and runs in a thread worker; the result comes back as a message. The
screen is dismissed with `Saved(code, approve)` (ctrl+s saves; ctrl+o, where offered, saves and
approves) or None (escape; twice when the text was edited). With `require_valid`, code that clingo rejects is not saved and the
refusal quotes clingo's error; a save pressed while a check is still running waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea

from asp_ft_tui.tui.visible import controls_in, excerpt

DEBOUNCE_S = 0.3


@dataclass(frozen=True)
class Saved:
    code: str
    approve: bool


class EditorScreen(ModalScreen[Saved | None]):
    BINDINGS = [
        # ctrl+s and ctrl+o: TextArea binds neither, so both work while typing.
        Binding("ctrl+s", "save(False)", "Save", id="editor.save"),
        Binding("ctrl+o", "save(True)", "Save and approve", id="editor.save_approve"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel"),
    ]

    class Checked(Message):
        def __init__(self, code: str, ok: bool, error: str) -> None:
            super().__init__()
            self.code, self.ok, self.error = code, ok, error

    def __init__(self, title: str, code: str, context: str, engine, *, require_valid: bool, explain: str,
                 can_approve: bool = False, subject: str = "code") -> None:
        super().__init__()
        self.title_text = title
        self.explain = explain
        self.code = code
        self.context = context
        self.engine = engine
        self.require_valid = require_valid
        self.can_approve = can_approve
        self.subject = subject
        self.result: tuple[str, bool, str] | None = None
        self._timer = None
        self._waiting: bool | None = None
        """A save (approve or not) pressed before the check of the current text came back."""
        self._discard = False  # escape pressed once on an edited text

    def compose(self) -> ComposeResult:
        with Vertical(id="editor"):
            yield Static(Text(self.title_text, style="bold"), id="editor-title")
            yield Static(Text(self.explain, style="dim"), id="editor-explain")
            yield TextArea(self.code, id="editor-text", show_line_numbers=True, soft_wrap=False)
            yield Static(Text("checking...", style="dim"), id="editor-status")
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        # TextArea keeps its own line ends (a lone CR, a form feed, U+2028 start new lines): the
        # text as it holds it is the one compared with the checks' and with an edit.
        self.code = area.text
        self.check(self.code)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "save" and parameters == (True,) and not self.can_approve:
            return False
        return True

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        self.query_one("#editor-status", Static).update(Text("checking...", style="dim"))
        self._waiting = None  # a save pressed earlier was for the text as it was then
        self._discard = False
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
            Text.assemble(("clingo: ", "bold red"), excerpt(message.error))
        hidden = controls_in(message.code)
        if hidden:  # the editor cannot show them (the sample panel shows them as ␛ and the like)
            status.append(f"  · the text holds {hidden} control character{'s' if hidden != 1 else ''}, "
                          "not shown here", style="bold yellow")
        self.query_one("#editor-status", Static).update(status)
        if self._waiting is not None:
            approve, self._waiting = self._waiting, None
            self.action_save(approve)

    def action_save(self, approve: bool) -> None:
        code = self.query_one(TextArea).text
        if self.require_valid:
            if self.result is None or self.result[0] != code:
                self._waiting = approve  # saved as soon as clingo has answered for this text
                if self._timer is not None:
                    self._timer.stop()
                self.check(code)
                return
            if not self.result[1]:
                first = self.result[2].splitlines()[0] if self.result[2] else "no reason given"
                self.notify(f"clingo rejects the {self.subject}: {first}", title="Not saved", severity="error")
                return
        self.dismiss(Saved(code, approve))

    def action_cancel(self) -> None:
        # An edit is not lost to one stray escape: the first one says so, a second one discards it.
        if self.query_one(TextArea).text == self.code or self._discard:
            self.dismiss(None)
            return
        self._discard = True
        self.notify(f"the {self.subject} you edited is not saved: escape again discards the edit, ctrl+s saves it",
                    title="Unsaved edit", severity="warning")
