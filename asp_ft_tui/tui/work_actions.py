"""Long work of the app: extraction, sample building and export, in thread workers that only
post messages (the app's handlers change state)."""

from __future__ import annotations

import logging
import os
import threading

from textual import work

from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.domain.structure import structure_path

log = logging.getLogger("asp_ft_tui.tui.app")
TEACHER_CYCLE = ("structural", "gemini", "mlx")
# The app has no model field: the model of the gemini and mlx teachers comes from the environment.
MODEL_VARIABLES = {"gemini": "ASP_FT_GEMINI_MODEL", "mlx": "ASP_FT_MLX_MODEL"}


class WorkActions:
    """Mixed into the app: extraction (x, X, c), teacher choice (T), export (E), sample building."""

    @work(thread=True, exclusive=True, group="build", name="building samples", exit_on_error=False)
    def build_samples(self, benchmark_ids: list[str]) -> None:
        from asp_ft_tui.samples import build_samples

        benches = [b for b in self.library.benchmarks if b.id in set(benchmark_ids)]
        self.post_message(self.Progress(0, len(benches), "building samples"))
        build_samples(benches, self.session.prompts, self.engine, self.session.settings, self.session.cache)
        for bench in benches:
            self.post_message(self.BenchmarkChanged(bench.id))
        self.post_message(self.Progress(len(benches), len(benches), ""))


    def _teacher_name(self) -> str:
        from asp_ft_tui.teachers import default_teacher

        return self.teacher or default_teacher()

    def action_cycle_teacher(self) -> None:
        current = self._teacher_name()
        self.teacher = TEACHER_CYCLE[(TEACHER_CYCLE.index(current) + 1) % len(TEACHER_CYCLE)]
        self.notify(f"teacher: {self.teacher}", timeout=4)
        self._save_soon()

    def action_extract(self) -> None:
        if self.current_benchmark is not None:
            self._start_extraction([self.current_benchmark], force=True)

    def action_extract_all(self) -> None:
        if self.library is not None:
            todo = [b for b in self.library.benchmarks if not structure_path(b).is_file()]
            self._start_extraction(todo or list(self.library.benchmarks), force=False)

    def _start_extraction(self, benches: list[Benchmark], *, force: bool) -> None:
        from asp_ft_tui.prompts import load_prompts
        from asp_ft_tui.teachers import make_teacher
        from asp_ft_tui.teachers.base import TeacherError
        from asp_ft_tui.tui.screens.confirm import ConfirmScreen

        if any(w.group == "extract" and w.is_running for w in self.workers):
            self.notify("an extraction is already running (c cancels it)", severity="warning")
            return
        name = self._teacher_name()
        try:
            teacher = make_teacher(name, engine=self.engine, model=os.environ.get(MODEL_VARIABLES.get(name, "")))
        except TeacherError as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        if name == "gemini":
            estimate = teacher.estimate(benches, load_prompts(self.workspace.prompts_dir))
            self.push_screen(ConfirmScreen(f"The gemini teacher will send {estimate} for {len(benches)} benchmarks "
                                           "(plus repair requests). Go on?"),
                             lambda choice: self.extract(teacher, benches, force) if choice == "yes" else teacher.close())
            return
        self.extract(teacher, benches, force)

    @work(thread=True, exclusive=True, group="extract", name="extraction", exit_on_error=False)
    def extract(self, teacher, benches: list[Benchmark], force: bool) -> None:
        from asp_ft_tui.extraction import Extractor, Settings, run_extraction
        from asp_ft_tui.prompts import load_prompts
        from asp_ft_tui.samples import build_samples

        self.cancel_event = threading.Event()
        extractor = Extractor(teacher, self.engine, load_prompts(self.workspace.prompts_dir), Settings(force=force))
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
            summary = run_extraction(extractor, benches, on_event=on_event, cancel=self.cancel_event)
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
        dropped = f" ({repeats} repeated samples dropped)" if repeats else ""
        self.post_message(self.WorkDone(f"exported {counts}{dropped} to {result.path}"))

