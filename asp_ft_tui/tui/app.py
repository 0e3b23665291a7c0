"""The asp-ft-tui application: built by `make_app`, used by the entry point and every test."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Tree

from asp_ft_tui import __version__
from asp_ft_tui.domain.benchmarks import Library, discover
from asp_ft_tui.logs import setup_logging
from asp_ft_tui.tui.widgets.benchmark_detail import BenchmarkDetail
from asp_ft_tui.tui.widgets.benchmark_tree import BenchmarkTree
from asp_ft_tui.workspace import Workspace, WorkspaceError, resolve_workspace


class AspFtApp(App[None]):
    TITLE = "asp-ft"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "toggle_help", "Help", id="help"),
        Binding("ctrl+r", "rescan", "Rescan", id="rescan"),
    ]

    class LibraryLoaded(Message):
        def __init__(self, library: Library) -> None:
            super().__init__()
            self.library = library

    def __init__(self, workspace: Workspace, *, notice: str | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.notice = notice
        self.library: Library | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield BenchmarkTree(id="benchmarks")
            with VerticalScroll(id="detail-scroll"):
                yield BenchmarkDetail(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = str(self.workspace.root)
        self.query_one(BenchmarkDetail).show(None)
        if self.notice:
            self.notify(self.notice, title="Workspace", timeout=10)
        self.action_rescan()

    def action_rescan(self) -> None:
        self.scan_benchmarks()

    @work(thread=True, exclusive=True, group="scan")
    def scan_benchmarks(self) -> None:
        self.post_message(self.LibraryLoaded(discover(self.workspace.benchmarks_dir)))

    @on(LibraryLoaded)
    def _show_library(self, message: LibraryLoaded) -> None:
        self.library = message.library
        tree = self.query_one(BenchmarkTree)
        tree.show_library(message.library)
        tree.border_title = f"Benchmarks ({len(message.library.benchmarks)})"
        first = tree.first_benchmark_node()
        if first is not None:
            tree.call_after_refresh(tree.move_cursor, first)
        if message.library.problems:
            self.notify(f"{len(message.library.problems)} benchmark folders have problems (see the tree)",
                        severity="warning")

    @on(Tree.NodeHighlighted, "#benchmarks")
    def _show_detail(self, event: Tree.NodeHighlighted) -> None:
        self.query_one(BenchmarkDetail).show(event.node.data)

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()


def make_app(workspace: Workspace | Path | str | None = None, *, notice: str | None = None) -> AspFtApp:
    """Build the app for a workspace (a folder path is resolved like the command line does)."""
    if not isinstance(workspace, Workspace):
        workspace, found_notice = resolve_workspace(workspace)
        notice = notice or found_notice
    return AspFtApp(workspace, notice=notice)


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
