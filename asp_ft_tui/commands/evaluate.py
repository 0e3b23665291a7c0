"""`asp-ft eval`: generate with a model (base, adapter, checkpoints) and score with clingo.

    asp-ft eval --adapter RUN                      # the run's base model and its latest adapter
    asp-ft eval --adapter RUN --base --checkpoint 100,200
                                                   # base vs checkpoints vs latest, one table
    asp-ft eval --model M --data export/valid.jsonl --limit 50
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


def add_parser(commands, add_workspace_option, handler) -> None:
    ev = commands.add_parser(
        "eval",
        help="score a model's answers with clingo: valid, exact, semantic, repair (base vs adapter vs checkpoints)",
        description="Generate an answer for every prompt of an export's valid split (greedy, mlx-lm) and score it "
        "with the clingo engine against the sample's own context. Writes samples.jsonl and summary.json per model.",
    )
    add_workspace_option(ev)
    ev.add_argument("--model", help="base model (default: the one the run trained on)")
    ev.add_argument("--adapter", type=Path, metavar="RUN", help="a training run folder")
    ev.add_argument("--checkpoint", metavar="ITER[,ITER...]", help="evaluate these checkpoints of the run too")
    ev.add_argument("--base", action="store_true", help="with --adapter: evaluate the base model too")
    ev.add_argument("--data", type=Path, metavar="FILE", help="a split file of an export (default: the valid split "
                    "the run trained with, else the latest approved export's)")
    ev.add_argument("--limit", type=int, metavar="N", help="only the first N prompts")
    ev.add_argument("--output", type=Path, metavar="DIR", help="where results go (default: RUN/eval/, or "
                    "data/evals/ in the workspace)")
    ev.set_defaults(handler=handler)


def run(args: argparse.Namespace, workspace_of) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from asp_ft_tui.asp.engine import get_engine
    from asp_ft_tui.evaluation.evaluate import EvalError, evaluate, table_rows
    from asp_ft_tui.training.config import SettingsError, TrainSettings, latest_export
    from asp_ft_tui.training.fuse import FuseError

    err = Console(stderr=True)
    try:
        settings = TrainSettings.load(args.adapter / "train_config.yaml") if args.adapter else None
        model = args.model or (settings.model if settings else None)
        if not model:
            raise EvalError("name a model with --model, or a training run with --adapter")
        data = args.data
        if data is None and settings is not None:
            data = Path(settings.data) / "valid.jsonl"
        if data is None:
            export = latest_export(workspace_of(args).exports_dir, "approved")
            if export is None:
                raise EvalError("no dataset: name a split file with --data, or export the approved samples first")
            data = export / "valid.jsonl"
        checkpoints = [int(c) for c in re.split(r"[,\s]+", args.checkpoint.strip())] if args.checkpoint else []
        plans: list[tuple[str, Path | None, int | None]] = []
        if args.adapter is None or args.base:
            plans.append(("base", None, None))
        plans += [(f"checkpoint {c}", args.adapter, c) for c in checkpoints]
        if args.adapter is not None:
            plans.append(("adapter", args.adapter, None))
        root = args.output or (args.adapter / "eval" if args.adapter else
                               workspace_of(args).data_dir / "evals" / Path(model.rstrip("/")).name)
        summaries = []
        engine = get_engine()
        for label, adapter, checkpoint in plans:
            with Progress(TextColumn(f"evaluating {label}"), BarColumn(), MofNCompleteColumn(), console=err,
                          transient=True) as progress:
                task = progress.add_task("", total=None)
                summaries.append(evaluate(model, data, root / label.replace(" ", "-"), engine, adapter=adapter,
                                          checkpoint=checkpoint, limit=args.limit, label=label,
                                          progress=lambda done, total: progress.update(task, completed=done,
                                                                                       total=total)))
    except (EvalError, SettingsError, FuseError, ValueError) as error:
        print(f"asp-ft: error: {error}", file=sys.stderr)
        return 2
    header, rows = table_rows(summaries)
    table = Table(title=f"clingo-scored answers on {data}")
    for column in header:
        table.add_column(column, justify="left" if column in ("model", "task") else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    print(f"per-sample results: {root}/<model>/samples.jsonl")
    return 0
