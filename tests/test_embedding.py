import numpy as np

from rag.embedding import CachedEmbedder, EmbeddingCache


class CountingEmbedder:
    """Deterministic stand-in that counts what it is asked to embed (the real model is tested below)."""

    name = "counting"

    def __init__(self):
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen.extend(texts)
        vecs = np.array([[len(t), 1.0, t.count("a")] for t in texts], dtype=np.float32)
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def test_cache_embeds_each_text_once_across_instances(tmp_path):
    inner = CountingEmbedder()
    first = CachedEmbedder(inner, EmbeddingCache(tmp_path / "c.sqlite"), batch_size=2)
    a = first.embed(["alpha", "beta", "alpha", "gamma"])
    assert inner.seen == ["alpha", "beta", "gamma"]
    second = CachedEmbedder(inner, EmbeddingCache(tmp_path / "c.sqlite"))
    b = second.embed(["gamma", "alpha", "delta"])
    assert inner.seen[3:] == ["delta"]
    assert np.allclose(b[1], a[0]) and np.allclose(b[0], a[3])
    assert (second.hits, second.misses) == (2, 1)


def test_cache_is_per_model(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    one, two = CountingEmbedder(), CountingEmbedder()
    two.name = "other"
    CachedEmbedder(one, cache).embed(["x"])
    CachedEmbedder(two, cache).embed(["x"])
    assert one.seen == ["x"] and two.seen == ["x"]


def test_progress_counts_every_text(tmp_path):
    done = []
    emb = CachedEmbedder(CountingEmbedder(), EmbeddingCache(tmp_path / "c.sqlite"), batch_size=2)
    emb.embed(["a", "b"])
    emb.embed(["a", "b", "c", "d", "e"], progress=done.append)
    assert sum(done) == 5


def test_bundled_model_gives_unit_vectors_that_rank_sensibly(embedder):
    vecs = embedder.embed([
        "How many GPUs does DeepSeek have?",
        "We believe they have closer to 50,000 GPUs.",
        "My favourite food is a warm bowl of ramen.",
    ])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2


# -- OpenAI-compatible endpoint, against a real local HTTP server ---------------------------------------------------

import hashlib  # noqa: E402
import json  # noqa: E402
import threading  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

import pytest  # noqa: E402

from rag.embedding import OpenAIEmbedder, make_embedder  # noqa: E402
from rag.errors import EmbeddingUnavailableError  # noqa: E402


def fake_vector(text: str, dim: int = 16) -> list[float]:
    """What the test server returns: a deterministic, deliberately unnormalised function of the text."""
    digest = hashlib.sha256(text.encode()).digest()
    return [(b - 128) / 8.0 for b in digest[:dim]]


class EmbeddingsServer:
    """A real HTTP server speaking POST /v1/embeddings; `fail` queues error statuses to answer first."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail: list[int] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                if server.fail:
                    status = server.fail.pop(0)
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("retry-after-ms", "10")  # keep the test's backoff short
                    self.end_headers()
                    self.wfile.write(json.dumps({"error": {"message": f"simulated {status}"}}).encode())
                    return
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                # Out of order on purpose: clients must use `index`.
                data = [{"object": "embedding", "index": i, "embedding": fake_vector(t)} for i, t in enumerate(texts)]
                payload = {"object": "list", "data": data[::-1], "model": body["model"],
                           "usage": {"prompt_tokens": 1, "total_tokens": 1}}
                raw = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def embeddings_server():
    server = EmbeddingsServer()
    yield server
    server.close()


def test_openai_embedder_batches_orders_and_normalises(embeddings_server):
    emb = OpenAIEmbedder(embeddings_server.url, "test-model", api_key="sk-test", batch_size=3)
    texts = [f"text number {i}" for i in range(7)]
    vecs = emb.embed(texts)
    assert [len(r["input"]) for r in embeddings_server.requests] == [3, 3, 1]
    assert all(r["path"] == "/v1/embeddings" and r["model"] == "test-model" for r in embeddings_server.requests)
    assert embeddings_server.requests[0]["auth"] == "Bearer sk-test"
    expected = np.array([fake_vector(t) for t in texts], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vecs, expected, atol=1e-6)


def test_openai_embedder_retries_rate_limits_and_server_errors(embeddings_server):
    embeddings_server.fail = [429, 503, 500]
    vecs = OpenAIEmbedder(embeddings_server.url, "m", max_retries=4).embed(["a", "b"])
    assert vecs.shape == (2, 16) and len(embeddings_server.requests) == 4


def test_openai_embedder_gives_up_with_one_clear_line(embeddings_server):
    embeddings_server.fail = [503] * 3
    with pytest.raises(EmbeddingUnavailableError) as err:
        OpenAIEmbedder(embeddings_server.url, "m", max_retries=2).embed(["a"])
    message = str(err.value)
    assert "\n" not in message and embeddings_server.url in message and "HTTP 503" in message
    assert "gave up after 2 retries" in message and len(embeddings_server.requests) == 3
    embeddings_server.fail = [400]
    with pytest.raises(EmbeddingUnavailableError, match="HTTP 400 for model 'm': simulated 400"):
        OpenAIEmbedder(embeddings_server.url, "m").embed(["a"])


def test_openai_embedder_names_an_unreachable_endpoint(embeddings_server):
    url = embeddings_server.url
    embeddings_server.close()
    with pytest.raises(EmbeddingUnavailableError, match="did not answer") as err:
        OpenAIEmbedder(url, "m", max_retries=1, timeout=2).embed(["a"])
    assert url in str(err.value)


def test_endpoint_is_used_when_configured_and_cached_across_indexes(embeddings_server, tmp_path):
    """Ingest and search through PODRAG_EMBED_BASE_URL; a second index embeds nothing new (same cache)."""
    from rag.assistant import Assistant
    from rag.settings import Settings
    from tests.conftest import write_tiny_corpus

    corpus = write_tiny_corpus(tmp_path / "corpus")
    first = Assistant(Settings(index=tmp_path / "one", cache=tmp_path / "cache", _env_file=None,
                               embed_base_url=embeddings_server.url, embed_model="fake-embedder",
                               embed_remote_batch=2))
    assert isinstance(first.embedder.inner, OpenAIEmbedder) and first.embedder.name == "fake-embedder"
    report = first.ingest([corpus])
    assert report.ok and report.embedded == report.chunks > 0
    assert max(len(r["input"]) for r in embeddings_server.requests) <= 2
    asked = len(embeddings_server.requests)
    hits = first.search("sourdough bread starter", k=3, mode="dense")
    assert len(hits) == 3 and len(embeddings_server.requests) == asked + 1  # the query, once

    second = Assistant(Settings(index=tmp_path / "two", cache=tmp_path / "cache", _env_file=None,
                                embed_base_url=embeddings_server.url, embed_model="fake-embedder"))
    again = second.ingest([corpus])
    assert again.ok and again.embedded == 0 and len(embeddings_server.requests) == asked + 1


def test_default_remote_model_name_is_the_bundled_models_name(tmp_path):
    from rag.settings import Settings

    emb = make_embedder(Settings(cache=tmp_path, embed_base_url="http://127.0.0.1:9/v1", _env_file=None))
    assert emb.name == "sentence-transformers/all-MiniLM-L6-v2" == make_embedder(
        Settings(cache=tmp_path, _env_file=None)).name
