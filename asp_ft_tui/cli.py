"""`asp-ft`: the headless commands, over the same core as the app.

Starting the CLI imports only argparse and this package's light modules; each command imports
what it needs when it runs, so `asp-ft --help` stays fast and loads no ML or network library.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from asp_ft_tui import __version__


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not positive")
    return value


def _add_workspace_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace",
        "-w",
        metavar="DIR",
        type=Path,
        help="workspace folder (default: the current folder if it is a workspace, else the demo workspace)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asp-ft",
        description="Headless commands of asp-ft-tui: build a clingo-verified ASP fine-tuning dataset.",
        epilog="Run `asp-ft-tui [WORKSPACE]` for the interactive app.",
    )
    parser.add_argument("--version", action="version", version=f"asp-ft {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    init = commands.add_parser("init", help="create a workspace (with the bundled sample benchmarks)")
    init.add_argument("directory", type=Path, metavar="DIR")
    init.add_argument("--empty", action="store_true", help="do not copy the bundled sample benchmarks")
    init.set_defaults(handler=cmd_init)

    listing = commands.add_parser("list", help="list the workspace's benchmarks and problem folders")
    _add_workspace_option(listing)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=cmd_list)

    check = commands.add_parser(
        "check",
        help="validate ASP files with clingo (compiler-style messages; exit 1 on errors)",
        description="Validate ASP files with clingo in contained workers. Prints FILE:LINE:COL: error: MESSAGE "
        "lines and exits 1 when any file has errors.",
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.add_argument("--context", type=Path, metavar="FILE", help="ASP text prepended to each file (e.g. the instance)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(handler=cmd_check)

    extract = commands.add_parser(
        "extract",
        help="deconstruct benchmarks into components with a teacher, validate, repair, check faithfulness",
        description="Extract components of every benchmark below --input (default: the workspace's "
        "data/benchmarks) and write structure.json + structure.meta.json beside each. Finished benchmarks "
        "are reused on a rerun unless --force.",
    )
    _add_workspace_option(extract)
    extract.add_argument("--input", type=Path, metavar="DIR", help="benchmark folder tree")
    extract.add_argument("--teacher", choices=("structural", "gemini", "mlx"),
                         help="default: the workspace's setting, else gemini when GEMINI_API_KEY or GOOGLE_API_KEY "
                         "is set, else structural")
    extract.add_argument("--model", help="Gemini model name, or the mlx-lm model folder for --teacher mlx")
    extract.add_argument("--force", action="store_true", help="extract again even where a structure exists")
    extract.add_argument("--all-tones", action=argparse.BooleanOptionalAction, default=None,
                         help="add the other four tone variants of every description (default: the workspace's setting)")
    extract.add_argument("--seed", type=int, default=0, help="seed of the tone choice (default 0)")
    extract.add_argument("--rounds", type=int, default=None, metavar="K",
                         help="repair rounds per component (default: the workspace's setting, else 3)")
    extract.add_argument("--concurrency", type=int, default=None, metavar="N",
                         help="benchmarks in flight at once (default: the workspace's setting, else 4 for gemini, "
                         "1 for mlx, every clingo worker for structural)")
    extract.add_argument("--rpm", type=positive_number, default=None, help="Gemini requests per minute (default 10)")
    extract.add_argument("--max-tokens", type=int, default=None, help="mlx teacher: longest answer (default 2048)")
    extract.add_argument("--only", metavar="TEXT", help="only benchmarks whose id contains TEXT")
    extract.add_argument("--json", action="store_true", help="print the summary as JSON")
    extract.set_defaults(handler=cmd_extract)

    convert = commands.add_parser(
        "convert",
        help="the whole chain headless: extract if needed, build samples, split by group, export for mlx-lm",
        description="Extract (reusing finished structures), build samples, split by group and export "
        "train.jsonl / valid.jsonl in mlx-lm's chat format.",
    )
    from asp_ft_tui.convert import add_arguments

    add_arguments(convert)
    convert.set_defaults(handler=cmd_convert)

    review = commands.add_parser(
        "review",
        help="the review queue headless: list, show, approve, reject, export and import decisions",
        description="Review samples without the app. list, show and export-decisions are read-only and work "
        "while the app holds the workspace; approve, reject and import-decisions record durable decisions.",
    )
    from asp_ft_tui.commands.review import add_arguments as add_review_arguments

    add_review_arguments(review, _add_workspace_option)
    review.set_defaults(handler=cmd_review)

    tiny = commands.add_parser(
        "make-tiny-model",
        help="build a tiny Qwen2-architecture model with a local tokenizer (no download), for offline runs",
    )
    tiny.add_argument("directory", type=Path, metavar="DIR")
    tiny.add_argument("--seed", type=int, default=0)
    tiny.add_argument("--steps", type=int, default=200, metavar="N",
                      help="full-parameter pretraining steps on the bundled benchmarks, so LoRA on it learns "
                      "(default 200, a few minutes on a laptop CPU; 0 for a random model)")
    tiny.set_defaults(handler=cmd_make_tiny_model)

    from asp_ft_tui.commands.train import add_parsers as add_training_parsers

    add_training_parsers(commands, _add_workspace_option, cmd_training)

    from asp_ft_tui.commands.evaluate import add_parser as add_eval_parser

    add_eval_parser(commands, _add_workspace_option, cmd_eval)
    return parser


def _workspace(args: argparse.Namespace):
    from asp_ft_tui.workspace import resolve_workspace

    workspace, notice = resolve_workspace(args.workspace)
    if notice:
        print(f"asp-ft: {notice}", file=sys.stderr)
    return workspace


def cmd_init(args: argparse.Namespace) -> int:
    from asp_ft_tui.domain.benchmarks import discover
    from asp_ft_tui.workspace import init_workspace

    workspace = init_workspace(args.directory, with_samples=not args.empty)
    count = len(discover(workspace.benchmarks_dir).benchmarks)
    print(f"workspace ready at {workspace.root} ({count} benchmarks in data/benchmarks/)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from asp_ft_tui.domain.benchmarks import discover

    workspace = _workspace(args)
    library = discover(workspace.benchmarks_dir)
    if args.json:
        payload = {
            "workspace": str(workspace.root),
            "benchmarks": [
                {"id": b.id, "category": b.category, "group": b.group, "variant": b.variant,
                 "has_nl": b.nl is not None, "has_ir": b.ir is not None,
                 "has_structure": b.structure_file is not None}
                for b in library.benchmarks
            ],
            "problems": [{"id": p.id, "reason": p.reason} for p in library.problems],
        }
        print(json.dumps(payload, indent=2))
        return 0
    groups = library.groups()
    print(f"{len(library.benchmarks)} benchmarks in {len(groups)} groups, {len(library.problems)} problem folders "
          f"({workspace.benchmarks_dir})")
    for members in groups.values():
        for bench in members:
            tags = "".join(t for t, on in ((" NL", bench.nl), (" IR", bench.ir), (" structure", bench.structure_file)) if on)
            prefix = "  " if bench.variant else ""
            print(f"{prefix}{bench.id}  [{tags.strip()}]")
    for problem in library.problems:
        print(f"problem: {problem.id}: {problem.reason}")
    return 0


def _read_source(path: Path) -> str:
    """A file's text; a byte that is not UTF-8 is a CommandError naming where it is."""
    text = _decode(path)
    if isinstance(text, str):
        return text
    raise CommandError(f"{path}:{text.canonical()}")


