"""A workspace: the folder a user works in.

    data/benchmarks/   input benchmark folders (NL.txt / IR.txt + ASP.txt)
    data/curation/     the curation DB (decisions, history, UI state, runs) and its lock
    data/cache/        built samples per benchmark (derivable, safe to delete)
    data/exports/      one folder per dataset export; data/train.jsonl, data/valid.jsonl
    adapters/          training runs
    prompts/           optional: overrides of the bundled prompt files, file by file

A folder is a workspace when it has `data/benchmarks/`. The repository root is one.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from asp_ft_tui import paths
from asp_ft_tui.domain.inputs import benchmark_inputs

# Everything the app writes into a workspace; `asp-ft init` writes it as the workspace's
# .gitignore and the repository's own .gitignore carries the same lines.
GENERATED_PATTERNS = (
    "data/curation/",
    "data/cache/",
    "data/exports/",
    "data/*.jsonl",
    "data/benchmarks/**/structure.json",
    "data/benchmarks/**/structure.meta.json",
    "data/benchmarks/**/.structure*.tmp",
    "adapters/*/",
)


class WorkspaceError(Exception):
    """A folder cannot be used as a workspace; the message says why and what to do."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def benchmarks_dir(self) -> Path:
        return self.data_dir / "benchmarks"

    @property
    def curation_dir(self) -> Path:
        return self.data_dir / "curation"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def structures_dir(self) -> Path:
        """Structure files of benchmarks whose own folders are read-only."""
        return self.cache_dir / "structures"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def adapters_dir(self) -> Path:
        return self.root / "adapters"

    @property
    def prompts_dir(self) -> Path:
        return self.root / "prompts"

    @classmethod
    def at(cls, path: Path | str) -> "Workspace":
        root = Path(path).expanduser().resolve()
        if not root.exists():
            raise WorkspaceError(f"{root} does not exist; create a workspace with `asp-ft init {root}`")
        if not is_workspace(root):
            raise WorkspaceError(
                f"{root} is not a workspace (it has no data/benchmarks/ folder); "
                f"create one with `asp-ft init {root}`"
            )
        return cls(root)


def is_workspace(path: Path) -> bool:
    return (Path(path) / "data" / "benchmarks").is_dir()


def init_workspace(path: Path | str, *, with_samples: bool = True) -> Workspace:
    """Create (or complete) a workspace; never overwrites anything already there."""
    root = Path(path).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} exists and is not a folder")
    try:
        return _init(root, with_samples)
    except OSError as err:
        raise WorkspaceError(f"cannot create a workspace at {root}: {err.strerror or err}") from None


def _init(root: Path, with_samples: bool) -> Workspace:
    benchmarks = root / "data" / "benchmarks"
    fresh = not benchmarks.exists() or not any(benchmarks.iterdir())
    benchmarks.mkdir(parents=True, exist_ok=True)
    (root / "adapters").mkdir(exist_ok=True)
    if with_samples and fresh:
        copy_benchmark_inputs(paths.bundled_benchmarks(), benchmarks)
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        lines = ["# written by asp-ft: everything the app generates in this workspace", *GENERATED_PATTERNS]
        gitignore.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Workspace(root)


def copy_benchmark_inputs(source: Path, target: Path) -> int:
    """Copy the benchmark input files (ASP, NL, IR) below `source` to the same places below
    `target`; caches, sidecars, links and anything else stay behind. Returns the count."""
    copied = 0
    for path, relative in benchmark_inputs(source):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        copied += 1
    return copied


def resolve_workspace(arg: Path | str | None, cwd: Path | None = None) -> tuple[Workspace, str | None]:
    """The workspace a command works in, and a notice for the user when it was not asked for.

    An explicit folder must be a workspace. Without one, the current folder is used when it is a
    workspace, else the demo workspace in the user data folder, created on first use from the
    bundled benchmarks.
    """
    if arg is not None:
        return Workspace.at(arg), None
    here = Path(cwd) if cwd is not None else Path.cwd()
    if is_workspace(here):
        return Workspace(here.resolve()), None
    demo = paths.user_dirs().demo_workspace
    if is_workspace(demo):
        return Workspace(demo.resolve()), f"{here} is not a workspace; using the demo workspace at {demo}"
    workspace = init_workspace(demo)
    return workspace, (
        f"{here} is not a workspace; created a demo workspace at {demo} from the bundled benchmarks"
    )
