"""The web app: a Gradio Blocks page with the Chat, Check a claim, Verify summary, Library and Evaluate tabs.

The page is built with nothing from the index in it: with --auth, Gradio serves the built page's component info
(dropdown choices among it) to visitors who have not logged in. Each tab fills in its episodes, speakers and
tables when a (logged-in) page loads, so a reload also shows what another session or the CLI has added since.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

# No usage statistics leave the machine (the app is offline by default).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from rag.assistant import Assistant
from ui import access, chat_tab, claims_tab, eval_tab, library_tab, render

_CSS_FILE = os.path.join(os.path.dirname(__file__), "app.css")


def _warm_up(assistant: Assistant) -> None:
    try:
        assistant.embedder.inner.embed(["warm up"])
        assistant.lexical.sync()
    except Exception as exc:  # noqa: BLE001  (the first question reports the same problem to the user)
        logging.getLogger(__name__).warning("warming up failed: %s", exc)


def theme() -> gr.themes.Base:
    # System fonts: the default theme fetches Google Fonts, which an offline machine cannot reach.
    return gr.themes.Soft(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def build(assistant: Assistant) -> gr.Blocks:
    """The page, wired to `assistant`. Each tab's `build` returns what it refreshes: `refresh(*inputs)` giving
    new values for `outputs`."""
    with gr.Blocks(title="podcast-rag") as demo:
        with gr.Row(elem_id="header"):
            gr.HTML('<div class="app-title">podcast-rag</div>', js_on_load=None)
            # What answers (not about the index): shown at once, and again on load in case the LLM changed.
            mode = gr.HTML(render.mode_html(assistant.mode_label()), elem_id="mode", js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat = chat_tab.build(assistant)
            claims = claims_tab.build(assistant)  # opens its own two tabs
            with gr.Tab("Library", id="library"):
                library = library_tab.build(assistant)
            evaluate = eval_tab.build(assistant)
        for tab in (chat, claims, library, evaluate):
            demo.load(tab.refresh, tab.inputs, tab.outputs)
        for tab in (chat, claims):  # episode choices follow the library
            library.added.then(tab.refresh, tab.inputs, tab.outputs)
            if library.fetched is not None:
                library.fetched.then(tab.refresh, tab.inputs, tab.outputs)
        demo.load(lambda: render.mode_html(assistant.mode_label()), None, mode)
    return demo


def launch(assistant: Assistant, host: str | None = None, port: int | None = None, auth: str | None = None,
           *, insecure: bool = False, block: bool = True) -> gr.Blocks:
    """Serve the app. Defaults come from Settings (PODRAG_HOST, PODRAG_PORT, PODRAG_AUTH).

    A non-loopback `host` needs `auth` ('user:password'); without it the app refuses to start unless `insecure`
    (see ui/access.py). With `block=False` it returns once the server is up (tests).
    """
    settings = assistant.settings
    host = host or settings.host
    port = port or settings.port
    credentials = access.parse_auth(auth if auth is not None else
                                    (settings.auth.get_secret_value() if settings.auth else None))
    warning = access.exposure_warning(host, credentials, insecure)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    access.check_port_free(host, port)
    demo = build(assistant)
    # Chat, claim and search events run side by side up to PODRAG_CONCURRENCY; the Library's upload and the
    # Evaluate run set their own limit of 1 (one writer). Gradio shows a queued user their place.
    demo.queue(default_concurrency_limit=settings.concurrency)
    with open(_CSS_FILE, encoding="utf-8") as f:
        css = f.read()
    demo.launch(
        server_name=host,
        server_port=port,
        auth=credentials,
        share=False,
        ssr_mode=False,
        max_file_size=settings.upload_max_bytes(),
        theme=theme(),
        css=css,
        prevent_thread_lock=True,
        quiet=True,  # Gradio's banner suggests share=True, which this app never uses
        footer_links=[],
        max_threads=max(40, settings.concurrency + 8),  # sync handlers run in this pool: never the bottleneck
        run_history=False,  # questions are not kept in the browser either
    )
    # Load the embedding model and open the index once the server answers (started beside the page's build, they
    # slowed it by ~0.2 s: one interpreter lock), so the first question whose embedding is not cached does not
    # wait for them either.
    threading.Thread(target=_warm_up, args=(assistant,), name="warm-up", daemon=True).start()
    if block:
        print(f"podcast-rag is serving on {demo.local_url} (answers: {assistant.mode_label()}); Ctrl-C stops it.",
              file=sys.stderr, flush=True)
        demo.block_thread()
    return demo
