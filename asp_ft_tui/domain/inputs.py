"""The files a benchmark is made of, and a walk that finds only those.

Stdlib only and free of package imports: the wheel build hook (hatch_build.py) loads this file
by path, in a build environment that has none of the project's dependencies.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

# Names matched case-insensitively; equal to domain.benchmarks' ASP_NAMES, NL_NAME and IR_NAME
# (a test checks). Caches and sidecars a teacher wrote beside them are derived data, not input.
INPUT_NAMES = frozenset(("asp.txt", "asp.lp", "nl.txt", "ir.txt"))


def benchmark_inputs(source: Path) -> Iterator[tuple[Path, str]]:
    """(file, its path relative to `source` in POSIX form) for every benchmark input file below
    `source`, in a stable order; links and hidden folders are not followed."""
    source = Path(source)
    for folder, dirs, files in os.walk(source):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(files):
            path = here / name
            if name.lower() in INPUT_NAMES and not path.is_symlink() and path.is_file():
                yield path, path.relative_to(source).as_posix()
