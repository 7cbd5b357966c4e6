"""The Library tab's "Add from a URL": a transcript page, a podcast feed, a video or an audio file, fetched and
indexed by rag.fetch with a progress bar.

Unlike the command line, the app fetches for whoever can reach the page: URLs only (no paths on the server), and
never an address on the server's own network (rag.fetch.guard; PODRAG_FETCH_ALLOW_PRIVATE lifts that)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr
from gradio.events import Dependency

from rag.assistant import Assistant
from rag.errors import PodragError
from rag.fetch import Adder, AddOptions
from ui import render

MAX_LATEST = 20  # feed items one click may add


@dataclass
class AddFromUrl:
    added: Dependency  # the fetch event: chain `.then(...)` to refresh what depends on the episode list


def add_from_url(assistant: Assistant, url: str | None, latest: float | None = 1,
                 progress: Callable[[int, int, str], None] | None = None) -> tuple[str, bool]:
    """Fetch and index what `url` points to: (status HTML, whether an episode was added or updated)."""
    url = (url or "").strip()
    if not url:
        return render.status_html("Not added: paste the URL of a transcript page, a podcast feed, a video or an "
                                  "audio file", ok=False), False
    count = max(1, min(MAX_LATEST, int(latest or 1)))
    try:
        with Adder(assistant, guarded=True, progress=progress) as adder:
            report = adder.add([url], AddOptions(latest=count))
    except PodragError as exc:
        return render.status_html(f"Not added: {exc}", ok=False), False
    lines = [(f"{a.status.capitalize()}: {a.episode_id}" + (f" — {a.title}" if a.title else "")
              + (f" ({'; '.join(a.notes)})" if a.notes else ""), True) for a in report.added]
    lines += [(f"Not added: {line}", False) for line in report.failed] + [(n, True) for n in report.notes]
    changed = any(a.status != "unchanged" for a in report.added)
    return "".join(render.status_html(text, ok) for text, ok in lines or [("Nothing to add", False)]), changed


def build(assistant: Assistant, table: gr.HTML) -> AddFromUrl:
    """Lay out the form (call inside the Library tab); a fetch that adds an episode refreshes `table`."""
    gr.Markdown("### Add from a URL")
    gr.Markdown("A transcript page (lexfridman.com), a podcast RSS feed with Podcasting 2.0 transcripts (its newest "
                "items), a video (YouTube and other sites: its captions), or an audio file (transcribed when the "
                "audio extra is installed). What was fetched is kept with where it came from.")
    with gr.Row():
        url = gr.Textbox(label="URL", placeholder="https://…", elem_id="add-url", scale=4, max_lines=1)
        latest = gr.Number(label="Feed: newest items", value=1, minimum=1, maximum=MAX_LATEST, precision=0,
                           elem_id="add-url-latest", scale=1)
    button = gr.Button("Fetch and add", elem_id="add-url-button")
    status = gr.HTML("", elem_id="add-url-status", js_on_load=None)

    def fetch(url_: str, latest_: float, progress=gr.Progress()):  # noqa: B008 (how Gradio hands a progress bar)
        def tick(done: int, total: int, label: str) -> None:
            progress((done, total or None), desc=label)

        progress(0, desc="Fetching")
        html, changed = add_from_url(assistant, url_, latest_, tick)
        return html, (render.library_html(assistant.episodes()) if changed else gr.skip())

    added = button.click(fetch, [url, latest], [status, table], show_progress="full",
                         concurrency_limit=1, concurrency_id="index-writer")  # one writer at a time, as uploads
    return AddFromUrl(added)
