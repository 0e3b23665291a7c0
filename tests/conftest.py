from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent


# Property tests keep no example database: nothing is written outside tmp_path, and a run is
# decided by its fixed seed alone.
settings.register_profile("asp-ft", database=None, print_blob=True)
settings.load_profile("asp-ft")


@pytest.fixture(autouse=True)
def user_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own per-user folders (ASP_FT_HOME), never the real ones."""
    home = tmp_path_factory.mktemp("asp-ft-home")
    monkeypatch.setenv("ASP_FT_HOME", str(home))
    return home


@pytest.fixture
def workspace(tmp_path):
    from asp_ft_tui.workspace import init_workspace

    return init_workspace(tmp_path / "ws")
