"""The Chroma side of the index: chunk vectors with their text and metadata, and one manifest record per episode.

`ChromaIndex` is what the rest of the library holds; each idea behind it has its own module:

- rag/index/connection.py: the client, the collections, and what Chroma's failures mean to a user;
- rag/index/lock.py: one writer at a time on an embedded store;
- rag/index/manifest.py: episode records, the commit point of an ingest, and catching up with other processes;
- rag/index/encoding.py: a chunk as a Chroma record;
- rag/index/query.py and vectors.py: filtered dense search, and the in-memory vectors of recent episodes;
- rag/index/garbage.py and verify.py: orphan chunks, and `doctor`'s consistency check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from rag.index.connection import ChromaConnection, batches
from rag.index.encoding import chunk_from_record, chunk_metadata
from rag.index.garbage import collect_garbage, drop_unlisted
from rag.index.lock import write_lock
from rag.index.manifest import Manifest
from rag.index.query import nearest
from rag.index.vectors import EpisodeVectors
from rag.index.verify import IndexCheck, verify
from rag.models import Chunk, EpisodeRecord, Filters
from rag.settings import Settings


class ChromaIndex:
    """Chunks and episode manifests in Chroma: embedded (`PersistentClient`) or a server (`HttpClient`)."""

    def __init__(self, settings: Settings, embed_model: str):
        self.settings = settings
        self.embed_model = embed_model
        self.conn = ChromaConnection(settings, embed_model)
        self.manifest = Manifest(self.conn)
        self.vectors = EpisodeVectors(self._vectors)

    @property
    def location(self) -> str:
        return self.conn.location

    @property
    def is_server(self) -> bool:
        return self.conn.is_server

    def writing(self):
        """Hold the right to write (a context manager): see rag/index/lock.py."""
        return write_lock(self.settings)

    # -- manifest -----------------------------------------------------------------------------------------------

    def version(self) -> str:
        """A token that changes whenever any episode is committed or removed."""
        return self.manifest.version()

    @property
    def seen_version(self) -> str | None:
        """The version of the manifest as last refreshed (None before the first refresh)."""
        return self.manifest.seen_version

    def refresh(self) -> bool:
        """Catch up with commits made since the last look (here or in another process). True when any were."""
        return self.manifest.refresh()

    def records(self, refresh: bool = True) -> dict[str, EpisodeRecord]:
        """Episode manifests by id (re-read first when `refresh` and another process changed them)."""
        if refresh:
            self.refresh()
        return dict(self.manifest.snapshot)

    @property
    def live_ids(self) -> set[str]:
        """Ids of the chunks the manifest lists, as last refreshed: the only chunks queries may return."""
        return self.manifest.live

    # -- writing ------------------------------------------------------------------------------------------------

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for batch in batches(list(ids), 1000):
            found.update(self.conn.call("read chunks", "chunks", "get", ids=batch, include=[])["ids"])
        return found

    def add_chunks(self, chunks_: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add chunk records (not yet visible: no manifest lists them)."""
        size = min(1000, self.conn.max_batch_size())
        written = time.time()
        for i in range(0, len(chunks_), size):
            part = chunks_[i : i + size]
            self.conn.call(
                "write chunks",
                "chunks",
                "upsert",
                ids=[c.id for c in part],
                embeddings=np.asarray(vectors[i : i + size], dtype=np.float32).tolist(),
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c, written) for c in part],
            )

    def claim(self, ids: Sequence[str]) -> None:
        """Mark stored chunks as about to be listed by this process's commit: on a server, another process's
        commit or garbage collection then leaves them alone (see rag/index/garbage.py). Ids not stored are
        ignored."""
        now = time.time()
        for batch in batches(list(ids), 1000):
            self.conn.call("claim chunks", "chunks", "update", ids=batch, metadatas=[{"claimed": now}] * len(batch))

    def commit_episode(self, record: EpisodeRecord) -> list[str]:
        """Make `record` the episode's visible version. Returns the chunk ids it no longer uses that were deleted."""
        old = self.records().get(record.id)
        self.manifest.write(record)
        stale = sorted(set(old.chunk_ids) - set(record.chunk_ids)) if old else []
        return drop_unlisted(self, stale)

    def remove_episode(self, episode_id: str) -> bool:
        old = self.records().get(episode_id)
        if not old:
            return False
        self.manifest.delete(episode_id)
        drop_unlisted(self, old.chunk_ids)
        return True

    def delete_chunks(self, ids: Sequence[str]) -> None:
        for batch in batches(list(ids), 1000):
            self.conn.call("delete chunks", "chunks", "delete", ids=batch)

    def collect_garbage(self, grace: float | None = None) -> int:
        """Delete chunks that no episode lists (see rag/index/garbage.py). Returns how many."""
        return collect_garbage(self, grace)

    def verify(self) -> IndexCheck:
        """Check the store against the manifest (see rag/index/verify.py)."""
        return verify(self)

    # -- reading ------------------------------------------------------------------------------------------------

    def query(self, vector: np.ndarray, n: int, filters: Filters | None = None, speakers: Sequence[str] = (),
              keep: Callable[[str], bool] | None = None) -> list[tuple[Chunk, float]]:
        """Nearest live chunks to `vector` with their cosine similarity, best first (see rag/index/query.py)."""
        return nearest(self, vector, n, filters, speakers, keep)

    def get_chunks(self, ids: Sequence[str], with_vectors: bool = False) -> dict[str, tuple[Chunk, np.ndarray | None]]:
        include = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
        out: dict[str, tuple[Chunk, np.ndarray | None]] = {}
        for batch in batches(list(ids), 1000):
            got = self.conn.call("read chunks", "chunks", "get", ids=batch, include=include)
            vectors = got.get("embeddings") if with_vectors else None
            for i, (cid, doc, meta) in enumerate(zip(got["ids"], got["documents"], got["metadatas"])):
                vec = np.asarray(vectors[i], dtype=np.float32) if vectors is not None else None
                out[cid] = (chunk_from_record(cid, doc, meta), vec)
        return out

    def _vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {cid: vec for cid, (_, vec) in self.get_chunks(ids, with_vectors=True).items()}

    def episode_chunks(self, episode_id: str) -> list[Chunk]:
        """All chunks of one episode (as its manifest lists them), in their order; [] for an unknown episode."""
        record = self.records().get(episode_id)
        if not record:
            return []
        found = self.get_chunks(record.chunk_ids)
        return sorted((chunk for chunk, _ in found.values()), key=lambda c: c.seq)

    def iter_live_chunks(self, page: int = 2000) -> Iterator[Chunk]:
        """Every visible chunk, read in pages (for rebuilding the BM25 index)."""
        self.refresh()
        for batch in batches(sorted(self.live_ids), page):
            for chunk, _ in self.get_chunks(batch).values():
                yield chunk

    def chunk_metadata(self, ids: Sequence[str]) -> dict[str, dict]:
        """The stored metadata of these chunks, by id (ids not stored are left out)."""
        out: dict[str, dict] = {}
        for batch in batches(list(ids), 1000):
            got = self.conn.call("read chunks", "chunks", "get", ids=batch, include=["metadatas"])
            out.update(zip(got["ids"], (m or {} for m in got["metadatas"])))
        return out

    def all_chunk_metadata(self, page: int = 5000) -> Iterator[tuple[str, dict]]:
        """Every stored chunk's (id, metadata), listed or not, in pages."""
        for got in self._pages(["metadatas"], page):
            yield from zip(got["ids"], (m or {} for m in got["metadatas"]))

    def all_chunk_ids(self, page: int = 20000) -> Iterator[str]:
        for got in self._pages([], page):
            yield from got["ids"]

    def _pages(self, include: list, page: int) -> Iterator[dict]:
        offset = 0
        while True:
            got = self.conn.call("list chunks", "chunks", "get", include=include, limit=page, offset=offset)
            if not got["ids"]:
                return
            yield got
            offset += len(got["ids"])

    def count(self) -> int:
        return self.conn.call("count", "chunks", "count")
