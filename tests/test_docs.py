"""The documentation names no path of the machine it was written on: readers have their own checkout."""

import re

from tests.conftest import ROOT

MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|home/\w+|Users/\w+)/")


def test_no_document_names_a_machine_path():
    docs = [p for p in ROOT.rglob("*.md") if not {".venv", ".cache", "node_modules", "test-artifacts"} & set(p.parts)]
    found = [f"{p.relative_to(ROOT)}:{n}" for p in sorted(docs)
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1) if MACHINE_PATH.search(line)]
    assert docs and found == []
