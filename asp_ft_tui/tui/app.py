"""The asp-ft-tui application: built by `make_app`, used by the entry point and every test.

The app owns the review session (decisions, counts), the clingo engine and the long work
(extraction, sample building, export), which runs in thread workers that only post messages;
the handlers here change state. Pane rendering lives in tui/widgets.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Header, Input, Label, ProgressBar, TabbedContent, Tree
from textual.worker import Worker, WorkerState

from asp_ft_tui import __version__
from asp_ft_tui.domain.benchmarks import Benchmark
from asp_ft_tui.logs import setup_logging
from asp_ft_tui.oserrors import describe
from asp_ft_tui.redaction import RedactingStream
from asp_ft_tui.tui.commands import AspFtCommands
from asp_ft_tui.tui.logpane import AppLogHandler, LogView
from asp_ft_tui.tui.plural import counted
from asp_ft_tui.tui.review_actions import ReviewActions
from asp_ft_tui.tui.surfaces import WRITING_ACTIONS, Surfaces
from asp_ft_tui.tui.tabs import BenchmarksTab, ComponentsTab, LogTab, ReviewTab, TrainingTab
from asp_ft_tui.tui.visible import NoControlCodes
from asp_ft_tui.tui.work_actions import SETTINGS_KEY, WorkActions
from asp_ft_tui.tui.widgets.benchmark_detail import BenchmarkDetail
from asp_ft_tui.tui.widgets.benchmark_tree import STATUS_FILTERS, BenchmarkTree
from asp_ft_tui.tui.widgets.components import ComponentsPane
from asp_ft_tui.tui.widgets.filter_box import FilterBox
from asp_ft_tui.tui.widgets.footer import KeyFooter
from asp_ft_tui.tui.widgets.queue import STATUS_CYCLE, ReviewQueue
from asp_ft_tui.tui.widgets.sample_view import SampleView
from asp_ft_tui.tui.widgets.training import TrainingPane
from asp_ft_tui.workspace import Workspace, WorkspaceError, resolve_workspace

log = logging.getLogger(__name__)
ROWS_AFTER_S = 0.5
REVIEW_ACTIONS = {"approve", "reject", "next_pending", "step", "cycle_task", "only_benchmark"}


class AspFtApp(Surfaces, ReviewActions, WorkActions, App[None]):
    TITLE = "asp-ft"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {AspFtCommands}
    AUTO_FOCUS = "#benchmark-tree"  # arrow keys and j/k move in the tree at once
    # Keys that work in every tab; each tab's own keys are in tui/tabs.py.
    BINDINGS = [
        Binding("q", "quit", "Quit", show=False, id="quit"),  # the help panel lists every key
        Binding("question_mark", "toggle_help", "Help", id="help"),
        Binding("escape", "hide_help", "Close help", show=False, priority=True, id="help.close"),
        Binding("1", "tab('benchmarks')", "Benchmarks", show=False, id="tab.benchmarks"),
        Binding("2", "tab('components')", "Components", show=False, id="tab.components"),
        Binding("3", "tab('review')", "Review", show=False, id="tab.review"),
        Binding("4", "tab('log')", "Log", show=False, id="tab.log"),
        Binding("5", "tab('training')", "Training", show=False, id="tab.training"),
        Binding("c", "cancel_work", "Cancel", show=False, id="cancel"),  # the progress row says it
        Binding("E", "export", "Export", show=False, id="export"),
        Binding("ctrl+r", "rescan", "Rescan", show=False, id="rescan"),
        Binding(SETTINGS_KEY, "settings", "Settings", show=False, id="settings"),
    ]

    class SessionLoaded(Message):
        def __init__(self, session, readonly_reason: str | None = None) -> None:
            super().__init__()
            self.session, self.readonly_reason = session, readonly_reason

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
        self._wanted_tab: str | None = None
        """The tab a key asked for, for half a second (see `action_tab`)."""
        self._wanted_timer = None
        self._mounted = False
        self._early: AspFtApp.SessionLoaded | None = None

    @property
    def engine(self):
        if self._engine is None:
            from asp_ft_tui.asp.engine import get_engine
            from asp_ft_tui.asp.verdicts import CachingEngine, VerdictCache

            # Verdicts the headless commands computed for this workspace are this app's too.
            cache = VerdictCache(self.workspace.cache_dir)
            self._engine = CachingEngine(get_engine(), cache)
        return self._engine

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="readonly-banner")
        with TabbedContent(initial="benchmarks", id="tabs"):
            with BenchmarksTab("Benchmarks", id="benchmarks"):
                with Horizontal():
                    with Vertical(id="tree-side"):
                        yield FilterBox(placeholder="/ filter benchmarks", id="tree-filter", target="#benchmark-tree",
                                        live=True)
                        yield BenchmarkTree(id="benchmark-tree")
                    yield BenchmarkDetail(id="detail")
            with ComponentsTab("Components", id="components"):
                yield ComponentsPane(id="components-pane")
            with ReviewTab("Review", id="review"):
                yield ReviewQueue(id="queue")
            with LogTab("Log", id="log"):
                yield LogView(id="log-view")
            with TrainingTab("Training", id="training"):
                yield TrainingPane(self.workspace, id="training-pane")
        # In the flow above the footer (both docked at the bottom would share one row).
        with Horizontal(id="work"):
            yield Label("", id="work-label")
            yield ProgressBar(id="work-bar", show_eta=False)
        yield KeyFooter(compact=True, show_command_palette=False)  # ctrl+p still opens it; help lists it

    def get_line_filters(self):
        # Whatever a widget was given to draw, no control character reaches the terminal.
        return [*super().get_line_filters(), NO_CONTROL_CODES]

    def on_load(self) -> None:
        # Reading the workspace starts before the screen is built: the two share the time.
        self.load_session()

    def on_mount(self) -> None:
        quiet_collector()
        self.set_interval(COLLECT_EVERY_S, collect_survivors)
        self.sub_title = str(self.workspace.root)
        self.query_one("#work").display = False
        self.query_one("#readonly-banner").display = False
        self.query_one(BenchmarkDetail).show(None)
        self._log_handler = AppLogHandler(self, self.LogLine)
        self.query_one(LogView).session_starts()
        logging.getLogger().addHandler(self._log_handler)
        if self.notice:
            self.notify(self.notice, title="Workspace", timeout=10)
        self._mounted = True
        if self._early is not None:  # the session was read before the screen was there
            self._session_loaded(self._early)

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
    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_session(self) -> None:
        from asp_ft_tui.review import ReviewSession

        # Another writer's lock, a read-only disk: open to browse, and say why.
        with _lasting():
            session = ReviewSession.open(self.workspace, readonly_if_busy=True, keep_snapshot=False)
        reason = (session.store.readonly_reason or "opened read-only") if session.store.readonly else None
        self.post_message(self.SessionLoaded(session, reason))
        session.keep_snapshot()  # once the tree is on its way: the next launch reads only that
        # The sample rows a launch snapshot left for later: read once the first screen is drawn,
        # so the Review tab opens without waiting for them.
        if not self.cancel_event.wait(ROWS_AFTER_S):
            with _lasting():
                session.take_rows()

    @on(SessionLoaded)
    def _session_loaded(self, message: SessionLoaded) -> None:
        if not self._mounted:
            self._early = message
            return
        self._early = None
        if self.session is not None and self.session is not message.session:
            self.session.close()
        self.session = message.session
        self.library = message.session.library
        if message.readonly_reason is not None or not self.session.store.readonly:
            self._show_readonly(message.readonly_reason)
        state = self.session.store.ui_state() if self.session else {}
        self._restore = state
        self.status_filter = state.get("tree_status", "all")
        self.load_settings()
        queue = self.query_one(ReviewQueue)
        queue.status_filter, queue.task_filter = state.get("status"), state.get("task")
        queue.benchmark_filter = state.get("queue_benchmark")
        if isinstance(state.get("tree_text"), str) and state["tree_text"]:
            self.query_one("#tree-filter", FilterBox).restore(state["tree_text"])
        if isinstance(state.get("queue_text"), str):
            queue.restore_text(state["queue_text"])
        self.tree_text = self.query_one("#tree-filter", Input).value
        self._show_tree(select=state.get("benchmark"))
        if self.library.problems:
            many = len(self.library.problems) > 1
            self.notify(f"{counted(len(self.library.problems), 'benchmark folder')} {'have' if many else 'has'} "
                        "problems (see the tree)",
                        severity="warning")
        if self.library.relocation_notice:
            self.notify(self.library.relocation_notice, severity="information")
        tabs = self.query_one(TabbedContent)
        if state.get("tab") in ("benchmarks", "components", "review", "log", "training") \
                and tabs.active == "benchmarks":  # unless a tab key was pressed while the workspace was read
            self.action_tab(state["tab"])
        else:
            self._fill(tabs.active)  # opened before there was a session to show
        missing = [s.bench.id for s in self.session.summaries.values()
                   if s.extraction in ("extracted", "needs review") and not s.samples_built]
        if missing and self.readonly_reason is None:  # building writes the sample cache
            self.build_samples(missing)

    def _show_tree(self, select: str | None = None) -> None:
        tree = self.query_one(BenchmarkTree)
        empty = not self.library.benchmarks and not self.library.problems
        tree_side = self.query_one("#tree-side")
        tree_side.display = not empty
        if empty:  # the guide instead of an empty tree
            self.current_benchmark = None
            # Also before the screen's first focus (a workspace read that early): not the hidden tree.
            if self.focused is None or tree_side in self.focused.ancestors_with_self:
                self.screen.set_focus(self.query_one("#detail"))
            self.query_one(BenchmarkDetail).show_guide(self.workspace.benchmarks_dir)
            return
        tree.show_library(self.library, self.session.summaries if self.session else {}, text=self.tree_text,
                          status=self.status_filter)
        target = select or (self.current_benchmark.id if self.current_benchmark else None)
        node = tree.node_of(target) or tree.first_benchmark_node()
        if node is None:  # the filters leave nothing: x must not act on a benchmark no longer shown
            self.current_benchmark = None
            self.query_one(BenchmarkDetail).show(None, empty="No benchmark matches the filters: f cycles the "
                                                              "status shown, / finds by name.")
            return
        # Shown now, in the tree's first frame; the cursor lands on it once the tree has its lines.
        if node.data is not self.current_benchmark or self.query_one(BenchmarkDetail).item is not node.data:
            self.current_benchmark = node.data
            self._show_benchmark(node.data)
        tree.call_after_refresh(tree.move_cursor, node)

    # -- messages from workers -----------------------------------------------------------------
    @on(Progress)
    def _progress(self, message: Progress) -> None:
        work_row = self.query_one("#work")
        work_row.display = message.done < message.total
        self.query_one("#work-bar", ProgressBar).update(total=max(1, message.total), progress=message.done)
        cancels = " (c cancels)" if self.check_action("cancel_work", ()) else ""
        self.query_one("#work-label", Label).update(f"{message.label} {message.done}/{message.total}{cancels} ")

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
        self.query_one(LogView).add(message.text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.query_one("#work").display = False
            self.report_failure(event.worker.name, event.worker.error)

    # -- navigation ----------------------------------------------------------------------------
    @on(Tree.NodeHighlighted, "#benchmark-tree")
    def _tree_highlight(self, event: Tree.NodeHighlighted) -> None:
        if not self.query_one("#tree-side").display:
            return  # an empty workspace: the panel shows how to add benchmarks, not "select one"
        data = event.node.data
        if isinstance(data, Benchmark):
            if data is not self.current_benchmark or self.query_one(BenchmarkDetail).item is not data:
                self.current_benchmark = data
                self._show_benchmark(data)
            self._save_soon()
        else:
            # A group, category or problem row: the keys that act on a benchmark act on none,
            # never on the one highlighted before. A group or category shows what it holds.
            self.current_benchmark = None
            if data is None:
                below = self.query_one(BenchmarkTree).benchmarks_under(event.node)
                summaries = self.session.summaries if self.session else {}
                self.query_one(BenchmarkDetail).show_group(event.node.label.plain, below, summaries)
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
        if self._wanted_tab is not None and tab != self._wanted_tab:
            # Two tab keys in one burst: the first tab's late message set it active again.
            event.tabbed_content.active = self._wanted_tab
            return
        if tab != event.tabbed_content.active:
            return  # the message of a tab left again before it arrived (a restored tab at launch)
        self._focus_home(event.pane)
        if tab == "benchmarks" and self.current_benchmark is not None:
            self._show_benchmark(self.current_benchmark)  # its counts may have changed in Review
        else:
            self._fill(tab)
        self.refresh_bindings()
        self._save_soon()

    def _fill(self, tab: str) -> None:
        """What a tab shows of the session: the current benchmark's components, the review list."""
        if tab == "components":
            self.query_one(ComponentsPane).show(self.current_benchmark)
        elif tab == "review" and not self._queue_loaded:
            self._load_queue()

    def _load_queue(self) -> None:
        if self.session is None:
            return
        queue = self.query_one(ReviewQueue)
        queue.build()
        rows = self.session.filtered(status=queue.status_filter, task=queue.task_filter, benchmark=queue.benchmark_filter,
                                     text=self.query_one("#queue-text", Input).value)
        keep = queue.current or self._restore.pop("sample", None)
        queue.load(rows, self.session.status_of, keep=keep)
        self._queue_loaded = True
        # The session's rows and the queue's live as long as the app: out of the cyclic collector's
        # reach, a full collection no longer walks 20,000 samples in the middle of a key press.
        gc.freeze()

    @on(ReviewQueue.Highlighted)
    def _sample_highlighted(self, message: ReviewQueue.Highlighted) -> None:
        view = self.query_one(SampleView)
        if message.key is None or self.session is None:
            view.show(None, empty=self._no_sample_reason())
            return
        sample = self.session.sample(message.key)
        status = self.session.status_of(self.session.rows[message.key])
        view.show(sample, status, edit=self.session.saved_edit(message.key))  # approved or only saved
        self._save_soon()

    def _no_sample_reason(self) -> str:
        queue = self.query_one(ReviewQueue)
        if self.session is None:
            return "Reading the workspace..."
        if not self.session.rows:
            return ("No samples yet. On the Benchmarks tab (1), x extracts the benchmark under the cursor and "
                    "X every benchmark; their samples are listed here to review.")
        if queue.status_filter or queue.task_filter or queue.benchmark_filter or queue.text:
            return "No sample matches the filters above (f, t and b cycle them; / filters by key text)."
        return "No sample selected."

    @on(Input.Submitted, "#queue-text")
    def _queue_text(self, event: Input.Submitted) -> None:
        self._load_queue()

    @on(Input.Changed, "#tree-filter")
    def _tree_text(self, event: Input.Changed) -> None:
        if event.value == self.tree_text:
            return  # a filter restored at launch, already shown
        self.tree_text = event.value
        if self.library is not None:
            self._show_tree()

    def action_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        # Until the burst of keys settles, a late message of a tab passed on the way (its focus
        # event, its activation) must not take the tab back.
        self._wanted_tab = tab
        if self._wanted_timer is not None:
            self._wanted_timer.stop()
        self._wanted_timer = self.set_timer(0.5, self._settled)
        tabs.active = tab
        # At once, not when the tab's message arrives: a focused widget that the switch hides
        # would hand the focus to a sibling, and that sibling's tab would take over again.
        self._focus_home(tabs.get_pane(tab))

    def _settled(self) -> None:
        self._wanted_tab = self._wanted_timer = None

    def _focus_home(self, pane) -> None:
        """Focus the tab's main widget unless the focus already is inside the tab (its keys
        work only there)."""
        pane.prepare()
        focused = self.focused
        if focused is None or pane not in focused.ancestors_with_self:
            self.screen.set_focus(next(w for w in pane.query(pane.HOME) if _displayed(w, pane)))

    def action_focus_filter(self) -> None:
        target = "#queue-text" if self.query_one(TabbedContent).active == "review" else "#tree-filter"
        if target == "#tree-filter" and not self.query_one("#tree-side").display:
            self.notify("no benchmarks to filter yet: the panel says how to add them", timeout=4)
            return
        self.query_one(TabbedContent).active = "review" if target == "#queue-text" else "benchmarks"
        self.query_one(target, Input).focus()

    def action_cycle_status(self) -> None:
        if self.query_one(TabbedContent).active == "review":
            queue = self.query_one(ReviewQueue)
            queue.status_filter = STATUS_CYCLE[(STATUS_CYCLE.index(queue.status_filter) + 1) % len(STATUS_CYCLE)]
            self._load_queue()
        else:
            self.status_filter = STATUS_FILTERS[(STATUS_FILTERS.index(self.status_filter) + 1) % len(STATUS_FILTERS)]
            self._show_tree()
        self._save_soon()

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_hide_help(self) -> None:
        self.action_hide_help_panel()

    def action_rescan(self) -> None:
        if self.session is None:
            self.load_session()
        else:
            self.rescan()

    @work(thread=True, exclusive=True, group="load", name="rescan", exit_on_error=False)
    def rescan(self) -> None:
        """Re-read the tree with the session (and its writer lock) kept open."""
        self.session.reload(fresh=True)
        self.post_message(self.SessionLoaded(self.session))
        self.session.keep_snapshot()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "hide_help":
            return bool(self.screen.query("HelpPanel"))  # else Escape stays free for others
        if action in WRITING_ACTIONS and self.is_readonly:
            return None  # shown greyed; the read-only banner says why
        if action in REVIEW_ACTIONS:
            try:
                return self.query_one(TabbedContent).active == "review"
            except Exception:
                return False
        if action == "cancel_work":
            return any(w.group == "extract" and w.is_running for w in self.workers)  # shown only then
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
            "queue_benchmark": queue.benchmark_filter,
            "tree_text": self.tree_text, "queue_text": queue.text,
        }
        try:
            self.session.store.save_ui_state(state)
        except OSError as err:
            log.error("cannot save where you were: %s", describe(err))


