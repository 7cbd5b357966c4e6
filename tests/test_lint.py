"""The tree passes the ruff rules pyproject.toml selects (`[tool.ruff.lint]`: pyflakes, pycodestyle, import order,
bugbear, pyupgrade, simplifications): no unused import or variable, no undefined name, no line over 120 characters.
Fast, so it runs with the unit tests."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_tree_passes_the_selected_lint_rules():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
         "rag", "ui", "tools", "eval", "tests"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
