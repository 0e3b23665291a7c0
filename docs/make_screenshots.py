"""Regenerate the README's screenshots (docs/screenshots/*.svg) of the app on the bundled benchmarks.

    .venv/bin/python docs/make_screenshots.py                 # every pane (Training trains a tiny model, ~1 min)
    .venv/bin/python docs/make_screenshots.py --no-training   # without mlx: the Training pane stays empty

It does what a new user does, in a temporary folder (workspace and ASP_FT_HOME both; nothing else is
written): `asp-ft init`, `asp-ft convert --all-tones` with the offline structural teacher, a few
review decisions, a short training run of a random tiny model; then it drives the app with
Textual's pilot and saves each pane with `App.save_screenshot`. The tests' snapshots
(tests/test_snapshots.py) pin the same panes on a smaller workspace; these pictures are for reading.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "screenshots"
SIZE = (130, 40)
HEADER_LABEL = "~/asp-ft-workspace"
BENCHMARK = "Planning and Configuration/knapsack"


def cli(root: Path, *argv: str) -> None:
    """`asp-ft ARGV` in its own process in `root`, as a user types it (the Log tab shows these lines)."""
    done = subprocess.run([sys.executable, "-m", "asp_ft_tui.cli", *argv], cwd=root)
    if done.returncode != 0:
        raise SystemExit(f"asp-ft {' '.join(argv)} failed with exit code {done.returncode}")


def build(root: Path, training: bool) -> Path:
    os.environ["ASP_FT_HOME"] = str(root / "home")
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        os.environ.pop(name, None)  # the structural teacher: offline, and the same pictures for everybody
    ws = root / "asp-ft-workspace"
    cli(root, "init", ws.name)
    cli(root, "convert", "-w", ws.name, "--teacher", "structural", "--all-tones")
    from asp_ft_tui.review import ReviewSession
    from asp_ft_tui.workspace import Workspace

    with ReviewSession.open(Workspace.at(ws)) as session:
        keys = [row.key for row in session.rows_of(BENCHMARK)]
        for key in keys[:4]:
            session.decide(key, "approved")
        session.decide(keys[4], "rejected")
    if training:
        os.environ.setdefault("MLX_DISABLE_COMPILE", "1")  # no kernel compilation for a one-minute run
        (root / "train.yaml").write_text("learning_rate: 0.002\nsteps_per_eval: 5\nsave_every: 20\n", encoding="utf-8")
        cli(root, "make-tiny-model", "--steps", "0", "tiny-model")
        cli(root, "train", "-w", ws.name, "--model", "tiny-model", "--data", f"{ws.name}/data", "--iters", "40",
            "--config", "train.yaml")
    return ws


async def settle(pilot) -> None:
    app = pilot.app
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()
    app.sub_title = HEADER_LABEL
    for widget in app.query("Input"):
        widget.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def shoot(ws: Path, out: Path) -> list[Path]:
    from textual.widgets import DataTable, ListView

    from asp_ft_tui.tui.app import make_app
    from asp_ft_tui.tui.widgets.benchmark_tree import BenchmarkTree

    saved = []
    app = make_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        # In a terminal Rich's console is as wide as the terminal; headless it stays 80 columns, and
        # the Log tab's lines would wrap there.
        app.console.size = SIZE
        await settle(pilot)

        async def save(name: str) -> None:
            await settle(pilot)
            saved.append(Path(app.save_screenshot(filename=f"{name}.svg", path=str(out))))

        app.query_one(BenchmarkTree).select_benchmark(BENCHMARK)
        await save("benchmarks")
        await pilot.press("2")
        await settle(pilot)
        components = app.query_one("#component-list", ListView)
        components.focus()
        components.index = 2  # below the faithfulness verdict: the generator, with its five tones
        await save("components")
        await pilot.press("3")
        await settle(pilot)
        await pilot.press(*"ttttt")  # the task filter: all, instance, generator, hard, soft, repair
        await save("review-repair")
        await pilot.press("4")
        await save("log")
        await pilot.press("5")
        await settle(pilot)
        runs = app.query_one("#train-runs", DataTable)
        if runs.row_count:
            runs.focus()
            await pilot.press("enter")
        await save("training")
        await pilot.press("q")
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-training", action="store_true", help="skip the tiny training run (no mlx needed)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder for the SVG files (default {OUT})")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="asp-ft-screenshots-") as tmp:
        ws = build(Path(tmp), training=not args.no_training)
        for path in asyncio.run(shoot(ws, args.out.resolve())):
            print(path)


if __name__ == "__main__":
    main()
