"""The Training tab: settings, a live loss chart, the stats row, and the run history.

The worker is a separate OS process (training/runs.py) that keeps running when the app closes;
this pane follows a run through its events file, whichever process started it. Reading the
file and redrawing the chart happen on one timer (twice a second), over bounded series.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Input, Label, Select, Static

from asp_ft_tui.training.config import MODEL_PRESETS, PRESETS, SettingsError, TrainSettings, latest_export
from asp_ft_tui.training.series import RunSeries, clock, loss_text

REFRESH_S = 0.5
EVAL_LIMIT = 32
FIELDS = (
    # (field, label, kind)
    ("iters", "iterations", int),
    ("learning_rate", "learning rate (cosine decay)", float),
    ("grad_accumulation_steps", "gradient accumulation", int),
    ("batch_size", "batch size", int),
    ("max_seq_length", "max sequence length", int),
    ("num_layers", "layers to adapt (-1: all)", int),
    ("steps_per_eval", "validate every", int),
    ("save_every", "checkpoint every", int),
    ("hostfile", "hostfile, or processes here", str),
)


def demo_model_dir() -> Path:
    from asp_ft_tui import paths

    return paths.user_dirs().data / "demo-model"


class Field(Input):
    """A field of the training form. While one has the focus the pane's keys are letters typed
    into it: the footer says how to get them back."""

    BINDINGS = [Binding("escape", "leave", "Back to the runs (then s trains)", id="train.field.leave")]

    def action_leave(self) -> None:
        self.screen.query_one("#train-runs").focus()


class TrainingPane(Vertical):
    BINDINGS = [
        Binding("s", "start", "Train", id="train.start"),
        Binding("S", "stop", "Stop", id="train.stop"),
        Binding("R", "resume", "Resume", id="train.resume"),
        Binding("F", "fuse", "Fuse", id="train.fuse"),
        Binding("V", "evaluate", "Evaluate", id="train.evaluate"),
        Binding("D", "demo_model", "Demo model", id="train.demo"),
        Binding("escape", "leave_field", "To the runs", show=False, id="train.leave"),
    ]

    class RunChanged(Message):
        """A run was started, resumed or stopped, or its list needs reading again."""

    class Failed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, workspace, **kwargs) -> None:
        super().__init__(**kwargs)
        self.workspace = workspace
        self.followed: Path | None = None
        self.series = RunSeries()
        self._reader = None
        self._process = None
        self._runs: list = []
        self._building_demo = False
        self._ticks = 0
        self._built = False
        self._offered = ""  # the export the form was given (not one the reviewer typed)

    def on_mount(self) -> None:
        # The form, the chart and the history are made when the tab is first shown (`build`):
        # 37 widgets the launch does not wait for. A run that is training now is followed at once.
        self.load_runs(follow_running=True)
        self.set_interval(REFRESH_S, self._refresh)

    def build(self) -> None:
        """Make the pane's widgets, once: when the tab opens, or a running run is to be followed."""
        if self._built:
            return
        self._built = True
        from textual_plotext import PlotextPlot

        defaults = TrainSettings()
        table = DataTable(id="train-runs", cursor_type="row", zebra_stripes=True)
        table.add_columns("run", "status", "iterations", "best val", "last val", "rank", "lr", "duration")
        failure = Static("", id="train-failure")
        failure.display = False
        # Mounted level by level: each widget is in the DOM at once, for the focus and queries
        # that follow in this same call.
        row, form, right = Horizontal(), VerticalScroll(id="train-form"), Vertical(id="train-right")
        self.mount(row)
        row.mount(form, right)
        form.mount(
            Label("base model"),
            Field(placeholder="folder, HF id, .gguf (D: demo)", id="train-model", select_on_focus=False,
                  suggester=SuggestFromList([*MODEL_PRESETS, str(demo_model_dir())])),
            Label("dataset export folder"),
            Field(id="train-data", select_on_focus=False),
            Label("preset"),
            Select([(f"{name} (rank {p['rank']})", name) for name, p in PRESETS.items()], value="default",
                   allow_blank=False, id="train-preset"),
            *(widget for name, label, _ in FIELDS
              for widget in (Label(label), Field(str(getattr(defaults, name)), id=f"train-{name}",
                                                 select_on_focus=False))))
        right.mount(PlotextPlot(id="train-chart"), Label("no run yet: set a model and press s to train",
                                                          id="train-stats"), failure, table)
        self._default_dataset()
        if (demo_model_dir() / "config.json").is_file():
            self.query_one("#train-model", Input).value = str(demo_model_dir())
        self._draw()
        if self._runs:
            self._show_runs(self._runs, False)

    def _default_dataset(self) -> None:
        """The latest approved export with a valid split, else the latest export that has one."""
        export = latest_export(self.workspace.exports_dir, "approved") or latest_export(self.workspace.exports_dir, None)
        if export is not None:
            self.query_one("#train-data", Input).value = str(export)
        self._offered = self.query_one("#train-data", Input).value

    def exported(self) -> None:
        """A new export was written: it becomes the dataset to train on, unless the reviewer typed
        another one in the form."""
        if self._built and self.query_one("#train-data", Input).value in ("", self._offered):
            self._default_dataset()

    # -- settings ----------------------------------------------------------------------------
    def settings(self) -> TrainSettings:
        """The form as settings; SettingsError names a field that is not a value."""
        values = {"model": self.query_one("#train-model", Input).value.strip(),
                  "data": self.query_one("#train-data", Input).value.strip()}
        for name, label, kind in FIELDS:
            text = self.query_one(f"#train-{name}", Input).value.strip()
            try:
                values[name] = kind(text) if kind is not str else text
            except ValueError:
                raise SettingsError(f"{label}: {text!r} is not a {'whole ' if kind is int else ''}number") from None
        preset = self.query_one("#train-preset", Select).value
        return replace(TrainSettings(), **values).with_preset(str(preset))

    # -- actions -----------------------------------------------------------------------------
    def action_leave_field(self) -> None:
        self.query_one("#train-runs", DataTable).focus()

    def _readonly(self) -> bool:
        """A second app that only browses leaves the runs to the one that writes (it says why)."""
        session = getattr(self.app, "session", None)
        if session is not None and session.store.readonly:
            reason = session.store.readonly_reason or "the workspace is open read-only"
            self.app.notify(f"read-only: {reason}; training is left to the app that holds the workspace",
                            severity="warning")
            return True
        return False

    def action_start(self) -> None:
        from asp_ft_tui.training import runs

        if self._readonly():
            return
        if not self.query_one("#train-data", Input).value.strip():
            self._default_dataset()
        if not self.query_one("#train-model", Input).value.strip():
            self.app.notify("no base model: type a model folder or id, or press D to build the demo model "
                            "(tiny, offline)", severity="warning")
            return
        try:
            run_dir = runs.prepare(self.workspace.adapters_dir, self.settings())
            self._process = runs.start(run_dir)
        except (SettingsError, OSError) as err:
            self.app.notify(str(err), severity="error", timeout=15)
            return
        self.follow(run_dir)
        self.app.notify(f"training started: {run_dir.name}")
        self.load_runs()

    def action_stop(self) -> None:
        if self._readonly():
            return
        if self.followed is None or self.series.status != "running":
            self.app.notify("no running run is shown", severity="warning")
            return
        self.stop_run(self.followed)
        self.app.notify("stopping at the next optimizer update; the adapter is saved")

    @work(thread=True, group="train-stop", exit_on_error=False)
    def stop_run(self, run_dir: Path) -> None:
        from asp_ft_tui.training import runs

        runs.stop(run_dir)
        self.post_message(self.RunChanged())

    def action_resume(self) -> None:
        from asp_ft_tui.training import runs

        target = self._selected_run() or self.followed
        if target is None:
            self.app.notify("choose a run in the history first", severity="warning")
            return
        if self._readonly():
            return
        try:
            self._process = runs.resume(target)
        except (runs.RunError, OSError) as err:
            self.app.notify(str(err), severity="error", timeout=15)
            return
        self.follow(target, keep=True)
        self.app.notify(f"resuming {target.name}")

    def action_fuse(self) -> None:
        target = self._selected_run() or self.followed
        if target is None:
            self.app.notify("choose a run in the history first", severity="warning")
            return
        self.fuse(target)

    @work(thread=True, exclusive=True, group="train-fuse", exit_on_error=False)
    def fuse(self, run_dir: Path) -> None:
        from asp_ft_tui.training.fuse import FuseError, fuse_model

        self.app.call_from_thread(self.app.notify, f"fusing {run_dir.name} ...")
        from asp_ft_tui.training import runs

        settings = TrainSettings.load(run_dir / "train_config.yaml")
        target = run_dir / f"fused-{runs.load_run(run_dir).iteration}"
        try:
            fuse_model(settings.model, run_dir, target)
        except (FuseError, OSError, ValueError) as err:
            self.post_message(self.Failed(f"fuse failed: {err}"))
            return
        self.app.call_from_thread(self.app.notify, f"fused model written to {target}", timeout=15)

    def action_evaluate(self) -> None:
        target = self._selected_run() or self.followed
        if target is None:
            self.app.notify("choose a run in the history first", severity="warning")
            return
        self.evaluate_run(target)

    @work(thread=True, exclusive=True, group="train-eval", exit_on_error=False)
    def evaluate_run(self, run_dir: Path) -> None:
        from asp_ft_tui.evaluation.evaluate import EvalError, evaluate

        settings = TrainSettings.load(run_dir / "train_config.yaml")
        data = Path(settings.data) / "valid.jsonl"
        summaries, folders = [], []
        try:
            for label, adapter in (("base", None), ("adapter", run_dir)):
                self.app.call_from_thread(self.app.notify, f"evaluating {label} on {EVAL_LIMIT} valid samples ...")
                folder = run_dir / "eval" / label
                summaries.append(evaluate(settings.model, data, folder, self.app.engine, adapter=adapter,
                                          limit=EVAL_LIMIT, label=label))
                folders.append(folder)
        except (EvalError, OSError, ValueError) as err:
            self.post_message(self.Failed(f"evaluation failed: {err}"))
            return
        self.app.call_from_thread(self._show_evaluation, run_dir.name, summaries, folders)

    def _show_evaluation(self, name: str, summaries: list, folders: list) -> None:
        from asp_ft_tui.tui.screens.evaluation import EvaluationScreen

        self.app.push_screen(EvaluationScreen(name, summaries, folders))

    def action_demo_model(self) -> None:
        if self._building_demo:
            self.app.notify("the demo model is being built already; it takes a few minutes", severity="warning")
            return
        self._building_demo = True
        self.build_demo_model()

    @work(thread=True, exclusive=True, group="train-demo", exit_on_error=False)
    def build_demo_model(self) -> None:
        from asp_ft_tui.training.pretrain import pretrain
        from asp_ft_tui.training.tiny_model import make_tiny_model

        import shutil
        import tempfile

        target = demo_model_dir()
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".demo-model.", dir=target.parent))
        try:
            self.app.call_from_thread(self.app.notify, "building the demo model (tiny, offline; a few minutes) ...",
                                      timeout=20)
            make_tiny_model(staging)
            pretrain(staging, 200, progress=lambda step, loss: self.app.call_from_thread(
                self._demo_progress, step, loss) if step % 20 == 0 else None)
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            self.app.call_from_thread(setattr, self, "_building_demo", False)
        self.app.call_from_thread(self._demo_ready, target)

    def _demo_progress(self, step: int, loss: float) -> None:
        self.query_one("#train-stats", Label).update(f"building the demo model: step {step}/200, loss {loss:.2f}")

    def _demo_ready(self, target: Path) -> None:
        self.query_one("#train-model", Input).value = str(target)
        self.app.notify(f"demo model ready at {target} (for trying the app: it knows only the bundled benchmarks)",
                        timeout=15)

    # -- following a run ---------------------------------------------------------------------
    def follow(self, run_dir: Path, keep: bool = False) -> None:
        from asp_ft_tui.training.events import EVENTS_NAME, EventReader

        self.build()
        if not keep or run_dir != self.followed:
            self.series = RunSeries()
            self._reader = EventReader(Path(run_dir) / EVENTS_NAME)
        self.followed = Path(run_dir)
        self.query_one("#train-failure").display = False
        self._show_settings(Path(run_dir))
        self._refresh()

    def _show_settings(self, run_dir: Path) -> None:
        """The form shows what the followed run trains with."""
        try:
            settings = TrainSettings.load(run_dir / "train_config.yaml")
        except SettingsError:
            return
        self.query_one("#train-model", Input).value = settings.model
        self.query_one("#train-data", Input).value = settings.data
        for name, _, _ in FIELDS:
            self.query_one(f"#train-{name}", Input).value = str(getattr(settings, name))

    def _refresh(self) -> None:
        from asp_ft_tui.training import runs

        if self._reader is None or self.followed is None:
            return
        self._ticks += 1
        if self.series.status == "running" and self._ticks % 10 == 0:
            self.load_runs()  # the history's row of a live run follows it too
        events = self._reader.read_new()
        if events:
            self.series.feed(events)
        if self.series.status in ("running", "") and self._gone():
            info = runs.load_run(self.followed)
            if info.status == "failed":
                self.series.status, self.series.reason = "failed", info.reason
                self.series.changed = True
        if self.series.changed:
            self.series.changed = False
            self._draw()
            if self.series.status in ("finished", "stopped", "stopped early", "failed"):
                self.load_runs()

    def _gone(self) -> bool:
        from asp_ft_tui.training import runs

        if self._process is not None and self._process.poll() is None:
            return False
        return not runs.alive(runs.pid_of(self.followed))

    def _draw(self) -> None:
        plot = self.query_one("#train-chart")
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"loss: {self.followed.name}" if self.followed else "loss")
        plt.xlabel("iteration")
        if self.series.train.xs:
            plt.plot(self.series.train.xs, self.series.train.ys, label="train", marker="braille")
        if self.series.val.xs:
            plt.plot(self.series.val.xs, self.series.val.ys, label="valid", marker="braille")
        if self.series.validity.xs:  # clingo's verdicts during training, on their own 0-1 axis
            plt.plot(self.series.validity.xs, self.series.validity.ys, label="clingo-valid", yside="right",
                     marker="braille")
            plt.plot(self.series.semantic.xs, self.series.semantic.ys, label="semantic", yside="right",
                     marker="braille")
        plot.refresh()
        if self.followed is not None:
            self.query_one("#train-stats", Label).update(self.series.stats())
        failure = self.query_one("#train-failure", Static)
        if self.series.status == "failed" and self.followed is not None:
            from asp_ft_tui.training import runs

            failure.update(f"the run failed: {self.series.reason}\n{runs.log_tail(self.followed, 8)}")
            failure.display = True

    # -- history -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="train-runs", exit_on_error=False)
    def load_runs(self, follow_running: bool = False) -> None:
        from asp_ft_tui.training import runs

        found = runs.list_runs(self.workspace.adapters_dir)
        self.app.call_from_thread(self._show_runs, found, follow_running)

    def _show_runs(self, found: list, follow_running: bool) -> None:
        self._runs = found
        running = [r for r in found if r.status == "running"] if follow_running and self.followed is None else []
        if running:
            self.build()
        if not self._built:
            return  # shown when the tab opens
        table = self.query_one("#train-runs", DataTable)
        table.clear()
        for r in found:
            s = r.settings
            table.add_row(r.name, r.status, f"{r.iteration}/{r.iters}", loss_text(r.best_val), loss_text(r.last_val),
                          str(s.rank) if s else "?", f"{s.learning_rate:g}" if s else "?", clock(r.duration),
                          key=str(r.path))
        if running:
            self.follow(running[0].path)
            self.app.notify(f"following the running training {running[0].name}")

    def _selected_run(self) -> Path | None:
        table = self.query_one("#train-runs", DataTable)
        if not table.row_count or not table.has_focus:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return Path(key) if key else None

    @on(DataTable.RowSelected, "#train-runs")
    def _open_run(self, event: DataTable.RowSelected) -> None:
        self.follow(Path(event.row_key.value))

    @on(RunChanged)
    def _run_changed(self) -> None:
        self.load_runs()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.app.notify(message.text, severity="error", timeout=15)
