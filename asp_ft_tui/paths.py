"""Where things live: per-user folders (platformdirs) and the files bundled with the package.

Everything is looked up when called; nothing is created at import time. Setting ASP_FT_HOME
points every per-user folder (data, config, cache, logs) below one directory, which is how tests
keep the real user folders untouched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "asp-ft-tui"
HOME_ENV = "ASP_FT_HOME"
PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class UserDirs:
    data: Path
    config: Path
    cache: Path
    log: Path

    @property
    def demo_workspace(self) -> Path:
        return self.data / "demo-workspace"


def user_dirs() -> UserDirs:
    home = os.environ.get(HOME_ENV)
    if home:
        base = Path(home).expanduser()
        return UserDirs(base / "data", base / "config", base / "cache", base / "log")
    from platformdirs import PlatformDirs

    dirs = PlatformDirs(APP_NAME, appauthor=False)
    return UserDirs(
        Path(dirs.user_data_dir),
        Path(dirs.user_config_dir),
        Path(dirs.user_cache_dir),
        Path(dirs.user_log_dir),
    )


def bundled_root() -> Path:
    """The folder holding the bundled `benchmarks/`-carrying data and `prompts/`.

    A wheel carries them in `asp_ft_tui/_bundled/`; a source checkout (editable install) has
    them at the repository top level, which is the package's parent.
    """
    packed = PACKAGE_DIR / "_bundled"
    if packed.is_dir():
        return packed
    return PACKAGE_DIR.parent


def bundled_benchmarks() -> Path:
    root = bundled_root()
    if root.name == "_bundled":
        return root / "benchmarks"
    return root / "data" / "benchmarks"


def bundled_prompts() -> Path:
    return bundled_root() / "prompts"