def _decode(path: Path):
    """A file's text, or a Diagnostic locating its first byte that is not UTF-8 (clingo would
    only see a replacement character there, and the user could not find the byte)."""
    from asp_ft_tui.asp.diagnostics import Diagnostic

    try:
        data = path.read_bytes()
    except OSError as err:
        raise CommandError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1  # in bytes, as clingo counts
        return Diagnostic("error", "encoding", f"not UTF-8: byte 0x{data[err.start]:02X}", line, column, line, column + 1)


class CommandError(Exception):
    """A command cannot run; the message says why."""


def cmd_check(args: argparse.Namespace) -> int:
    from asp_ft_tui.asp.engine import get_engine

    engine = get_engine()
    context = _read_source(args.context) if args.context else ""
    if context:
        # A broken context would be blamed on every file checked after it.
        own = engine.validate(context)
        if not own.ok:
            _print_located(args.context, own.diagnostics, args.json)
            print(f"asp-ft: error: the context {args.context} does not pass clingo; nothing else was checked",
                  file=sys.stderr)
            return 1
    from asp_ft_tui.asp.engine import ValidationResult

    decoded = [(path, _decode(path)) for path in args.files]
    sources = [(path, text if isinstance(text, str) else "") for path, text in decoded]
    readable = [(text, context) for _, text in decoded if isinstance(text, str)]
    checked = iter(engine.validate_many(readable))
    results = [next(checked) if isinstance(text, str) else ValidationResult.from_diagnostics([text])
               for _, text in decoded]
    if args.json:
        print(json.dumps([
            {"file": str(path), "ok": result.ok, "error_text": result.error_text,
             "diagnostics": [d.to_dict() for d in result.diagnostics]}
            for (path, _), result in zip(sources, results)
        ], indent=2))
    else:
        for (path, _), result in zip(sources, results):
            _print_located(path, result.diagnostics, False)
        errors = sum(len(r.errors) for r in results)
        bad = sum(1 for r in results if not r.ok)
        print(f"{len(sources)} file(s) checked: {errors} error(s) in {bad} file(s)", file=sys.stderr)
    return 0 if all(r.ok for r in results) else 1


