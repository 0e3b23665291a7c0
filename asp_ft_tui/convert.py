"""`asp-ft convert` (also `python -m asp_ft_tui.convert`): the whole chain, headless.

Extract where needed (finished structures are reused), build samples (cached), split by group,
export in mlx-lm's chat format. By default every clingo-valid sample is exported, as the original
pipeline's converter did; `--only approved` exports what reviewers approved.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Sequence

from asp_ft_tui.export import ONLY


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 0.5:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 0.5")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", type=Path, metavar="DIR", help="benchmark folder tree (default: the workspace's)")
    parser.add_argument("--output", type=Path, metavar="DIR",
                        help="data folder for exports/, cache/, train.jsonl, valid.jsonl (default: the workspace's data/)")
    parser.add_argument("--workspace", "-w", type=Path, metavar="DIR",
                        help="workspace (prompts, review decisions); default: current folder or the demo workspace")
    parser.add_argument("--teacher", choices=("structural", "gemini", "mlx"),
                        help="default: gemini when an API key is set, else structural")
    parser.add_argument("--model", help="Gemini model name, or the mlx-lm model folder for --teacher mlx")
    parser.add_argument("--seed", type=int, default=0, help="seed of tones, corruptions and the split (default 0)")
    parser.add_argument("--only", choices=ONLY, default="valid", help="which samples to export (default: valid)")
    parser.add_argument("--repair-rate", type=float, default=0.5, help="chance of a repair pair per valid snippet")
    parser.add_argument("--valid-fraction", type=fraction, default=0.2, help="share of groups in valid (default 0.2; at least one group whenever there are two)")
    parser.add_argument("--test-fraction", type=fraction, default=0.0, help="share of groups in a test split (default 0)")
    parser.add_argument("--all-tones", action=argparse.BooleanOptionalAction, default=None,
                        help="all five tone variants of every description (default: the workspace's setting)")
    parser.add_argument("--budget-chars", type=int, default=16_000, help="report samples longer than this")
    parser.add_argument("--budget-tokens", type=int, default=None,
                        help="also report samples over this many tokens (estimated as characters / 4)")
    parser.add_argument("--concurrency", type=int, default=None, help="benchmarks extracted at once")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from asp_ft_tui.commands.locks import hold
    from asp_ft_tui.workspace import resolve_workspace

    err = Console(stderr=True)
    workspace = None
    if args.workspace is not None or args.input is None or args.output is None or args.only != "valid":
        workspace, notice = resolve_workspace(args.workspace)
        if notice:
            err.print(f"asp-ft: {notice}", markup=False)
    source = args.input or workspace.benchmarks_dir
    data_dir = args.output or workspace.data_dir
    # Extraction writes beside the benchmarks, the export into the data folder: one writer each.
    with ExitStack() as stack:
        hold(stack, workspace=workspace, folders=(args.input, args.output))
        return _convert(args, workspace, source, data_dir, err)


def _convert(args: argparse.Namespace, workspace, source: Path, data_dir: Path, err) -> int:
    from rich.markup import escape

    from asp_ft_tui.asp.engine import get_engine
    from asp_ft_tui.asp.verdicts import CachingEngine, VerdictCache
    from asp_ft_tui.domain.benchmarks import discover
    from asp_ft_tui.export import ExportError, ExportSettings, export_dataset
    from asp_ft_tui.extraction import Extractor, Settings, default_concurrency, run_extraction
    from asp_ft_tui.prompts import load_prompts
    from asp_ft_tui.samples import BuildSettings, SampleCache, build_samples
    from asp_ft_tui.settings import for_command
    from asp_ft_tui.teachers import make_teacher

    cache_dir = Path(data_dir) / "cache"
    library = discover(source, cache_dir / "structures")
    for problem in library.problems:
        err.print(f"[yellow]skipped[/] {escape(problem.id)}: {escape(problem.reason)}", soft_wrap=True)
    if library.relocation_notice:
        err.print(f"asp-ft: {library.relocation_notice}", markup=False, soft_wrap=True)
    if not library.benchmarks:
        err.print(f"asp-ft: error: no benchmarks found below {source}", markup=False)
        return 2
    # Each component is checked when it is extracted or imported, when its samples are built and
    # when it is exported: clingo is asked once, and not again on a rerun.
    verdicts = VerdictCache(cache_dir)
    if verdicts.problem:
        err.print(f"asp-ft: {verdicts.problem}", markup=False, soft_wrap=True)
    engine = CachingEngine(get_engine(), verdicts)
    prompts = load_prompts(workspace.prompts_dir if workspace else None)
    chosen = for_command(workspace, args)  # the flags over the workspace's settings
    name = chosen.teacher
    teacher = make_teacher(name, engine=engine, model=chosen.model, seed=args.seed)
    try:
        settings = Settings(seed=args.seed, all_tones=chosen.all_tones, max_rounds=chosen.repair_rounds)
        extractor = Extractor(teacher, engine, prompts, settings)
        with err.status(f"extracting {len(library.benchmarks)} benchmarks with the {name} teacher"):
            summary = run_extraction(extractor, library.benchmarks,
                                     concurrency=chosen.concurrency or default_concurrency(name, engine))
    finally:
        teacher.close()
    failed = [r for r in summary.results if r.status == "failed"]
    for result in failed:
        err.print(f"[red]extraction failed[/] {escape(result.benchmark_id)}: {escape(result.error)}", soft_wrap=True)
    with err.status("building samples"):
        build_settings = BuildSettings(seed=args.seed, repair_rate=args.repair_rate)
        report = build_samples(library.benchmarks, prompts, engine, build_settings,
                               SampleCache(cache_dir / "samples", build_settings))
    samples = [s for items in report.samples.values() for s in items]
    if args.only == "valid":
        samples, held = _without_unsettled(samples, summary.results)
        if held:
            err.print(f"asp-ft: held back {len(held)} samples that need review "
                      f"({', '.join(sorted({s.benchmark_id for s in held})[:5])}"
                      f"{', ...' if len({s.benchmark_id for s in held}) > 5 else ''}): a structure that is not faithful or whose original has errors, "
                      "or a description that still looks labelled; review them in the app, "
                      "then export with --only approved", markup=False, soft_wrap=True)
    decisions = None
    if args.only != "valid":
        from asp_ft_tui.store import CurationStore

        with CurationStore.for_workspace(workspace, readonly=True) as store:
            decisions = store.decisions()
    settings = ExportSettings(seed=args.seed, valid_fraction=args.valid_fraction, test_fraction=args.test_fraction,
                              only=args.only, budget_chars=args.budget_chars, budget_tokens=args.budget_tokens)
    try:
        result = export_dataset(samples, library.benchmarks, Path(data_dir), engine.validate_many, settings, decisions)
    except ExportError as error:
        err.print(f"asp-ft: error: {error}", markup=False)
        for line in error.problems[:50]:
            err.print(f"  {line}", markup=False)
        return 1
    row = summary.row()
    print(f"benchmarks: {row['benchmarks']} (extracted {row['extracted']}, cached {row['cached']}, failed {row['failed']})")
    print(f"samples built: {len(samples)} ({report.built} benchmarks built, {report.cached} from cache); "
          f"exported: " + ", ".join(f"{k} {v}" for k, v in result.counts.items() if v or k != "test"))
    if result.card.get("repeats_dropped"):
        print(f"repeated samples (same prompt and answer) written once: {result.card['repeats_dropped']} dropped")
    if result.card.get("over_budget"):
        print(f"samples over {args.budget_chars} characters: {len(result.card['over_budget'])} (listed in card.md)")
    if result.card["duplicates"]:
        print(f"duplicate benchmarks kept in one group: {result.card['duplicates']}")
    print(f"export {result.export_id}: {result.path}")
    print(f"mlx-lm data folder: {Path(data_dir).resolve()} (train.jsonl, valid.jsonl)")
    return 1 if failed else 0


def _without_unsettled(samples: list, results: list) -> tuple[list, list]:
    """(samples to export unreviewed, samples held back): every sample of a structure found not
    faithful (its components may mean something else than the program) or whose original has
    errors, and the translation samples of a description flagged as still labelled. Read from
    the extraction's results, which carry each sidecar's verdict and review list."""
    unsettled: dict[str, tuple[bool, set[str]]] = {}
    for result in results:
        wrong = (result.faithful == "not faithful"
                 or result.faithful_reason.startswith("the original program has errors"))
        flagged = {item.removeprefix("description ") for item in result.needs_review if item.startswith("description ")}
        if wrong or flagged:
            unsettled[result.benchmark_id] = (wrong, flagged)
    kept, held = [], []
    for sample in samples:
        wrong, flagged = unsettled.get(sample.benchmark_id, (False, set()))
        (held if wrong or (sample.task != "repair" and sample.slot in flagged) else kept).append(sample)
    return kept, held


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asp_ft_tui.convert", description=__doc__.splitlines()[0])
    add_arguments(parser)
    from asp_ft_tui.cli import run_command

    return run_command(lambda: run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
