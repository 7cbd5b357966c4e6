"""Where the app writes files it offers for download (summary reports, eval reports): one temporary folder per
process, removed when the process exits, with each kind of run keeping only its latest few folders. A long-running
app would otherwise leave a folder in /tmp behind every verify and every evaluation."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_root: tempfile.TemporaryDirectory | None = None
_runs = itertools.count()


def run_folder(kind: str, keep: int = 8) -> Path:
    """A new, empty folder for one run's files; older `kind` folders beyond the latest `keep` are removed (a page
    still offering one of those for download gets a 'file not found')."""
    global _root
    with _lock:
        if _root is None:
            # Under the system's temp folder, from which Gradio serves files; cleaned up at exit.
            _root = tempfile.TemporaryDirectory(prefix="podrag-app-")
        parent = Path(_root.name) / kind
        parent.mkdir(exist_ok=True)
        runs = sorted(parent.iterdir())  # named in the order they were made
        for old in runs[: max(0, len(runs) - keep + 1)]:
            shutil.rmtree(old, ignore_errors=True)
        folder = parent / f"{next(_runs):08d}"
        folder.mkdir()
        return folder
