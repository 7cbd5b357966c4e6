"""The tree passes pyflakes' checks through ruff (pyproject.toml `[tool.ruff]`: rules F): no unused import or
variable, no undefined name, no f-string without a placeholder. Fast, so it runs with the unit tests."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_no_unused_imports_or_undefined_names():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
         "rag", "ui", "tools", "eval", "tests"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
