"""Several processes on one index: the running app (a real `podcast-rag serve` process) and a long-lived reader
process keep answering while a third process (`podcast-rag ingest`) commits a new episode into the same index, on
the embedded store and on a Chroma server. A reader sees the new episode whole or not at all, and never fails
because of it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.caches import TEST_CACHE
from tests.conftest import make_assistant, write_episode
from tools.net import free_port, wait_for_http

pytestmark = pytest.mark.slow

BEES = [
    ("00:00:00.000", "00:00:09.000", "Lex Fridman", "Let us talk about beekeeping in the Alps."),
    ("00:00:09.000", "00:00:20.000", "Maria Huber", "Our hives make a dark forest honey from fir trees."),
]
KINDS = ["transcript", "summary"]

# A reader that stays up, as the app does: one JSON question per line in, one JSON line out.
READER = """
import json, sys
from rag.assistant import Assistant
from rag.models import Filters

a = Assistant()
for line in sys.stdin:
    q = json.loads(line)
    try:
        filters = Filters(episode_ids=tuple(q["episodes"])) if q.get("episodes") else None
        hits = a.search(q["query"], 3, filters)
        out = {"episodes": [p.chunk.episode_id for p in hits], "texts": [p.chunk.text for p in hits]}
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out), flush=True)
"""


class Reader:
    def __init__(self, env: dict, cwd: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", READER], env=env, cwd=cwd, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def search(self, query: str, episodes: tuple[str, ...] = ()) -> dict:
        self.proc.stdin.write(json.dumps({"query": query, "episodes": list(episodes)}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the reader process exited ({self.proc.poll()})"
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


@contextmanager
def serving(env: dict, cwd: Path):
    """`podcast-rag serve` on a free port; yields a gradio_client for it."""
    from gradio_client import Client

    port = free_port()
    log = (cwd / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], env=env, cwd=cwd,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, timeout=180, alive=lambda: proc.poll() is None)
        yield Client(url, verbose=False)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def ask(client, question: str) -> str:
    """The app's answer (HTML) to a question over all episodes."""
    messages, _ = client.predict(question, "", "", KINDS, api_name="/respond")
    return messages[-1]["content"][0]["text"]


def store_env(request, tmp_path: Path, store: str) -> dict:
    env = {**os.environ, "PODRAG_INDEX": str(tmp_path / "index"), "PODRAG_CACHE": str(TEST_CACHE),
           "GRADIO_ANALYTICS_ENABLED": "False"}
    if store == "server":
        server = request.getfixturevalue("chroma_server")
        env |= {"PODRAG_CHROMA_URL": server.url, "PODRAG_COLLECTION": f"live{os.getpid()}{id(tmp_path) % 10**6}"}
    return env


@pytest.mark.parametrize("store", ["embedded", pytest.param("server", marks=pytest.mark.server)])
def test_the_running_app_and_a_reader_see_an_episode_another_process_ingests(request, tmp_path, tiny_corpus,
                                                                             embedder, store):
    env = store_env(request, tmp_path, store)
    run = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "-q", str(tiny_corpus)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    new = write_episode(tmp_path / "more" / "tiny-600", BEES, meta={"id": "tiny-600", "title": "Bees"})
    reader = Reader(env, tmp_path)
    try:
        with serving(env, tmp_path) as app:
            # Both readers have searched the store (and loaded its vectors) before the new episode arrives.
            assert "50,000" in ask(app, "How many GPUs does DeepSeek have?")
            assert reader.search("sourdough starter", ("tiny-500",))["episodes"][0] == "tiny-500"

            answers: list[str] = []
            stop = threading.Event()

            def keep_asking():  # questions while the other process ingests: none may fail
                while not stop.is_set():
                    answers.append(ask(app, "What kind of honey do the hives make?"))

            asker = threading.Thread(target=keep_asking)
            asker.start()
            try:
                run = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "-q", str(new)], env=env,
                                     cwd=tmp_path, capture_output=True, text=True, timeout=300)
            finally:
                stop.set()
                asker.join(120)
            assert run.returncode == 0, run.stderr
            assert answers and all(a.startswith('<div class="answer') for a in answers), answers[-1]

            # All episodes, and the new episode alone: found, whole.
            assert "forest honey" in ask(app, "What kind of honey do the hives make?")
            for episodes in ((), ("tiny-600",)):
                got = reader.search("dark forest honey from fir trees", episodes)
                assert "error" not in got, got
                assert got["episodes"][0] == "tiny-600" and "forest honey" in got["texts"][0]
            assert reader.search("sourdough starter", ("tiny-500",))["episodes"][0] == "tiny-500"
    finally:
        reader.close()
        if store == "server":  # the processes' BM25 copies sit beside the shared test embeddings
            served = make_assistant(embedder, chroma_url=env["PODRAG_CHROMA_URL"],
                                    collection=env["PODRAG_COLLECTION"])
            shutil.rmtree(served.lexical.folder, ignore_errors=True)
