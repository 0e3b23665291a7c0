"""How a worker is launched: one local process, or `mlx.launch` over a hostfile; and the BLAS.

Data-parallel runs go through mlx's own launcher (`mlx.launch`: ring backend by default, MPI
where installed, NCCL picked by mlx on CUDA machines); each rank runs the same worker, rank 0
alone writes events and checkpoints.

Linux CPU: the `mlx[cpu]` wheel bundles the reference BLAS, about 17x slower for a large matmul
than OpenBLAS. With `blas: auto` the worker preloads the distribution's OpenBLAS when one is
installed (Debian/Ubuntu: `apt-get install libopenblas0-pthread`); `blas: off` keeps the
bundled one; a path preloads that library.
"""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

OPENBLAS_GLOBS = (
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/*/libopenblas.so.0",
    "/usr/lib64/libopenblas.so.0",
    "/usr/lib/libopenblas.so.0",
)


def find_openblas() -> str | None:
    for pattern in OPENBLAS_GLOBS:
        for path in sorted(glob.glob(pattern)):
            if os.path.isfile(path):
                return path
    return None


def blas_library(setting: str) -> str | None:
    """The library to preload for the worker, None for mlx's own."""
    if not sys.platform.startswith("linux") or setting in ("off", ""):
        return None
    if setting == "auto":
        return find_openblas()
    return setting if os.path.isfile(setting) else None


def worker_env(settings) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    library = blas_library(settings.blas)
    if library:
        env["LD_PRELOAD"] = " ".join(filter(None, [library, env.get("LD_PRELOAD", "")]))
    return env


def worker_command(run_dir: Path, settings, resume: Path | None = None) -> list[str]:
    command = [sys.executable, "-m", "asp_ft_tui.training.worker", str(run_dir)]
    if resume is not None:
        command += ["--resume", str(resume)]
    if not settings.hostfile:
        return command
    # mlx's launcher module has no __main__ guard (its `mlx.launch` script calls main()).
    launcher = [sys.executable, "-c", "import sys; from mlx._distributed_utils.launch import main; sys.exit(main())"]
    hostfile = settings.hostfile
    if hostfile.isdigit():  # N processes on this machine
        launcher += ["-n", hostfile, "--hosts", "127.0.0.1"]
    else:
        launcher += ["--hostfile", hostfile]
    return launcher + ["--backend", "ring", "--", *command]
