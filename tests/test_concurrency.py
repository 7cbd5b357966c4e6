"""Many users at once. The app runs chat and claim events side by side (PODRAG_CONCURRENCY), so what the handlers
share must be built once and never be seen half-made: the Assistant's parts, the Chroma connection, the embedder's
counts. Real threads, a real Chroma store, and real HTTP through the running app with a scripted LLM server."""

from __future__ import annotations

import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from rag.embedding import CachedEmbedder, EmbeddingCache
from rag.index.connection import ChromaConnection
from tests.conftest import make_assistant
from tests.openai_server import Reply


def _together(n: int, fn):
    """fn(i) in n threads released at the same moment; their results in order."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait(30)
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_assistant_parts_are_built_once_when_threads_ask_together(settings):
    from rag.assistant import Assistant

    a = Assistant(settings)
    got = _together(16, lambda _: (a.embedder, a.index, a.lexical, a.retriever, a.answerer))
    for part in range(5):
        assert len({id(g[part]) for g in got}) == 1, part


class SlowToConnect(ChromaConnection):
    """A real connection whose opening takes a moment, as a server's does: counts how often it is opened."""

    def __init__(self, *args):
        super().__init__(*args)
        self.opened = 0

    def _connect(self):
        self.opened += 1
        time.sleep(0.2)
        return super()._connect()


def test_threads_arriving_together_share_one_chroma_connection(settings):
    connection = SlowToConnect(settings, "test-model")
    got = _together(8, lambda _: connection.collection("chunks"))
    assert connection.opened == 1
    assert len({id(c) for c in got}) == 1


def test_a_reset_while_others_query_never_hands_out_a_missing_collection(settings, monkeypatch):
    """A lost server resets the connection while other requests are between "is it open?" and "give me the
    collection": they must get the old or a new collection, never a KeyError or None."""
    monkeypatch.setattr(sys, "getswitchinterval", sys.getswitchinterval)
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the window is a few bytecodes wide
    try:
        connection = ChromaConnection(settings, "test-model")
        connection.collection("chunks")
        stop = threading.Event()
        errors: list[BaseException] = []

        def reader():
            try:
                for _ in range(3000):
                    assert connection.collection("episodes") is not None
                    assert connection.collection("chunks") is not None
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        def resetter():
            while not stop.is_set():
                connection.reset()

        resetting = threading.Thread(target=resetter)
        resetting.start()
        readers = [threading.Thread(target=reader) for _ in range(4)]
        for t in readers:
            t.start()
        for t in readers:
            t.join()
        stop.set()
        resetting.join()
    finally:
        sys.setswitchinterval(0.005)
    assert errors == []


def test_ingest_counts_only_its_own_embeddings_while_a_chat_embeds(embedder, tmp_path, tiny_corpus):
    """Ingest's "N embedded" is its own texts', not whatever else the shared embedder did meanwhile."""
    shared = CachedEmbedder(embedder.inner, EmbeddingCache(tmp_path / "fresh-cache.sqlite"))  # nothing cached
    a = make_assistant(shared, index=tmp_path / "index")
    stop = threading.Event()
    asked = []

    def chat():  # another user's new questions, embedded through the same embedder all along
        while not stop.is_set():
            shared.embed([f"a question never asked before {uuid.uuid4()}"])
            asked.append(1)

    user = threading.Thread(target=chat)
    user.start()
    try:
        while not asked:
            time.sleep(0.01)
        report = a.ingest([tiny_corpus])
    finally:
        stop.set()
        user.join()
    assert report.ok and report.chunks == 3 and len(asked) > 1
    assert report.embedded == 3, report.summary_line()


# -- through the running app's HTTP API ---------------------------------------------------------------------------

QUESTIONS = ["How many GPUs does DeepSeek have?", "What does the paper say about H800 chips?",
             "How old is the sourdough starter?", "What saves memory at inference?",
             "Why do export controls matter?", "How long is the fermentation?"]


