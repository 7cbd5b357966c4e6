"""rag/scratch.py: the app's download files live in one temporary folder per process, removed at exit, and each
kind of run keeps only its latest few folders."""

import subprocess
import sys
import tempfile
from pathlib import Path

from rag.scratch import run_folder


def test_each_kind_keeps_its_latest_runs_only():
    folders = []
    for _ in range(5):
        folders.append(run_folder("test-kind", keep=3))
        (folders[-1] / "report.json").write_text("{}")
    assert [f.exists() for f in folders] == [False, False, True, True, True]
    assert folders[-1].parent.parent == folders[0].parent.parent and folders[-1].parent.name == "test-kind"


def test_the_folder_is_gone_when_the_process_exits():
    made = subprocess.run([sys.executable, "-c", "from rag.scratch import run_folder; f = run_folder('verify'); "
                           "(f / 'verify-x.csv').write_text('a'); print(f.parent.parent)"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert made.startswith("/") and "podrag-app-" in made
    assert not Path(made).exists()


def test_the_app_s_verify_and_eval_runs_leave_nothing_in_the_temp_folder(tiny_assistant, tmp_path, monkeypatch):
    """Before: every verify (and every evaluation) left a podrag-verify-* (podrag-eval-*) folder in /tmp."""
    import rag.scratch
    from ui.claims_tab import verify

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(rag.scratch, "_root", None)  # this process's folder, made anew in that temp folder
    (tmp_path / "tmp").mkdir()
    for _ in range(12):
        verify(tiny_assistant, "tiny-459", False)
    made = list((tmp_path / "tmp").iterdir())
    assert len(made) <= 1 and all(p.name.startswith("podrag-app-") for p in made)
