"""`asp-ft extract`: a progress bar while it runs, a summary table at the end."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from contextlib import ExitStack

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from asp_ft_tui.asp.engine import get_engine
from asp_ft_tui.asp.verdicts import CachingEngine, VerdictCache
from asp_ft_tui.commands.locks import hold
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.domain.structure import structure_path
from asp_ft_tui.extraction import Extractor, RunEvent, Settings, default_concurrency, run_extraction
from asp_ft_tui.prompts import load_prompts
from asp_ft_tui.settings import for_command
from asp_ft_tui.teachers import make_teacher
from asp_ft_tui.teachers.base import TeacherError


def run(args: argparse.Namespace, workspace) -> int:
    # Extraction writes structures beside the benchmarks: one writer at a time.
    with ExitStack() as stack:
        hold(stack, workspace=workspace, folders=(args.input,))
        return _extract(args, workspace)


def _extract(args: argparse.Namespace, workspace) -> int:
    root = args.input if args.input is not None else workspace.benchmarks_dir
    library = discover(root, workspace.structures_dir if workspace else None)
    benchmarks = [b for b in library.benchmarks if not args.only or args.only in b.id]
    err = Console(stderr=True)
    for problem in library.problems:
        err.print(f"[yellow]skipped[/] {escape(problem.id)}: {escape(problem.reason)}", soft_wrap=True)
    if library.relocation_notice:
        err.print(f"asp-ft: {library.relocation_notice}", markup=False, soft_wrap=True)
    if not benchmarks:
        raise TeacherError(f"no benchmarks found below {root}" + (f" matching {args.only!r}" if args.only else ""))
    prompts = load_prompts(workspace.prompts_dir if workspace else None)
    engine = CachingEngine(get_engine(), VerdictCache(workspace.cache_dir if workspace else None))
    chosen = for_command(workspace, args)  # the flags over the workspace's settings
    name = chosen.teacher
    options = {"rpm": args.rpm} if name == "gemini" and args.rpm else {}
    if name == "mlx" and args.max_tokens:
        options["max_tokens"] = args.max_tokens
    teacher = make_teacher(name, engine=engine, model=chosen.model, seed=args.seed, **options)
    settings = Settings(seed=args.seed, max_rounds=chosen.repair_rounds, force=args.force, all_tones=chosen.all_tones)
    extractor = Extractor(teacher, engine, prompts, settings)
    concurrency = chosen.concurrency or default_concurrency(name, engine)
    if name != "structural":
        todo = benchmarks if args.force else [b for b in benchmarks if not structure_path(b).is_file()]
        err.print(f"{name} teacher ({escape(str(teacher.model))}): this run will send {teacher.estimate(todo, prompts)} "
                  f"for {len(todo)} benchmarks to extract, plus any repair requests")
    cancel = threading.Event()
    with Progress(TextColumn("extracting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}", markup=False), console=err, transient=True) as progress:
        task = progress.add_task("", total=len(benchmarks))

        def on_event(event: RunEvent) -> None:
            if event.kind == "done" and event.result is not None:
                progress.update(task, completed=event.completed, description=event.result.benchmark_id)

        try:
            summary = run_extraction(extractor, benchmarks, concurrency=concurrency, on_event=on_event, cancel=cancel)
        except KeyboardInterrupt:
            progress.stop()
            err.print("[yellow]interrupted[/]: finished benchmarks are saved; run the same command again to continue")
            sys.stdout.flush()
            sys.stderr.flush()
            # A teacher request still in flight would hold the process until its timeout; every
            # finished benchmark is already on disk (atomic writes), so leave now.
            os._exit(130)
        finally:
            teacher.close()
    row = summary.row()
    if args.json:
        print(json.dumps({"teacher": name, "summary": row, "results": [
            {"id": r.benchmark_id, "status": r.status, "faithful": r.faithful, "needs_review": r.needs_review,
             "error": r.error} for r in summary.results]}, indent=2))
    else:
        table = Table(title=f"extraction with the {name} teacher")
        for column in row:
            table.add_column(column, justify="right")
        table.add_row(*(str(v) for v in row.values()))
        Console(file=sys.stdout, width=max(100, Console().width)).print(table)
        for result in summary.results:
            if result.status == "failed":
                err.print(f"[red]failed[/] {escape(result.benchmark_id)}: {escape(result.error)}", soft_wrap=True)
            elif result.needs_review:
                err.print(f"[yellow]needs review[/] {escape(result.benchmark_id)}: {', '.join(result.needs_review)}"
                          + (f" ({escape(result.faithful_reason)})" if "faithfulness" in result.needs_review else ""))
    return 0 if not any(r.status == "failed" for r in summary.results) else 1