@pytest.fixture
def app_with_slow_llm(embedder, tmp_path, tiny_corpus, openai_server, monkeypatch):
    """The app over the tiny corpus, answering with a scripted LLM that takes 2 s per answer; yields (url, settings
    kwargs) and a function to start another app with other settings."""
    from tools.net import free_port
    from ui.app import launch

    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    openai_server.responder = lambda request: Reply("They say it in the first source [1].", delay=2.0)
    demos = []

    def start(**settings):
        a = make_assistant(embedder, index=tmp_path / "index", llm_base_url=openai_server.base_url,
                           llm_model="scripted-model", llm_rerank=False, **settings)
        if not a.episodes():
            assert a.ingest([tiny_corpus]).ok
        port = free_port()
        demos.append(launch(a, host="127.0.0.1", port=port, block=False))
        return f"http://127.0.0.1:{port}/"

    yield start
    for demo in demos:
        demo.close()


def _ask(url: str, question: str) -> tuple[str, float]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    t0 = time.perf_counter()
    messages, _ = client.predict(question, "", "", ["transcript", "summary"], api_name="/respond")
    return messages[-1]["content"][0]["text"], time.perf_counter() - t0


@pytest.mark.slow
def test_llm_answers_for_several_users_run_side_by_side(app_with_slow_llm):
    """Six users asking at once each wait about as long as one alone (one after another, the sixth would wait
    for all six answers: 12 s), and get the answer they would have got alone."""
    url = app_with_slow_llm()
    alone = {q: _ask(url, q) for q in QUESTIONS}
    single = statistics.median(seconds for _, seconds in alone.values())
    together = _together(len(QUESTIONS), lambda i: _ask(url, QUESTIONS[i]))
    assert [html for html, _ in together] == [alone[q][0] for q in QUESTIONS]
    assert all("cite-chip" in html for html, _ in together)
    slowest = max(seconds for _, seconds in together)
    assert slowest < 2.0 * single + 1.0, (slowest, single)


@pytest.mark.slow
def test_a_queued_user_is_told_their_place(app_with_slow_llm):
    """With room for one answer at a time, the others wait in Gradio's queue and are told their place."""
    from gradio_client import Client
    from gradio_client.utils import Status

    url = app_with_slow_llm(concurrency=1)
    clients = [Client(url, verbose=False) for _ in range(3)]
    jobs = []
    for client, q in zip(clients, QUESTIONS):
        jobs.append(client.submit(q, "", "", ["transcript", "summary"], api_name="/respond"))
        time.sleep(0.3)
    ranks = set()
    deadline = time.monotonic() + 20
    while not jobs[-1].done() and time.monotonic() < deadline:
        status = jobs[-1].status()
        if status.code == Status.IN_QUEUE and status.rank is not None:
            ranks.add(status.rank)
        time.sleep(0.05)
    assert ranks and max(ranks) >= 1, ranks  # 0-based: at least one user ahead of the last one
    for job in jobs:
        assert "cite-chip" in job.result(timeout=60)[0][-1]["content"][0]["text"]


@pytest.mark.browser
def test_the_chat_shows_a_queued_user_their_place(app_with_slow_llm, tmp_path):
    import re

    from tests.browser import chromium, screenshot

    url = app_with_slow_llm(concurrency=1)
    with chromium(tmp_path / "profile") as context:
        pages = [context.new_page() for _ in range(2)]
        for page in pages:
            page.goto(url)
            page.wait_for_selector("#question textarea")
        for page in pages:
            page.fill("#question textarea", "How many GPUs does DeepSeek have?")
            page.keyboard.press("Enter")
            time.sleep(0.3)
        place = pages[1].locator("#chat").get_by_text(re.compile(r"queue: \d+/\d+"))
        place.wait_for(state="visible", timeout=10_000)
        screenshot(pages[1], "chat-queued.png")
        pages[1].locator("#chat .cite-chip").first.wait_for(timeout=30_000)  # then it is answered