def _print_located(path: Path, diagnostics, as_json: bool) -> None:
    """Compiler-style lines: every line names its file (`FILE:LINE:COL:` or `FILE:`)."""
    if as_json:
        print(json.dumps([{"file": str(path), "ok": False,
                           "diagnostics": [d.to_dict() for d in diagnostics]}], indent=2))
        return
    for diagnostic in diagnostics:
        for line in diagnostic.canonical().splitlines():
            line = line.removeprefix("context:")
            print(f"{path}:{line}" if line[:1].isdigit() else (f"{path}: {line}" if not line.startswith(" ") else line))


def cmd_extract(args: argparse.Namespace) -> int:
    from asp_ft_tui.commands.extract import run

    return run(args, _workspace(args) if args.input is None or args.workspace else None)


def cmd_convert(args: argparse.Namespace) -> int:
    from asp_ft_tui.convert import run

    return run(args)


def cmd_review(args: argparse.Namespace) -> int:
    from asp_ft_tui.commands.review import run

    return run(args, _workspace(args))


def cmd_make_tiny_model(args: argparse.Namespace) -> int:
    from asp_ft_tui.training.tiny_model import make_tiny_model

    path = make_tiny_model(args.directory, seed=args.seed)
    if args.steps > 0:
        from rich.console import Console
        from rich.progress import Progress

        from asp_ft_tui.training.pretrain import pretrain

        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("pretraining", total=args.steps)
            losses = pretrain(path, args.steps, seed=args.seed,
                              progress=lambda step, loss: progress.update(task, completed=step,
                                                                          description=f"pretraining, loss {loss:.2f}"))
        print(f"pretrained {args.steps} steps: loss {losses[0]:.2f} -> {losses[-1]:.2f}")
    print(f"tiny model written to {path} (a demo model: train on it with `asp-ft train --model {path}`)")
    return 0


def cmd_training(args: argparse.Namespace) -> int:
    from asp_ft_tui.commands.train import run

    return run(args, _workspace)


def cmd_eval(args: argparse.Namespace) -> int:
    from asp_ft_tui.commands.evaluate import run

    return run(args, _workspace)


def run_command(action) -> int:
    """Run a command with the shared error handling: known errors become one clear line.

    stdout and stderr pass the one redactor while the command runs: whatever a command prints
    (an error echoing an API key included) reaches the terminal without the key.
    """
    from asp_ft_tui.redaction import RedactingStream

    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(stdout), RedactingStream(stderr)
    try:
        return _run_guarded(action)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _run_guarded(action) -> int:
    from asp_ft_tui.logs import setup_logging
    from asp_ft_tui.oserrors import describe
    from asp_ft_tui.prompts import PromptError
    from asp_ft_tui.review import ReviewError
    from asp_ft_tui.store.lock import WorkspaceLocked
    from asp_ft_tui.store.storage import StoreError
    from asp_ft_tui.teachers.base import TeacherError
    from asp_ft_tui.workspace import WorkspaceError

    log = logging.getLogger("asp_ft_tui.cli")
    try:
        setup_logging()
        log.info("asp-ft %s", " ".join(sys.argv[1:]))
        return action()
    except (WorkspaceError, WorkspaceLocked, StoreError, CommandError, TeacherError, PromptError,
            ReviewError) as err:
        log.error("%s", err)
        print(f"asp-ft: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("asp-ft: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as err:
        # A full or read-only disk (or a permission) is the machine's state, not a bug: one line.
        log.error("%s", err, exc_info=err)
        print(f"asp-ft: error: {describe(err)}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
