"""docs/make_screenshots.py still drives the app to each pane (the README's pictures come from it)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO


def test_the_screenshot_script_saves_each_pane(tmp_path):
    out = tmp_path / "shots"
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # its workspace and user folders live under tmp_path too
    done = subprocess.run([sys.executable, str(REPO / "docs" / "make_screenshots.py"), "--no-training", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    expected = {"benchmarks": "knapsack", "components": "Didactic", "review-repair": "slash_comment",
                "log": "convert", "training": "Training"}
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.svg" for name in expected)
    for name, word in expected.items():
        assert word in (out / f"{name}.svg").read_text(encoding="utf-8"), name
