"""Server mode: the app against a real `chroma run` server behaves as with the embedded store, shares one index
between processes, survives the server going away, and never sends an embedding-function configuration."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from rag.errors import IndexUnavailableError
from tests.caches import TEST_CACHE
from tests.conftest import TINY_459, ingest_paused, make_assistant, write_episode

pytestmark = [pytest.mark.server, pytest.mark.slow]

QUERIES = ["How many GPUs does DeepSeek have?", "sourdough fermentation in the fridge", "export controls on chips"]


def collection() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def on_server(embedder, server, tmp_path, name=None, **extra):
    # `cache` only places this process's BM25 copy: the embedder (and its cache) is the session's.
    extra.setdefault("cache", tmp_path / "app-cache")
    return make_assistant(embedder, index=tmp_path / "unused-index", chroma_url=server.url,
                          collection=name or collection(), **extra)


def answer_view(answer):
    return answer.answer, [(c.n, c.passage.chunk.id, c.start) for c in answer.citations]


def test_server_mode_gives_the_same_results_as_the_embedded_store(embedder, chroma_server, tmp_path, tiny_corpus):
    embedded = make_assistant(embedder, index=tmp_path / "index")
    served = on_server(embedder, chroma_server, tmp_path)
    for a in (embedded, served):
        assert a.ingest([tiny_corpus]).new == ["tiny-459", "tiny-500"]
    assert not (tmp_path / "unused-index").exists()  # nothing embedded-store-like was written locally
    for q in QUERIES:
        for mode in ("hybrid", "dense", "bm25"):
            got, want = served.search(q, k=5, mode=mode), embedded.search(q, k=5, mode=mode)
            assert [p.chunk.id for p in got] == [p.chunk.id for p in want]
            # Vectors cross HTTP as JSON floats: scores agree to float32 precision.
            assert [p.score for p in got] == pytest.approx([p.score for p in want], abs=1e-5)
        assert answer_view(served.ask(q)) == answer_view(embedded.ask(q))
    assert [r.id for r in served.episodes()] == [r.id for r in embedded.episodes()]
    assert served.remove(["tiny-500"]) == ["tiny-500"]
    assert [r.id for r in served.episodes()] == ["tiny-459"]
    assert served.index.verify().clean


def test_a_second_process_sees_the_first_ones_ingest_and_its_bm25_catches_up(embedder, chroma_server, tmp_path,
                                                                               tiny_corpus):
    name = collection()
    app = on_server(embedder, chroma_server, tmp_path, name)  # with its own BM25 copy
    assert app.ingest([tiny_corpus]).ok
    assert app.search("bakery in Lisbon", k=1, mode="bm25")[0].chunk.episode_id == "tiny-500"

    # Another process (the CLI, as a colleague would run it) ingests a new episode into the same server.
    new = write_episode(tmp_path / "more" / "tiny-600", [
        ("00:00:00.000", "00:00:09.000", "Lex Fridman", "Let us talk about beekeeping in the Alps."),
        ("00:00:09.000", "00:00:20.000", "Maria Huber", "Our hives make a dark forest honey from fir trees."),
    ], meta={"id": "tiny-600", "title": "Bees"})
    env = {**os.environ, "PODRAG_CHROMA_URL": chroma_server.url, "PODRAG_COLLECTION": name,
           "PODRAG_CACHE": str(TEST_CACHE)}
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "-q", str(new)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    # That process kept its BM25 copy beside the shared test embeddings: not needed after this test.
    shutil.rmtree(make_assistant(embedder, chroma_url=chroma_server.url, collection=name).lexical.folder,
                  ignore_errors=True)
    assert proc.returncode == 0, proc.stderr

    assert [r.id for r in app.episodes()] == ["tiny-459", "tiny-500", "tiny-600"]
    assert app.search("forest honey from fir trees", k=1, mode="dense")[0].chunk.episode_id == "tiny-600"
    app.search("forest honey", k=1, mode="bm25")  # may answer from the old BM25 copy while it catches up
    app.lexical.wait(60)
    assert app.search("forest honey", k=1, mode="bm25")[0].chunk.episode_id == "tiny-600"
    assert app.ask("What kind of honey do the hives make?").citations[0].passage.chunk.episode_id == "tiny-600"


def test_server_down_is_a_clear_error_and_the_same_assistant_recovers(embedder, own_chroma_server, tmp_path,
                                                                      tiny_corpus):
    app = on_server(embedder, own_chroma_server, tmp_path, chroma_timeout=2)
    assert app.ingest([tiny_corpus]).ok
    before = [p.chunk.id for p in app.search(QUERIES[0], k=3)]

    os.killpg(own_chroma_server.proc.pid, signal.SIGSTOP)  # hung, not gone: the timeout must end the wait
    try:
        started = time.monotonic()
        with pytest.raises(IndexUnavailableError, match="did not answer"):
            app.search(QUERIES[0], k=3)
        assert time.monotonic() - started < 15
    finally:
        os.killpg(own_chroma_server.proc.pid, signal.SIGCONT)
    assert [p.chunk.id for p in app.search(QUERIES[0], k=3)] == before

    own_chroma_server.kill()
    for call in (lambda: app.search(QUERIES[0], k=3), lambda: app.ask(QUERIES[1]), app.episodes):
        with pytest.raises(IndexUnavailableError) as err:
            call()
        message = str(err.value)
        assert own_chroma_server.url in message and "\n" not in message
        assert "did not answer" in message or "cannot open" in message

    own_chroma_server.start()  # the same data folder and port, as after a restart
    assert [p.chunk.id for p in app.search(QUERIES[0], k=3)] == before
    assert app.ask(QUERIES[1]).citations


def test_an_ingest_in_progress_elsewhere_keeps_its_chunks(embedder, chroma_server, tmp_path, tiny_corpus):
    """On a server, an unlisted chunk may be another process's ingest between writing chunks and committing."""
    name = collection()
    writer = on_server(embedder, chroma_server, tmp_path, name)
    other = on_server(embedder, chroma_server, tmp_path, name)
    assert other.ingest([tiny_corpus]).ok
    pending = write_episode(tmp_path / "pending" / "tiny-459", TINY_459 + [
        ("00:02:00.000", "00:02:09.000", "Lex Fridman", "Thank you both for coming on the show.")])
    from rag.chunking import chunk_episode, embedding_text
    from rag.sources import discover, load_episode

    chunks = chunk_episode(load_episode(discover([pending])[0][0]), writer.chunking)
    fresh = [c for c in chunks if c.id not in writer.index.live_ids]
    writer.index.add_chunks(fresh, embedder.embed([embedding_text(c) for c in fresh]))

    assert other.ingest([tiny_corpus]).orphans_removed == 0  # too recent to be garbage
    assert writer.index.existing_ids([c.id for c in fresh]) == {c.id for c in fresh}
    check = other.index.verify()
    assert check.ok and check.orphans == len(fresh)
    assert other.index.collect_garbage(grace=0) == len(fresh) and other.index.verify().clean


