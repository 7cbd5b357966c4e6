"""ui/library_tab.py: adding an episode from the app, and what its messages tell a visitor."""

from __future__ import annotations

from pathlib import Path

from rag.settings import MB
from ui import library_tab

VTT = "WEBVTT\n\n1\n00:00:02.000 --> 00:00:09.000\n<v Kim Lee>We fly kites on the windy beach every autumn.</v>\n"


def form(**values) -> list[str]:
    return [values.get(name, "") for name in library_tab._FORM_FIELDS]


def gradio_upload(tmp_path: Path, name: str, content: str | bytes) -> str:
    """A file where Gradio keeps uploads: a temporary folder of the server."""
    folder = tmp_path / "gradio" / "4f1c0e"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return str(path)


def test_an_upload_is_indexed_and_listed(tiny_assistant, tmp_path):
    status, table = library_tab.add_episode(tiny_assistant, {"transcript": gradio_upload(tmp_path, "k.vtt", VTT)},
                                            form(title="Kite flying", guests="Kim Lee"))
    assert "Added kite-flying: 1 episode" in status and table and "Kite flying" in table


def test_a_rejected_upload_names_the_file_not_the_servers_folders(tiny_assistant, tmp_path):
    broken = gradio_upload(tmp_path, "broken.vtt", "WEBVTT\n\n1\n00:00:09.000 --> 00:00:02.000\n<v A>Back.</v>\n")
    status, table = library_tab.add_episode(tiny_assistant, {"transcript": broken}, form(id="broken-1"))
    assert table is None and "Not added: transcript.vtt:4: " in status, status
    uploads = tiny_assistant.settings.uploads_dir()
    for folder in (tmp_path, uploads, uploads.resolve(), Path(broken).parent):
        assert str(folder) not in status
    status, _ = library_tab.add_episode(tiny_assistant, {"transcript": broken}, form(id="tiny-459"))
    assert "already indexed from other files (episode.json" in status and str(tmp_path) not in status, status


def test_the_upload_limit_is_in_the_same_unit_as_the_ingest_limit(tiny_assistant, tmp_path):
    """25 MB means 25 MiB for an upload as for `podcast-rag ingest`: a 25,500,000-byte file is under both."""
    settings = tiny_assistant.settings
    assert settings.upload_max_bytes() == settings.max_file_bytes() == 25 * MB
    # One long blank line: past the size check in ~2 s (25 million blank lines take ~19 s to read).
    big = gradio_upload(tmp_path, "big.vtt", "WEBVTT\n\n" + " " * (25_500_000 - 8))
    status, _ = library_tab.add_episode(tiny_assistant, {"transcript": big}, form(id="big-1"))
    assert "over the" not in status and "Not added: transcript.vtt: " in status, status
    over = gradio_upload(tmp_path, "over.vtt", b"\n" * (25 * MB + 1))
    status, _ = library_tab.add_episode(tiny_assistant, {"transcript": over}, form(id="over-1"))
    assert "Not added: over.vtt: 25.0 MB is over the 25 MB limit" in status, status
