"""The asp-ft-tui application: built by `make_app`, used by the entry point and every test.

The app owns the review session (decisions, counts), the clingo engine and the long work
(extraction, sample building, export), which runs in thread workers that only post messages;
the handlers here change state. Pane rendering lives in tui/widgets.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path
from typing import Sequence

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, ProgressBar, RichLog, TabbedContent, TabPane, Tree
from textual.worker import Worker, WorkerState

from asp_ft_tui import __version__
from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.logs import setup_logging
from asp_ft_tui.tui.commands import AspFtCommands
from asp_ft_tui.tui.logpane import AppLogHandler
from asp_ft_tui.tui.widgets.benchmark_detail import BenchmarkDetail
from asp_ft_tui.tui.widgets.benchmark_tree import STATUS_FILTERS, BenchmarkTree
from asp_ft_tui.tui.widgets.components import ComponentsPane
from asp_ft_tui.tui.widgets.queue import STATUS_CYCLE, TASK_CYCLE, ReviewQueue
from asp_ft_tui.tui.widgets.sample_view import SampleView
from asp_ft_tui.workspace import Workspace, WorkspaceError, resolve_workspace

log = logging.getLogger(__name__)
TEACHER_CYCLE = ("structural", "gemini", "mlx")
REVIEW_ACTIONS = {"approve", "reject", "next_pending", "step", "cycle_task", "only_benchmark"}


class AspFtApp(App[None]):
    TITLE = "asp-ft"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {AspFtCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "toggle_help", "Help", id="help"),
        Binding("1", "tab('benchmarks')", "Benchmarks", show=False, id="tab.benchmarks"),
        Binding("2", "tab('components')", "Components", show=False, id="tab.components"),
        Binding("3", "tab('review')", "Review", show=False, id="tab.review"),
        Binding("4", "tab('log')", "Log", show=False, id="tab.log"),
        Binding("a", "approve", "Approve", id="approve"),
        Binding("r", "reject", "Reject", id="reject"),
        Binding("e", "edit", "Edit", id="edit"),
        Binding("u", "undo", "Undo", id="undo"),
        Binding("n", "next_pending", "Next pending", id="next_pending"),
        Binding("j", "step(1)", "Next", show=False, id="next"),
        Binding("k", "step(-1)", "Previous", show=False, id="previous"),
        Binding("x", "extract", "Extract", id="extract"),
        Binding("X", "extract_all", "Extract all", show=False, id="extract_all"),
        Binding("c", "cancel_work", "Cancel", id="cancel"),
        Binding("f", "cycle_status", "Filter", id="filter"),
        Binding("t", "cycle_task", "Task", show=False, id="task"),
        Binding("slash", "focus_filter", "Find", show=False, id="find"),
        Binding("B", "bulk_approve", "Approve all", show=False, id="bulk_approve"),
        Binding("b", "only_benchmark", "This benchmark", show=False, id="only_benchmark"),
        Binding("E", "export", "Export", id="export"),
        Binding("T", "cycle_teacher", "Teacher", show=False, id="teacher"),
        Binding("ctrl+r", "rescan", "Rescan", show=False, id="rescan"),
    ]

    class SessionLoaded(Message):
        def __init__(self, session, notice: str | None) -> None:
            super().__init__()
            self.session, self.notice = session, notice

    class Progress(Message):
        def __init__(self, done: int, total: int, label: str) -> None:
            super().__init__()
            self.done, self.total, self.label = done, total, label

    class BenchmarkChanged(Message):
        def __init__(self, benchmark_id: str) -> None:
            super().__init__()
            self.benchmark_id = benchmark_id

    class WorkDone(Message):
        def __init__(self, text: str, severity: str = "information") -> None:
            super().__init__()
            self.text, self.severity = text, severity

    class LogLine(Message):
        def __init__(self, text: str, level: int) -> None:
            super().__init__()
            self.text, self.level = text, level

    def __init__(self, workspace: Workspace, *, notice: str | None = None, engine=None) -> None:
        super().__init__()
        self.workspace = workspace
        self.notice = notice
        self._engine = engine
        self.session = None
        self.library = None
        self.current_benchmark: Benchmark | None = None
        self.status_filter = "all"
        self.tree_text = ""
        self.teacher = None
        self.cancel_event = threading.Event()
        self._queue_loaded = False
        self._log_handler: AppLogHandler | None = None
        self._save_timer = None
        self._queue_timer = None
        self._restore: dict = {}

    @property
    def engine(self):
        if self._engine is None:
            from asp_ft_tui.asp.engine import get_engine

            self._engine = get_engine()
        return self._engine

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="benchmarks", id="tabs"):
            with TabPane("Benchmarks", id="benchmarks"):
                with Horizontal():
                    with Vertical(id="tree-side"):
                        yield Input(placeholder="/ filter benchmarks", id="tree-filter")
                        yield BenchmarkTree(id="benchmark-tree")
                    with VerticalScroll(id="detail-scroll"):
                        yield BenchmarkDetail(id="detail")
            with TabPane("Components", id="components"):
                yield ComponentsPane(id="components-pane")
            with TabPane("Review", id="review"):
                yield ReviewQueue(id="queue")
            with TabPane("Log", id="log"):
                yield RichLog(id="log-view", wrap=True, markup=False)
        with Horizontal(id="work"):
            yield Label("", id="work-label")
            yield ProgressBar(id="work-bar", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = str(self.workspace.root)
        self.query_one("#work").display = False
        self.query_one(BenchmarkDetail).show(None)
        self._log_handler = AppLogHandler(self, self.LogLine)
        logging.getLogger().addHandler(self._log_handler)
        if self.notice:
            self.notify(self.notice, title="Workspace", timeout=10)
        self.load_session()

    def on_unmount(self) -> None:
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
        self.cancel_event.set()
        if self.session is not None:
            self.session.close()

    async def action_quit(self) -> None:
        self._save_state()
        self.exit()

    # -- loading -------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="load")
    def load_session(self) -> None:
        from asp_ft_tui.review import ReviewSession
        from asp_ft_tui.store import WorkspaceLocked

        notice = None
        try:
            session = ReviewSession.open(self.workspace)
        except WorkspaceLocked as err:
            session = ReviewSession.open(self.workspace, readonly=True)
            notice = f"{err}. Opened read-only: decisions are disabled."
        self.post_message(self.SessionLoaded(session, notice))

    @on(SessionLoaded)
    def _session_loaded(self, message: SessionLoaded) -> None:
        if self.session is not None:
            self.session.close()
        self.session = message.session
        self.library = message.session.library
        if message.notice:
            self.notify(message.notice, severity="warning", timeout=15)
        state = self.session.store.ui_state() if self.session else {}
        self._restore = state
        self.status_filter = state.get("tree_status", "all")
        self.teacher = state.get("teacher")
        queue = self.query_one(ReviewQueue)
        queue.status_filter, queue.task_filter = state.get("status"), state.get("task")
        self._show_tree(select=state.get("benchmark"))
        if self.library.problems:
            self.notify(f"{len(self.library.problems)} benchmark folders have problems (see the tree)",
                        severity="warning")
        if state.get("tab") in ("benchmarks", "components", "review", "log"):
            self.query_one(TabbedContent).active = state["tab"]
        missing = [s.bench.id for s in self.session.summaries.values()
                   if s.extraction in ("extracted", "needs review") and not s.samples_built]
        if missing:
            self.build_samples(missing)

    def _show_tree(self, select: str | None = None) -> None:
        tree = self.query_one(BenchmarkTree)
        tree.show_library(self.library, self.session.summaries if self.session else {}, text=self.tree_text,
                          status=self.status_filter)
        target = select or (self.current_benchmark.id if self.current_benchmark else None)
        if not (target and tree.select_benchmark(target)):
            first = tree.first_benchmark_node()
            if first is not None:
                tree.call_after_refresh(tree.move_cursor, first)

    @work(thread=True, exclusive=True, group="build")
    def build_samples(self, benchmark_ids: list[str]) -> None:
        from asp_ft_tui.samples import build_samples

        benches = [b for b in self.library.benchmarks if b.id in set(benchmark_ids)]
        self.post_message(self.Progress(0, len(benches), "building samples"))
        build_samples(benches, self.session.prompts, self.engine, self.session.settings, self.session.cache)
        for bench in benches:
            self.post_message(self.BenchmarkChanged(bench.id))
        self.post_message(self.Progress(len(benches), len(benches), ""))

    # -- messages from workers -----------------------------------------------------------------
    @on(Progress)
    def _progress(self, message: Progress) -> None:
        work_row = self.query_one("#work")
        work_row.display = message.done < message.total
        self.query_one("#work-bar", ProgressBar).update(total=max(1, message.total), progress=message.done)
        self.query_one("#work-label", Label).update(f"{message.label} {message.done}/{message.total} ")

    @on(BenchmarkChanged)
    def _benchmark_changed(self, message: BenchmarkChanged) -> None:
        self.session.refresh_benchmark(message.benchmark_id)
        bench = self.session.library.get(message.benchmark_id)
        if bench is not None:
            self.query_one(BenchmarkTree).update_benchmark(bench, self.session.summaries.get(bench.id))
            if self.current_benchmark and self.current_benchmark.id == bench.id:
                self.current_benchmark = bench
                self._show_benchmark(bench)
        self._queue_loaded = False
        if self.query_one(TabbedContent).active == "review":
            # Many benchmarks may finish in a row: rebuild the queue once things settle.
            if self._queue_timer is not None:
                self._queue_timer.stop()
            self._queue_timer = self.set_timer(1.0, self._load_queue)

    @on(WorkDone)
    def _work_done(self, message: WorkDone) -> None:
        self.query_one("#work").display = False
        self.notify(message.text, severity=message.severity, timeout=10)
        log.info("%s", message.text)

    @on(LogLine)
    def _log_line(self, message: LogLine) -> None:
        self.query_one("#log-view", RichLog).write(message.text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            log.error("%s failed: %s", event.worker.name, error, exc_info=error)
            self.query_one("#work").display = False
            self.notify(f"{event.worker.name}: {error}", severity="error", timeout=15)

    # -- navigation ----------------------------------------------------------------------------
    @on(Tree.NodeHighlighted, "#benchmark-tree")
    def _tree_highlight(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data
        if isinstance(data, Benchmark):
            self.current_benchmark = data
            self._show_benchmark(data)
            self._save_soon()
        else:
            self.query_one(BenchmarkDetail).show(data)

    def _show_benchmark(self, bench: Benchmark) -> None:
        summary = self.session.summaries.get(bench.id) if self.session else None
        self.query_one(BenchmarkDetail).show(bench, summary)
        if self.query_one(TabbedContent).active == "components":
            self.query_one(ComponentsPane).show(bench)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id
        if tab == "components":
            self.query_one(ComponentsPane).show(self.current_benchmark)
        elif tab == "review" and not self._queue_loaded:
            self._load_queue()
        self.refresh_bindings()
        self._save_soon()

    def _load_queue(self) -> None:
        if self.session is None:
            return
        queue = self.query_one(ReviewQueue)
        rows = self.session.filtered(status=queue.status_filter, task=queue.task_filter, benchmark=queue.benchmark_filter,
                                     text=self.query_one("#queue-text", Input).value)
        keep = queue.current or self._restore.pop("sample", None)
        queue.load(rows, self.session.status_of, keep=keep)
        self._queue_loaded = True

    @on(ReviewQueue.Highlighted)
    def _sample_highlighted(self, message: ReviewQueue.Highlighted) -> None:
        view = self.query_one(SampleView)
        if message.key is None or self.session is None:
            view.show(None)
            return
        sample = self.session.sample(message.key)
        decision = self.session.store.decision(message.key)
        status = self.session.status_of(self.session.rows[message.key])
        view.show(sample, status, edit=decision.edit if decision and status == "approved" else None)
        self._save_soon()

    @on(Input.Submitted, "#queue-text")
    def _queue_text(self, event: Input.Submitted) -> None:
        self._load_queue()
        self.query_one("#queue-table").focus()

    @on(Input.Changed, "#tree-filter")
    def _tree_text(self, event: Input.Changed) -> None:
        self.tree_text = event.value
        if self.library is not None:
            self._show_tree()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_focus_filter(self) -> None:
        target = "#queue-text" if self.query_one(TabbedContent).active == "review" else "#tree-filter"
        self.query_one(TabbedContent).active = "review" if target == "#queue-text" else "benchmarks"
        self.query_one(target, Input).focus()

    def action_cycle_status(self) -> None:
        if self.query_one(TabbedContent).active == "review":
            queue = self.query_one(ReviewQueue)
            queue.status_filter = STATUS_CYCLE[(STATUS_CYCLE.index(queue.status_filter) + 1) % len(STATUS_CYCLE)]
            self._load_queue()
        else:
            self.status_filter = STATUS_FILTERS[(STATUS_FILTERS.index(self.status_filter) + 1) % len(STATUS_FILTERS)]
            self.notify(f"benchmarks shown: {self.status_filter}", timeout=3)
            self._show_tree()
        self._save_soon()

    def action_cycle_task(self) -> None:
        queue = self.query_one(ReviewQueue)
        queue.task_filter = TASK_CYCLE[(TASK_CYCLE.index(queue.task_filter) + 1) % len(TASK_CYCLE)]
        self._load_queue()

    def action_step(self, delta: int) -> None:
        self.query_one(ReviewQueue).step(delta)

    def action_next_pending(self) -> None:
        queue = self.query_one(ReviewQueue)
        start = queue.keys.index(queue.current) + 1 if queue.current in queue.keys else 0
        for key in queue.keys[start:] + queue.keys[:start]:
            if self.session.status_of(self.session.rows[key]) in ("pending", "changed"):
                queue.move_to(key)
                return
        self.notify("nothing pending here", timeout=3)

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_rescan(self) -> None:
        self.load_session()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in REVIEW_ACTIONS:
            try:
                return self.query_one(TabbedContent).active == "review"
            except Exception:
                return False
        if action == "cancel_work":
            return bool(self.workers) and any(w.group == "extract" and w.is_running for w in self.workers) or None
        if action == "edit":
            try:
                return self.query_one(TabbedContent).active in ("review", "components")
            except Exception:
                return False
        if action in ("extract", "extract_all"):
            try:
                return self.query_one(TabbedContent).active in ("benchmarks", "components")
            except Exception:
                return False
        return True

    # -- decisions -----------------------------------------------------------------------------
    def _decide(self, status: str, *, edit: str | None = None) -> None:
        from asp_ft_tui.review import ReviewError
        from asp_ft_tui.store import StoreError

        queue = self.query_one(ReviewQueue)
        key = queue.current
        if key is None or self.session is None:
            return
        try:
            if edit is not None:
                self.session.approve_edit(key, edit, self.engine)
            else:
                self.session.decide(key, status)
        except (ReviewError, StoreError) as err:
            self.notify(str(err), severity="error")
            return
        self._after_decision(key, show=False)
        queue.step(1)

    def _after_decision(self, key: str, show: bool = True) -> None:
        row = self.session.rows.get(key)
        if row is None:
            return
        self.query_one(ReviewQueue).update_row(key, self.session.status_of(row))
        bench = self.session.library.get(row.benchmark_id)
        if bench is not None:
            self.query_one(BenchmarkTree).update_benchmark(bench, self.session.summaries.get(bench.id))
        if show:
            self._sample_highlighted(ReviewQueue.Highlighted(self.query_one(ReviewQueue).current))
        self._save_soon()

    def action_approve(self) -> None:
        self._decide("approved")

    def action_reject(self) -> None:
        self._decide("rejected")

    def action_only_benchmark(self) -> None:
        queue = self.query_one(ReviewQueue)
        if queue.benchmark_filter is not None:
            queue.benchmark_filter = None
        else:
            key = queue.current
            queue.benchmark_filter = self.session.rows[key].benchmark_id if key else None
        self._load_queue()

    def action_edit(self) -> None:
        from asp_ft_tui.tui.screens.editor import EditorScreen

        if self.query_one(TabbedContent).active == "components":
            self._edit_component()
            return
        key = self.query_one(ReviewQueue).current
        if key is None:
            return
        sample = self.session.sample(key)
        decision = self.session.store.decision(key)
        start = decision.edit if decision and decision.edit else sample.answer

        def done(code: str | None) -> None:
            if code is not None:
                self._decide("approved", edit=code)

        self.push_screen(EditorScreen(f"Edit the answer of {key}", start, sample.context, self.engine,
                                      require_valid=True, save_label="approve"), done)

    def _edit_component(self) -> None:
        from asp_ft_tui.tui.screens.editor import EditorScreen

        pane = self.query_one(ComponentsPane)
        slot = pane.selected_slot()
        bench = self.current_benchmark
        if slot is None or bench is None or getattr(pane, "structure", None) is None:
            self.notify("highlight a component first (arrow keys in the list on the right)", timeout=4)
            return
        structure = pane.structure

        def done(code: str | None) -> None:
            if code is not None and code != structure.code_of(slot):
                self.save_component(bench, slot, code)

        self.push_screen(EditorScreen(f"Edit {slot} of {bench.id}", structure.code_of(slot),
                                      structure.context_for(slot), self.engine, require_valid=False,
                                      save_label="save"), done)

    @work(thread=True, exclusive=True, group="build", name="saving the component")
    def save_component(self, bench: Benchmark, slot: str, code: str) -> None:
        from asp_ft_tui.extraction import save_component
        from asp_ft_tui.samples import build_samples

        ok = save_component(bench, slot, code, self.engine)
        build_samples([bench], self.session.prompts, self.engine, self.session.settings, self.session.cache)
        self.post_message(self.BenchmarkChanged(bench.id))
        self.post_message(self.WorkDone(f"saved {slot} of {bench.id}" + ("" if ok else " (it does not pass clingo)"),
                                        "information" if ok else "warning"))

    def action_undo(self) -> None:
        if self.session is None:
            return
        key = self.session.undo()
        if key is None:
            self.notify("nothing to undo", timeout=3)
            return
        if key in self.query_one(ReviewQueue).keys:
            self.query_one(ReviewQueue).move_to(key)
        self._after_decision(key)

    def action_bulk_approve(self) -> None:
        from asp_ft_tui.tui.screens.confirm import ConfirmScreen

        bench_id = self._focus_benchmark_id()
        if bench_id is None:
            return
        targets = [r for r in self.session.rows_of(bench_id) if r.valid
                   and self.session.status_of(r) in ("pending", "changed")]
        if not targets:
            self.notify("no valid pending samples in this benchmark", timeout=4)
            return

        def done(choice: str | None) -> None:
            if choice == "yes":
                count = self.session.bulk_approve(bench_id)
                self._queue_loaded = False
                if self.query_one(TabbedContent).active == "review":
                    self._load_queue()
                self.query_one(BenchmarkTree).update_benchmark(self.session.library.get(bench_id),
                                                               self.session.summaries.get(bench_id))
                self.notify(f"approved {count} samples of {bench_id}")

        self.push_screen(ConfirmScreen(f"Approve all {len(targets)} valid pending samples of {bench_id}?"), done)

    def _focus_benchmark_id(self) -> str | None:
        if self.query_one(TabbedContent).active == "review":
            key = self.query_one(ReviewQueue).current
            return self.session.rows[key].benchmark_id if key else None
        return self.current_benchmark.id if self.current_benchmark else None

    # -- extraction and export -----------------------------------------------------------------
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
            todo = [b for b in self.library.benchmarks if not (b.path / "structure.json").is_file()]
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
            teacher = make_teacher(name, engine=self.engine, model=self._restore.get("model"))
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

    @work(thread=True, exclusive=True, group="extract", name="extraction")
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

    @work(thread=True, exclusive=True, group="export", name="export")
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
        self.post_message(self.WorkDone(f"exported {counts} to {result.path}"))

    # -- remembering where the reviewer was ----------------------------------------------------
    def _save_soon(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(0.5, self._save_state)

    def _save_state(self) -> None:
        if self.session is None or self.session.store.readonly or not self.is_running:
            return
        queue = self.query_one(ReviewQueue)
        state = {
            "tab": self.query_one(TabbedContent).active,
            "benchmark": self.current_benchmark.id if self.current_benchmark else None,
            "sample": queue.current or self._restore.get("sample"),
            "status": queue.status_filter, "task": queue.task_filter, "tree_status": self.status_filter,
            "teacher": self.teacher,
        }
        try:
            self.session.store.save_ui_state(state)
        except OSError as err:
            log.error("cannot save where you were: %s", err)


def make_app(workspace: Workspace | Path | str | None = None, *, notice: str | None = None, engine=None) -> AspFtApp:
    """Build the app for a workspace (a folder path is resolved like the command line does)."""
    if not isinstance(workspace, Workspace):
        workspace, found_notice = resolve_workspace(workspace)
        notice = notice or found_notice
    return AspFtApp(workspace, notice=notice, engine=engine)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="asp-ft-tui", description="The asp-ft curation app.")
    parser.add_argument("workspace", nargs="?", type=Path, help="workspace folder (default: current folder or the demo workspace)")
    parser.add_argument("--version", action="version", version=f"asp-ft-tui {__version__}")
    args = parser.parse_args(argv)
    setup_logging()
    try:
        app = make_app(args.workspace)
    except WorkspaceError as err:
        print(f"asp-ft-tui: error: {err}", file=sys.stderr)
        return 2
    app.run()
    return app.return_code or 0