class AuthProxy:
    """A bearer-token proxy in front of the server, as a deployment needs; it records every request body."""

    def __init__(self, upstream: str, token: str):
        self.bodies: list[tuple[str, str, dict | None]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Authorization") != f"Bearer {token}":
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": "Unauthorized", "message": "missing or wrong token"}')
                    return
                proxy.bodies.append((self.command, self.path, json.loads(raw) if raw else None))
                up = httpx.request(self.command, upstream + self.path, content=raw,
                                   headers={"Content-Type": "application/json"}, timeout=30)
                self.send_response(up.status_code)
                self.send_header("Content-Type", up.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(up.content)))
                self.end_headers()
                self.wfile.write(up.content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_token_reaches_the_proxy_and_no_embedding_function_config_is_ever_sent(embedder, chroma_server, tmp_path,
                                                                               tiny_corpus):
    proxy = AuthProxy(chroma_server.url, "s3cret")
    try:
        denied = on_server(embedder, proxy, tmp_path)
        with pytest.raises(IndexUnavailableError, match="cannot open the Chroma index"):
            denied.episodes()

        app = on_server(embedder, proxy, tmp_path, chroma_token="s3cret")
        assert app.ingest([tiny_corpus]).ok and app.search(QUERIES[0], k=3) and app.ask(QUERIES[0]).citations
        created = [b for method, path, b in proxy.bodies if method == "POST" and path.endswith("/collections")]
        assert len(created) == 2
        for body in created:
            config = body.get("configuration") or {}
            # {"type": "legacy"} is chromadb's marker for "no embedding function"; nothing the server could build.
            assert config.get("embedding_function") in (None, {"type": "legacy"}), config
        sent = json.dumps([b for _, _, b in proxy.bodies])
        assert '"known"' not in sent and "embedding_function\": {\"name" not in sent
    finally:
        proxy.close()


def _versions_of_459(tmp_path):
    """tiny-459 again: v2 keeps the summary (its chunk is reused) and adds a cue; v3 changes everything."""
    summary = "Tiny summary\n1. Compute\nDylan says DeepSeek has about 50,000 GPUs. ([0:15])\n"
    v2 = write_episode(tmp_path / "v2" / "tiny-459", TINY_459 + [
        ("00:02:00.000", "00:02:09.000", "Lex Fridman", "Thank you both for coming on the show.")],
        meta={"id": "tiny-459"}, summary=summary)
    v3 = write_episode(tmp_path / "v3" / "tiny-459", [
        ("00:00:00.000", "00:00:09.000", "Lex Fridman", "Today we talk about lighthouses and their keepers.")],
        meta={"id": "tiny-459"}, summary="Tiny summary\n1. Lights\nLighthouses guide ships. ([0:05])\n")
    return v2, v3


def test_two_processes_reingesting_one_episode_at_once_leave_it_complete(embedder, chroma_server, tmp_path,
                                                                          tiny_corpus):
    """The second re-ingest found the summary chunk stored; the first one's commit, in between, must not delete it."""
    name = collection()
    first = on_server(embedder, chroma_server, tmp_path, name)
    second = on_server(embedder, chroma_server, tmp_path, name)
    assert first.ingest([tiny_corpus]).ok
    v2, v3 = _versions_of_459(tmp_path)
    with ingest_paused(second, [v2]):  # held right after it looked up which chunks are stored
        assert first.ingest([v3]).updated == ["tiny-459"]  # commits, and drops v1's chunks
    record = second.index.records()["tiny-459"]
    assert record.files[0].startswith(str(tmp_path / "v2"))  # the second commit is the visible one
    check = second.index.verify()
    assert check.ok, check.lines()
    assert "50,000" in second.search("How many GPUs does DeepSeek have?", k=1, mode="bm25")[0].chunk.text


def test_a_chunk_deleted_right_after_its_commit_is_written_again(embedder, chroma_server, tmp_path, tiny_corpus):
    """The race a claim leaves: another process deletes a reused chunk just before this one's commit lands."""
    name = collection()
    first = on_server(embedder, chroma_server, tmp_path, name)
    other = on_server(embedder, chroma_server, tmp_path, name)
    assert first.ingest([tiny_corpus]).ok
    v2, _ = _versions_of_459(tmp_path)
    commit = first.index.commit_episode
    summary_chunk = next(cid for cid in first.index.records()["tiny-459"].chunk_ids
                         if first.index.get_chunks([cid])[cid][0].source_type == "summary")

    def commit_then_lose_one(record):
        stale = commit(record)
        other.index.delete_chunks([summary_chunk])
        return stale

    first.index.commit_episode = commit_then_lose_one
    assert first.ingest([v2]).updated == ["tiny-459"]
    assert summary_chunk in first.index.records()["tiny-459"].chunk_ids
    assert first.index.verify().ok
