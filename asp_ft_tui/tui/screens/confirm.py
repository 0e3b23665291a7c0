"""A yes/no question (or a choice between a few answers) as a modal screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]

    def __init__(self, question: str, choices: dict[str, str] | None = None) -> None:
        super().__init__()
        self.question = question
        self.choices = choices or {"yes": "Yes"}

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                # Button ids must be identifiers: index the choices, map back on press.
                for index, label in enumerate(self.choices.values()):
                    yield Button(label, id=f"choice-{index}", variant="primary")
                yield Button("Cancel", id="choice-cancel")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        picked = (event.button.id or "").removeprefix("choice-")
        self.dismiss(None if picked == "cancel" else list(self.choices)[int(picked)])

    def action_cancel(self) -> None:
        self.dismiss(None)
