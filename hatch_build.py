"""Wheel build hook: the bundled benchmarks travel as their input files only.

The repository root is itself a workspace, so after the app has been used in a clone its
`data/benchmarks/` also holds structure caches, sidecars and temp files (all git-ignored). A
plain force-include would pack them; this hook adds the input files one by one instead.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _inputs_module(root: Path):
    # Loaded by path: importing the package would need its dependencies in the build environment.
    spec = importlib.util.spec_from_file_location("_asp_ft_inputs", root / "asp_ft_tui" / "domain" / "inputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BundleHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        inputs = _inputs_module(root)
        for path, relative in inputs.benchmark_inputs(root / "data" / "benchmarks"):
            build_data["force_include"][str(path)] = f"asp_ft_tui/_bundled/benchmarks/{relative}"
