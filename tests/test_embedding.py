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
