"""The Library tab: what is indexed, and a form to add an episode from its files (checked and saved by
rag.uploads, indexed by Assistant.ingest with a progress bar)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
from gradio.events import Dependency

from rag.assistant import Assistant
from rag.errors import PodragError
from rag.uploads import ALLOWED_SUFFIXES, EpisodeForm, stage_upload
from ui import add_url, render

_FORM_FIELDS = ("id", "title", "podcast", "number", "host", "guests", "published", "video_url", "audio_url")


@dataclass
class LibraryTab:
    table: gr.HTML
    added: Dependency  # the upload event: chain `.then(...)` to refresh what depends on the episode list
    fetched: Dependency | None = None  # the same for "Add from a URL" (ui/add_url.py)


def build(assistant: Assistant) -> LibraryTab:
    """Lay out the Library tab (call inside a gr.Tab) and wire the upload."""
    settings = assistant.settings
    table = gr.HTML(render.library_html(assistant.episodes()), elem_id="library", js_on_load=None)
    gr.Markdown("### Add an episode")
    max_mb = settings.upload_max_mb
    gr.Markdown(
        f"A transcript ({', '.join(ALLOWED_SUFFIXES['transcript'])}) and/or a summary (.txt, .md), optional "
        f"Podcasting 2.0 chapters (.json); up to {max_mb:g} MB each."
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

    def add_episode(transcript_, summary_, chapters_, *values, progress=gr.Progress()):
        form = EpisodeForm(**{name: (v or "") for name, v in zip(_FORM_FIELDS, values)})
        files = {"transcript": transcript_, "summary": summary_, "chapters": chapters_}
        try:
            staged = stage_upload(settings.uploads_dir(), form, files, int(max_mb * 1_000_000),
                                  assistant.index.records())
        except PodragError as exc:
            return render.status_html(f"Not added: {exc}", ok=False), *[gr.skip()] * 4

        def tick(done: int, total: int, label: str) -> None:
            progress((done, total or None), desc=f"Indexing {label}", unit="chunks")

        progress(0, desc="Reading the files")
        try:
            report = assistant.ingest([staged.folder], tick)
        except PodragError as exc:
            staged.rollback()
            return render.status_html(f"Not added: {exc}", ok=False), *[gr.skip()] * 4
        except BaseException:
            staged.rollback()
            raise
        if not report.ok:
            staged.rollback()
            return render.status_html(f"Not added: {report.failed[0]}", ok=False), *[gr.skip()] * 4
        staged.commit()
        message = f"Added {staged.episode_id}: {report.summary_line()}"  # the files are cleared for the next one
        return render.status_html(message), render.library_html(assistant.episodes()), None, None, None

    uploads = [transcript, summary, chapters]
    added = add.click(add_episode, [*uploads, *fields.values()], [status, table, *uploads], show_progress="full",
                      concurrency_limit=1, concurrency_id="index-writer")  # one writer at a time
    fetched = add_url.build(assistant, table)
    return LibraryTab(table, added, fetched.added)
