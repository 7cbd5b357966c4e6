import numpy as np
import pytest

from rag.embedding import CachedEmbedder, EmbeddingCache, OpenAIEmbedder, make_embedder
from rag.errors import EmbeddingUnavailableError
from tests.openai_server import Reply, fake_vector


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
    assert sorted(inner.seen) == ["alpha", "beta", "gamma"]
    second = CachedEmbedder(inner, EmbeddingCache(tmp_path / "c.sqlite"))
    b = second.embed(["gamma", "alpha", "delta"])
    assert inner.seen[3:] == ["delta"]
    assert np.allclose(b[1], a[0]) and np.allclose(b[0], a[3])
    assert (second.hits, second.misses) == (2, 1)


def test_texts_to_embed_are_batched_by_length(tmp_path):
    batches = []

    class Recording(CountingEmbedder):
        def embed(self, texts):
            batches.append(list(texts))
            return super().embed(texts)

    emb = CachedEmbedder(Recording(), EmbeddingCache(tmp_path / "c.sqlite"), batch_size=2)
    texts = ["a much longer sentence", "short", "a middling one", "tiny", "the longest sentence of them all"]
    vectors = emb.embed(texts)
    assert batches == [["tiny", "short"], ["a middling one", "a much longer sentence"],
                       ["the longest sentence of them all"]]
    assert np.allclose(vectors, CountingEmbedder().embed(texts))  # each vector still in its text's place


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


@pytest.mark.slow  # judges meaning: the real model
def test_bundled_model_gives_unit_vectors_that_rank_sensibly(embedder):
    vecs = embedder.embed([
        "How many GPUs does DeepSeek have?",
        "We believe they have closer to 50,000 GPUs.",
        "My favourite food is a warm bowl of ramen.",
    ])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2


# -- OpenAI-compatible endpoint, against a real local HTTP server (tests/openai_server.py) ------------------------


def unit(texts):
    expected = np.array([fake_vector(t) for t in texts], dtype=np.float32)
    return expected / np.linalg.norm(expected, axis=1, keepdims=True)


def test_openai_embedder_batches_orders_and_normalises(openai_server):
    emb = OpenAIEmbedder(openai_server.base_url, "test-model", api_key="sk-test", batch_size=3)
    texts = [f"text number {i}" for i in range(7)]
    vecs = emb.embed(texts)
    sent = openai_server.embedding_requests
    assert [len(r.json["input"]) for r in sent] == [3, 3, 1]
    assert all(r.path == "/v1/embeddings" and r.json["model"] == "test-model" for r in sent)
    assert {k.lower(): v for k, v in sent[0].headers.items()}["authorization"] == "Bearer sk-test"
    assert np.allclose(vecs, unit(texts), atol=1e-6)


def test_openai_embedder_retries_rate_limits_and_server_errors(openai_server):
    openai_server.fail_embeddings(Reply.error(429, retry_after=0.01), Reply.error(503, retry_after=0.01),
                                  Reply.error(500, retry_after=0.01))
    vecs = OpenAIEmbedder(openai_server.base_url, "m", max_retries=4).embed(["a", "b"])
    assert np.allclose(vecs, unit(["a", "b"])) and len(openai_server.embedding_requests) == 4


def test_openai_embedder_gives_up_with_one_clear_line(openai_server):
    openai_server.fail_embeddings(*[Reply.error(503, "overloaded", retry_after=0.01)] * 3)
    with pytest.raises(EmbeddingUnavailableError) as err:
        OpenAIEmbedder(openai_server.base_url, "m", max_retries=2).embed(["a"])
    message = str(err.value)
    assert "\n" not in message and openai_server.base_url in message and "HTTP 503" in message
    assert "gave up after 2 retries" in message and len(openai_server.embedding_requests) == 3
    openai_server.fail_embeddings(Reply.error(400, "input too long"))
    with pytest.raises(EmbeddingUnavailableError, match="HTTP 400 for model 'm': input too long"):
        OpenAIEmbedder(openai_server.base_url, "m").embed(["a"])


def test_openai_embedder_names_an_unreachable_endpoint(openai_server):
    url = openai_server.base_url
    openai_server.stop()
    with pytest.raises(EmbeddingUnavailableError, match="did not answer") as err:
        OpenAIEmbedder(url, "m", max_retries=1, timeout=2).embed(["a"])
    assert url in str(err.value)


def test_endpoint_is_used_when_configured_and_cached_across_indexes(openai_server, tmp_path):
    """Ingest and search through PODRAG_EMBED_BASE_URL; a second index embeds nothing new (same cache)."""
    from rag.assistant import Assistant
    from rag.settings import Settings
    from tests.conftest import write_tiny_corpus

    corpus = write_tiny_corpus(tmp_path / "corpus")
    first = Assistant(Settings(index=tmp_path / "one", cache=tmp_path / "cache", _env_file=None,
                               embed_base_url=openai_server.base_url, embed_model="fake-embedder",
                               embed_remote_batch=2, rerank=False))  # rerank would embed sentences too
    assert isinstance(first.embedder.inner, OpenAIEmbedder) and first.embedder.name == "fake-embedder"
    report = first.ingest([corpus])
    assert report.ok and report.embedded == report.chunks > 0
    assert max(len(r.json["input"]) for r in openai_server.embedding_requests) <= 2
    asked = len(openai_server.embedding_requests)
    hits = first.search("sourdough bread starter", k=3, mode="dense")
    assert len(hits) == 3 and len(openai_server.embedding_requests) == asked + 1  # the query, once

    second = Assistant(Settings(index=tmp_path / "two", cache=tmp_path / "cache", _env_file=None,
                                embed_base_url=openai_server.base_url, embed_model="fake-embedder", rerank=False))
    again = second.ingest([corpus])
    assert again.ok and again.embedded == 0 and len(openai_server.embedding_requests) == asked + 1


def test_default_remote_model_name_is_the_bundled_models_name(tmp_path):
    from rag.settings import Settings

    emb = make_embedder(Settings(cache=tmp_path, embed_base_url="http://127.0.0.1:9/v1", _env_file=None))
    assert emb.name == "sentence-transformers/all-MiniLM-L6-v2" == make_embedder(
        Settings(cache=tmp_path, _env_file=None)).name
