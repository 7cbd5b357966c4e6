"""The Library tab: what is indexed, and a form to add an episode from its files (checked and saved by
rag.uploads, indexed by Assistant.ingest with a progress bar)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
from gradio.events import Dependency

from rag.assistant import Assistant
from rag.errors import PodragError
from rag.settings import MB
from rag.text import file_names_only
from rag.uploads import ALLOWED_SUFFIXES, EpisodeForm, add_upload
from ui import add_url, render

_FORM_FIELDS = ("id", "title", "podcast", "number", "host", "guests", "published", "video_url", "audio_url")


@dataclass
class LibraryTab:
    assistant: Assistant
    table: gr.HTML
    added: Dependency  # the upload event: chain `.then(...)` to refresh what depends on the episode list
    fetched: Dependency | None = None  # the same for "Add from a URL" (ui/add_url.py)
    inputs = None

    @property
    def outputs(self) -> list:
        return [self.table]

    def refresh(self) -> str:
        """The table of the index as it is now (when the page loads, so a reload shows what others added)."""
        return render.library_html(self.assistant.episodes())


def add_episode(assistant: Assistant, files: Mapping[str, str | None], values: Sequence[str | None],
                progress: Callable[[int, int, str], None] | None = None) -> tuple[str, str | None]:
    """Check, save and index an uploaded episode: (status HTML, the new library table or None if not added).

    Messages name files, not folders: the server's paths (where uploads are kept, Gradio's temporary files)
    are nobody's business but the server's.
    """
    form = EpisodeForm(**{name: (v or "") for name, v in zip(_FORM_FIELDS, values)})
    try:
        episode_id, report = add_upload(assistant, form, files, progress)
    except PodragError as exc:
        folders = [assistant.settings.uploads_dir(), *(Path(p).parent for p in files.values() if p)]
        return render.status_html(f"Not added: {file_names_only(str(exc), folders)}", ok=False), None
    return (render.status_html(f"Added {episode_id}: {report.summary_line()}"),
            render.library_html(assistant.episodes()))


def build(assistant: Assistant) -> LibraryTab:
    """Lay out the Library tab (call inside a gr.Tab) and wire the upload. The table is filled when the page
    loads (`LibraryTab.refresh`), never from the page as built."""
    settings = assistant.settings
    table = gr.HTML("", elem_id="library", js_on_load=None)
    gr.Markdown("### Add an episode")
    gr.Markdown(
        f"A transcript ({', '.join(ALLOWED_SUFFIXES['transcript'])}) and/or a summary (.txt, .md), optional "
        f"Podcasting 2.0 chapters (.json); up to {settings.upload_max_bytes() / MB:g} MB each."
    )
    with gr.Row():
        transcript = gr.File(label="Transcript", file_types=list(ALLOWED_SUFFIXES["transcript"]),
                             elem_id="upload-transcript")
        summary = gr.File(label="Summary (optional)", file_types=list(ALLOWED_SUFFIXES["summary"]),
                          elem_id="upload-summary")
        chapters = gr.File(label="Chapters (optional)", file_types=list(ALLOWED_SUFFIXES["chapters"]),
                           elem_id="upload-chapters")
    with gr.Row():
        fields = {
            "id": gr.Textbox(label="Episode id", placeholder="my-podcast-12 (default: from the title)",
                             elem_id="form-id"),
            "title": gr.Textbox(label="Title", elem_id="form-title"),
            "podcast": gr.Textbox(label="Podcast", elem_id="form-podcast"),
            "number": gr.Textbox(label="Number", elem_id="form-number", max_lines=1),
        }
    with gr.Row():
        fields |= {
            "host": gr.Textbox(label="Host", elem_id="form-host"),
            "guests": gr.Textbox(label="Guests (comma-separated)", elem_id="form-guests"),
            "published": gr.Textbox(label="Published (YYYY-MM-DD)", elem_id="form-published"),
        }
    with gr.Row():
        fields |= {
            "video_url": gr.Textbox(label="Video URL (YouTube: links open at the second)", elem_id="form-video"),
            "audio_url": gr.Textbox(label="Audio URL", elem_id="form-audio"),
        }
    add = gr.Button("Add episode", variant="primary", elem_id="add-episode")
    status = gr.HTML("", elem_id="upload-status", js_on_load=None)

    def on_add(transcript_, summary_, chapters_, *values, progress=gr.Progress()):  # noqa: B008
        def tick(done: int, total: int, label: str) -> None:
            progress((done, total or None), desc=f"Indexing {label}", unit="chunks")

        progress(0, desc="Reading the files")
        files = {"transcript": transcript_, "summary": summary_, "chapters": chapters_}
        message, new_table = add_episode(assistant, files, values, tick)
        if new_table is None:
            return message, *[gr.skip()] * 4
        return message, new_table, None, None, None  # the files are cleared for the next one

    uploads = [transcript, summary, chapters]
    added = add.click(on_add, [*uploads, *fields.values()], [status, table, *uploads], show_progress="full",
                      concurrency_limit=1, concurrency_id="index-writer")  # one writer at a time
    fetched = add_url.build(assistant, table)
    return LibraryTab(assistant, table, added, fetched.added)
