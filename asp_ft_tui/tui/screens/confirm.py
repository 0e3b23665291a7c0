"""A yes/no question (or a choice between a few answers) as a modal screen.

`y` picks the answer of a yes/no question, `n` and escape cancel any question.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[str | None]):
    BINDINGS = [
        Binding("y", "yes", "Yes", id="confirm.yes"),
        Binding("n", "cancel", "No", id="confirm.no"),
        Binding("escape", "cancel", "Cancel", show=False, id="confirm.cancel"),
        # The answers sit in a row: the arrow keys move along it (tab does too).
        Binding("left", "app.focus_previous", "Previous answer", show=False, id="confirm.left"),
        Binding("right", "app.focus_next", "Next answer", show=False, id="confirm.right"),
    ]

    def __init__(self, question: str, choices: dict[str, str] | None = None) -> None:
        super().__init__()
        self.question = question
        self.choices = choices or {"yes": "Yes"}

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            # Plain text: a question names benchmark folders, where `[` is part of the name.
            yield Static(Text(self.question) if isinstance(self.question, str) else self.question,
                         id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                # Button ids must be identifiers: index the choices, map back on press.
                key = " (y)" if len(self.choices) == 1 else ""
                for index, label in enumerate(self.choices.values()):
                    yield Button(label + key, id=f"choice-{index}", variant="primary")
                yield Button("Cancel (n)", id="choice-cancel")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        picked = (event.button.id or "").removeprefix("choice-")
        self.dismiss(None if picked == "cancel" else list(self.choices)[int(picked)])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # With several answers, `y` would not say which one.
        return len(self.choices) == 1 if action == "yes" else True

    def action_yes(self) -> None:
        self.dismiss(next(iter(self.choices)))

    def action_cancel(self) -> None:
        self.dismiss(None)
