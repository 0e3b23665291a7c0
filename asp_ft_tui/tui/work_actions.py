"""Long work of the app: extraction, sample building and export, in thread workers that only
post messages (the app's handlers change state)."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from textual import work

from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.structure import structure_path
from asp_ft_tui.settings import SettingsError, WorkspaceSettings, load_settings, resolve, save_settings, settings_path
from asp_ft_tui.tui.plural import counted
from asp_ft_tui.tui.widgets.training import TrainingPane

log = logging.getLogger("asp_ft_tui.tui.app")
TEACHER_CYCLE = ("structural", "gemini", "mlx")
SETTINGS_KEY = "ctrl+s"
# Every message that sends the user to change a setting names this place, never a CLI flag.
IN_SETTINGS = f"in Settings ({SETTINGS_KEY})"


class WorkActions:
    """Mixed into the app: extraction (x, X, c), teacher choice (T), settings, export (E), sample
    building."""

    workspace_settings = WorkspaceSettings()

    @work(thread=True, exclusive=True, group="build", name="building samples", exit_on_error=False)
    def build_samples(self, benchmark_ids: list[str]) -> None:
        from asp_ft_tui.samples import build_samples

        benches = [b for b in self.library.benchmarks if b.id in set(benchmark_ids)]
        self.post_message(self.Progress(0, len(benches), "building samples"))
        build_samples(benches, self.session.prompts, self.engine, self.session.settings, self.session.cache)
        for bench in benches:
            self.post_message(self.BenchmarkChanged(bench.id))
        self.post_message(self.Progress(len(benches), len(benches), ""))

    # -- settings ------------------------------------------------------------------------------
    def load_settings(self) -> None:
        """Read the workspace's settings; a bad value is named on screen and left at its default."""
        self.workspace_settings, problems = load_settings(self.workspace.root)
        self.teacher = self.workspace_settings.teacher
        for problem in problems:
            self.notify(f"{problem}; fix it {IN_SETTINGS}", title="Settings", severity="error", timeout=15)

    def action_settings(self) -> None:
        from asp_ft_tui.tui.screens.settings import SettingsScreen

        self.push_screen(SettingsScreen(self.workspace_settings, settings_path(self.workspace.root)),
                         lambda chosen: self._save_settings(chosen) if chosen is not None else None)

    def _save_settings(self, settings: WorkspaceSettings) -> bool:
        if self.is_readonly:
            self.notify(f"settings not saved: {self.readonly_reason or 'the workspace is read-only'}",
                        severity="warning")
            return False
        try:
            path = save_settings(self.workspace.root, settings)
        except (OSError, SettingsError) as err:
            self.report_failure("saving the settings", err)
            return False
        self.workspace_settings, self.teacher = settings, settings.teacher
        self.notify(f"settings saved to {path}", timeout=4)
        return True

    def _run(self):
        """What an extraction started now would use: the settings under the environment's overrides."""
        return resolve(replace(self.workspace_settings, teacher=self.teacher))

    def _teacher_name(self) -> str:
        return self._run().teacher

    def action_cycle_teacher(self) -> None:
        current = self._teacher_name()
        chosen = TEACHER_CYCLE[(TEACHER_CYCLE.index(current) + 1) % len(TEACHER_CYCLE)]
        saved = self._save_settings(replace(self.workspace_settings, teacher=chosen))
        self.teacher = chosen
        self.notify(f"teacher: {chosen}" + ("" if saved else " (for this session)"), timeout=4)

    # -- extraction ----------------------------------------------------------------------------
    def action_extract(self) -> None:
        bench = self.current_benchmark
        if bench is None:
            self.notify("select a benchmark first (a group's benchmarks are the rows below it)", timeout=4)
        else:
            summary = self.session.summaries.get(bench.id) if self.session else None
            again = summary is not None and summary.extraction in ("extracted", "needs review")
            self._start_extraction([bench], force=True, again=again)

    def action_extract_all(self) -> None:
        if self.library is not None:
            todo = [b for b in self.library.benchmarks if not structure_path(b).is_file()]
            self._start_extraction(todo or list(self.library.benchmarks), force=False)

    def _start_extraction(self, benches: list[Benchmark], *, force: bool, again: bool = False) -> None:
        from asp_ft_tui.teachers import make_teacher
        from asp_ft_tui.teachers.base import TeacherError
        from asp_ft_tui.tui.screens.confirm import ConfirmScreen

        if any(w.group == "extract" and w.is_running for w in self.workers):
            self.notify("an extraction is already running (c cancels it)", severity="warning")
            return
        run = self._run()
        if run.teacher == "mlx" and not run.model:
            self.notify(f"the mlx teacher needs a model: set the mlx model folder {IN_SETTINGS}",
                        severity="error", timeout=10)
            return
        try:
            teacher = make_teacher(run.teacher, engine=self.engine, model=run.model)
        except TeacherError as err:
            self.notify(f"{err}; or choose another teacher or model {IN_SETTINGS}", severity="error", timeout=10)
            return
        question = self._extraction_question(teacher, benches, again)
        if question is None:
            self.extract(teacher, benches, force)
            return
        self.push_screen(ConfirmScreen(question, {"yes": "Yes, extract"}),
                         lambda choice: self.extract(teacher, benches, force) if choice == "yes" else teacher.close())

    def _extraction_question(self, teacher, benches: list[Benchmark], again: bool) -> str | None:
        """What the user agrees to before the run, or None when nothing is spent or lost."""
        from asp_ft_tui.prompts import load_prompts

        which = f"{benches[0].id}" if len(benches) == 1 else f"{len(benches)} benchmarks"
        if teacher.name == "gemini":
            estimate = teacher.estimate(benches, load_prompts(self.workspace.prompts_dir))
            cost = f"The gemini teacher ({teacher.model}) will send {estimate} for {which} (plus repair requests)."
        elif teacher.name == "mlx":
            cost = f"The mlx teacher ({teacher.model}) runs on this machine for {which}."
        else:
            cost = "The structural teacher is free (offline)."
        if not again:
            return f"{cost} Go on?" if teacher.name == "gemini" else None
        return (f"{which} is already extracted. {cost} Extracting it again replaces its structure: edits to its "
                "components are lost, and reviewed samples whose text changes show as changed. Extract again?")

    @work(thread=True, exclusive=True, group="extract", name="extraction", exit_on_error=False)
    def extract(self, teacher, benches: list[Benchmark], force: bool) -> None:
        from asp_ft_tui.extraction import Extractor, Settings, default_concurrency, run_extraction
        from asp_ft_tui.prompts import load_prompts
        from asp_ft_tui.samples import build_samples

        self.cancel_event = threading.Event()
        run = self._run()  # as agreed to: settings cannot change while the question was on screen
        settings = Settings(force=force, max_rounds=run.repair_rounds, all_tones=run.all_tones)
        extractor = Extractor(teacher, self.engine, load_prompts(self.workspace.prompts_dir), settings)
        self.post_message(self.Progress(0, len(benches), f"extracting with {teacher.name}"))

        def on_event(event) -> None:
            if event.kind == "done" and event.result is not None:
                bench = next(b for b in benches if b.id == event.result.benchmark_id)
                if event.result.status != "failed":
                    build_samples([bench], self.session.prompts, self.engine, self.session.settings,
                                  self.session.cache)
                else:
                    log.warning("extraction of %s failed: %s", bench.id, event.result.error)
                self.post_message(self.BenchmarkChanged(bench.id))
                self.post_message(self.Progress(event.completed, event.total, f"extracting with {teacher.name}"))

        try:
            summary = run_extraction(extractor, benches, concurrency=run.concurrency or default_concurrency(
                teacher.name, self.engine), on_event=on_event, cancel=self.cancel_event)
        finally:
            teacher.close()
        row = summary.row()
        text = (f"extraction {'cancelled' if summary.cancelled else 'finished'}: {row['extracted']} extracted, "
                f"{row['failed']} failed, {row['valid']}/{row['components']} components valid, "
                f"{row['faithful']} faithful")
        self.post_message(self.WorkDone(text, "warning" if row["failed"] or summary.cancelled else "information"))

    def action_cancel_work(self) -> None:
        self.cancel_event.set()
        self.notify("cancelling: the benchmarks in flight finish first", timeout=5)

    def action_export(self) -> None:
        from asp_ft_tui.tui.screens.confirm import ConfirmScreen

        totals = self.session.totals() if self.session else {}
        question = (f"Export the dataset: {totals.get('approved', 0)} approved, {totals.get('pending', 0)} pending "
                    f"samples. Which?")
        self.push_screen(ConfirmScreen(question, {"approved": "Approved only", "approved+pending": "Approved + pending"}),
                         lambda choice: self.export(choice) if choice else None)

    @work(thread=True, exclusive=True, group="export", name="export", exit_on_error=False)
    def export(self, only: str) -> None:
        from asp_ft_tui.export import ExportError, ExportSettings, export_dataset

        self.post_message(self.Progress(0, 1, "exporting"))
        samples = self.session.all_samples()
        try:
            result = export_dataset(samples, self.library.benchmarks, self.workspace.data_dir,
                                    self.engine.validate_many, ExportSettings(only=only),
                                    self.session.store.decisions())
        except ExportError as err:
            details = "; ".join(err.problems[:3])
            self.post_message(self.WorkDone(f"export stopped: {err}" + (f" ({details})" if details else ""), "error"))
            return
        counts = ", ".join(f"{k} {v}" for k, v in result.counts.items() if v)
        repeats = result.card["repeats_dropped"]
        dropped = f" ({counted(repeats, 'repeated sample')} dropped)" if repeats else ""
        self.post_message(self.WorkDone(f"exported {counts}{dropped} to {result.path}"))
        self.call_from_thread(self.query_one(TrainingPane).exported)