NO_CONTROL_CODES = NoControlCodes()


FULL_COLLECTION_EVERY = 1000  # middle-generation collections between two full ones (Python: 10)
COLLECT_EVERY_S = 30.0


def quiet_collector() -> None:
    """Full collections rare while keys are pressed, made when the app is idle instead.

    Each full collection walks every object not frozen; in a run of approvals (Textual makes and
    caches tens of thousands of strips and segments) it paused the app for 10-40 ms, and after it
    the screen's timer waited a frame more: about one press in twelve took 40 ms instead of 17.
    Cyclic garbage still dies young in the young generations; what outlives them is collected by
    `collect_survivors`, every half minute."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def collect_survivors() -> bool:
    """A full collection when young collections moved objects on since the last one (not on an
    app left idle). Whether it collected."""
    if not gc.get_count()[2]:
        return False
    gc.collect()
    return True


@contextmanager
def _lasting() -> Iterator[None]:
    """Around work that makes tens of thousands of objects living as long as the app: the cyclic
    collector would walk them again and again while they are made, and in every full collection
    after (an 80 ms pause in the middle of the first paint). Frozen once made."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
    gc.freeze()


def _displayed(widget, pane) -> bool:
    """Whether `widget` shows when `pane` does (no container between them is hidden)."""
    return all(node.display for node in widget.ancestors_with_self[:widget.ancestors_with_self.index(pane)])


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
    # Textual prints a crash's traceback, locals included, to stderr after the screen is restored:
    # it passes the one redactor like everything else the app shows.
    stderr, sys.stderr = sys.stderr, RedactingStream(sys.stderr)
    try:
        app.run()
    finally:
        sys.stderr = stderr
    return app.return_code or 0
