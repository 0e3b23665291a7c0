"""The Settings screen: the teacher and how extraction runs, for this workspace.

Dismissed with the new settings (ctrl+s or Save; the app writes them to the workspace's
asp-ft.yaml) or None (escape). Values the environment overrides are shown with the variable that
wins; the Gemini API key is only ever shown as set or not set.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from asp_ft_tui.settings import RANGES, WorkspaceSettings, api_key_status, check, environment_override

AUTO = "auto"
TEACHER_CHOICES = [
    ("automatic: gemini when an API key is set, else structural", AUTO),
    ("structural: offline, from the ASP itself (free)", "structural"),
    ("gemini: Google's API (costs requests)", "gemini"),
    ("mlx: a local mlx-lm model", "mlx"),
]
TONE_CHOICES = [("one tone per description (picked per benchmark)", False), ("all five tones", True)]


class SettingsScreen(ModalScreen[WorkspaceSettings | None]):
    DEFAULT_CSS = """
    SettingsScreen { align: center middle; }
    #settings { width: 100; max-width: 100%; max-height: 100%; height: auto; border: thick $primary; background: $surface;
                padding: 1 2; }
    #settings .row { height: auto; margin-top: 1; }
    #settings .name { width: 24; text-style: bold; }
    #settings .row > Input, #settings .row > Select { width: 1fr; }
    #settings .note { color: $text-muted; padding-left: 24; }
    #settings .override { color: $warning; padding-left: 24; }
    #settings-error { color: $error; margin-top: 1; }
    #settings-buttons { height: auto; margin-top: 1; }
    #settings-buttons Button { margin-right: 2; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("escape", "cancel", "Cancel", id="settings.cancel"),
    ]

    def __init__(self, settings: WorkspaceSettings, path: Path) -> None:
        super().__init__()
        self.settings = settings
        self.path = path

    def compose(self) -> ComposeResult:
        s = self.settings
        with VerticalScroll(id="settings"):
            yield Static(Text(f"Settings of this workspace, kept in {self.path}", style="bold"))
            yield from self._row("Teacher", Select(TEACHER_CHOICES, value=s.teacher or AUTO, allow_blank=False,
                                                   compact=True, id="teacher"))
            yield Static(f"Gemini API key: {api_key_status()} (from the environment only, GEMINI_API_KEY or "
                         "GOOGLE_API_KEY; never stored)", classes="note", id="api-key")
            yield from self._row("Gemini model", Input(s.gemini_model or "", placeholder="the default (gemini-2.5-flash)",
                                                       compact=True, id="gemini_model"))
            yield from self._override("gemini_model")
            yield from self._row("mlx model folder", Input(s.mlx_model or "", compact=True, id="mlx_model",
                                                           placeholder="a folder holding an mlx-lm model (config.json)"))
            yield from self._override("mlx_model")
            yield from self._row("Tones", Select(TONE_CHOICES, value=s.all_tones, allow_blank=False, compact=True,
                                                 id="all_tones"))
            yield from self._row("Repair rounds per component", Input(str(s.repair_rounds), type="integer",
                                                                      compact=True, id="repair_rounds"))
            yield from self._row("Benchmarks extracted at once", Input(
                "" if s.concurrency is None else str(s.concurrency), type="integer", compact=True, id="concurrency",
                placeholder="the teacher's (gemini 4, mlx 1, structural: all clingo workers)"))
            yield Static("", id="settings-error")
            with Horizontal(id="settings-buttons"):
                yield Button("Save (ctrl+s)", id="settings-save", variant="primary")
                yield Button("Cancel (escape)", id="settings-cancel")
        yield Footer()

    @staticmethod
    def _row(name: str, field):
        with Horizontal(classes="row"):
            yield Label(name, classes="name")
            yield field

    def _override(self, name: str):
        override = environment_override(name)
        if override is not None:
            variable, value = override
            yield Static(Text(f"overridden by the environment: {variable}={value} (extraction uses that)"),
                         classes="override", id=f"{name}-override")

    def on_mount(self) -> None:
        self.query_one("#teacher", Select).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "settings-save":
            self.action_save()
        else:
            self.action_cancel()

    def collected(self) -> tuple[WorkspaceSettings | None, str]:
        """The settings on screen, or None and what is wrong with them."""
        teacher = self.query_one("#teacher", Select).value
        values = {
            "teacher": None if teacher == AUTO else teacher,
            "gemini_model": self.query_one("#gemini_model", Input).value.strip() or None,
            "mlx_model": self.query_one("#mlx_model", Input).value.strip() or None,
            "all_tones": self.query_one("#all_tones", Select).value,
        }
        labels = {"repair_rounds": "Repair rounds", "concurrency": "Benchmarks extracted at once"}
        for name, label in labels.items():
            text = self.query_one(f"#{name}", Input).value.strip()
            if not text and name == "concurrency":
                values[name] = None
                continue
            low, high = RANGES[name]
            try:
                values[name] = int(text)
            except ValueError:
                return None, f"{label}: a whole number from {low} to {high}, please"
            if check(name, values[name]):
                return None, f"{label}: a whole number from {low} to {high}, please (not {text})"
        folder = values["mlx_model"]
        if folder and not (Path(folder).expanduser() / "config.json").is_file():
            return None, f"mlx model folder: {folder} holds no mlx-lm model (no config.json)"
        return WorkspaceSettings(**values), ""

    def action_save(self) -> None:
        settings, problem = self.collected()
        if settings is None:
            self.query_one("#settings-error", Static).update(problem)
            return
        self.dismiss(settings)

    def action_cancel(self) -> None:
        self.dismiss(None)

