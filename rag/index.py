"""The Chroma side of the index: chunk vectors with their text and metadata, and one manifest record per episode.

An episode's manifest record (in its own small collection) lists the chunk ids that make up the episode. Writing
that one record is the commit point of an ingest: chunks are added before it and stale ones deleted after it, so a
crash at any moment leaves the old version or the new one visible, never half of either. Chunks that no record
lists (left by a crash) are invisible to queries and removed by `collect_garbage`. Because the manifest lives in
Chroma, several processes sharing one Chroma server see the same episodes.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from rag.errors import IndexUnavailableError
from rag.models import Chapter, Chunk, EpisodeMeta, Filters, Moment, TranscriptSentence
from rag.settings import Settings

log = logging.getLogger(__name__)

_VERSION_ID = "__version__"
# Chroma needs a vector per record; manifest records are looked up by id only.
_NO_VECTOR = [1.0]


@dataclass
class EpisodeRecord:
    """What the index knows about one ingested episode."""

    meta: EpisodeMeta
    chunk_ids: list[str]
    fingerprint: str  # of the source files and the chunking settings; unchanged means nothing to do
    chapters: list[Chapter] = field(default_factory=list)
    duration: float | None = None
    files: list[str] = field(default_factory=list)
    transcript_format: str | None = None
    has_summary: bool = False
    ingested_at: str = ""
    # Summary clock minus transcript clock, estimated from the summary's quotes at ingest (None: unknown).
    summary_offset: float | None = None

    @property
    def id(self) -> str:
        return self.meta.id

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> EpisodeRecord:
        data = dict(data)
        data["meta"] = EpisodeMeta(**data["meta"])
        data["chapters"] = [Chapter(**c) for c in data.get("chapters", [])]
        return cls(**data)


def _chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "episode_id": chunk.episode_id,
        "source_type": chunk.source_type,
        "seq": chunk.seq,
        # Offsets, times and speakers of each sentence, compact: [[offset, start, speaker index], ...]
        "moments": json.dumps(
            [[m.offset, m.start, chunk.speakers.index(m.speaker) if m.speaker else -1] for m in chunk.moments]
        ),
    }
    # Chroma rejects empty lists; a missing key means "none".
    for key, value in (("start", chunk.start), ("end", chunk.end), ("chapter", chunk.chapter),
                       ("section", chunk.section), ("speakers", chunk.speakers or None)):
        if value is not None:
            meta[key] = value
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    speakers = list(meta.get("speakers") or [])
    moments = [Moment(o, s, speakers[i] if i >= 0 else None) for o, s, i in json.loads(meta["moments"])]
    return Chunk(
        id=chunk_id,
        episode_id=meta["episode_id"],
        source_type=meta["source_type"],
        text=text,
        start=meta.get("start"),
        end=meta.get("end"),
        speakers=speakers,
        chapter=meta.get("chapter"),
        section=meta.get("section"),
        moments=moments,
        seq=meta.get("seq", 0),
    )


def transcript_sentences(chunks: Sequence[Chunk]) -> list[TranscriptSentence]:
    """Every transcript sentence of an episode's chunks once, in time order.

    Chunks overlap (each starts with the tail of the previous one), so a sentence seen twice at the same moment is
    kept once. A sentence ends where the next one starts; the last one where its chunk ends.
    """
    seen: set[tuple[float | None, str]] = set()
    found: list[tuple[str, Moment, str | None, float | None]] = []
    for chunk in sorted((c for c in chunks if c.source_type == "transcript"), key=lambda c: c.seq):
        for text, moment in chunk.sentences():
            if (moment.start, text) in seen:
                continue
            seen.add((moment.start, text))
            found.append((text, moment, chunk.chapter, chunk.end))
    found.sort(key=lambda f: f[1].start if f[1].start is not None else float("inf"))
    out = []
    for i, (text, moment, chapter, chunk_end) in enumerate(found):
        nxt = found[i + 1][1].start if i + 1 < len(found) else None
        out.append(TranscriptSentence(text, moment.start, nxt if nxt is not None else chunk_end, moment.speaker, chapter))
    return out


def where_clause(filters: Filters | None, speakers: Sequence[str] = ()) -> dict | None:
    """A Chroma `where` for the filters; `speakers` are the index's exact names matching `filters.speaker`."""
    if not filters:
        return None
    clauses: list[dict] = []
    if filters.episode_ids:
        clauses.append({"episode_id": {"$in": list(filters.episode_ids)}})
    if filters.source_type:
        clauses.append({"source_type": filters.source_type})
    if filters.speaker:
        names = list(speakers) or [filters.speaker]
        options = [{"speakers": {"$contains": n}} for n in names]
        clauses.append(options[0] if len(options) == 1 else {"$or": options})
    if filters.time_from is not None:
        clauses.append({"end": {"$gte": float(filters.time_from)}})
    if filters.time_to is not None:
        clauses.append({"start": {"$lte": float(filters.time_to)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaIndex:
    """Chunks and episode manifests in Chroma: embedded (`PersistentClient`) or a server (`HttpClient`)."""

    def __init__(self, settings: Settings, embed_model: str):
        self.settings = settings
        self.embed_model = embed_model
        self.location = settings.chroma_url or str(settings.index / "chroma")
        self._client = None
        self._chunks = None
        self._episodes = None
        self._version: str | None = None
        self._records: dict[str, EpisodeRecord] = {}
        self._live: set[str] = set()

    # -- connection ---------------------------------------------------------------------------------------------

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        # Telemetry off; no embedding function is ever configured or sent (see README, Security).
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.settings.chroma_url:
            url = urlsplit(self.settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        self.settings.index.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.settings.index / "chroma"), settings=chroma_settings)

    def _collections(self):
        if self._chunks is None:
            try:
                self._client = self._connect()
                prefix = self.settings.collection
                self._chunks = self._client.get_or_create_collection(
                    f"{prefix}-chunks",
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embed_model": self.embed_model},
                    embedding_function=None,
                )
                self._episodes = self._client.get_or_create_collection(
                    f"{prefix}-episodes", embedding_function=None
                )
            except Exception as exc:
                self._chunks = self._episodes = None
                raise IndexUnavailableError(f"cannot open the Chroma index at {self.location}: {exc}") from exc
            built_with = (self._chunks.metadata or {}).get("embed_model")
            if built_with and built_with != self.embed_model:
                raise IndexUnavailableError(
                    f"the index at {self.location} was built with the embedding model {built_with!r}, not "
                    f"{self.embed_model!r}: use another --index folder, or set PODRAG_EMBED_MODEL={built_with}"
                )
        return self._chunks, self._episodes

    def _call(self, what: str, fn, *args, **kwargs):
        """Run a Chroma call, turning connection failures into one clear error (and reconnecting next time)."""
        try:
            return fn(*args, **kwargs)
        except IndexUnavailableError:
            raise
        except Exception as exc:
            if self.settings.chroma_url and _is_connection_error(exc):
                self._chunks = self._episodes = None
                raise IndexUnavailableError(
                    f"the Chroma server at {self.settings.chroma_url} did not answer ({what}): {exc}"
                ) from exc
            raise

    # -- manifest -----------------------------------------------------------------------------------------------

    def version(self) -> str:
        """A token that changes whenever any episode is committed or removed."""
        _, episodes = self._collections()
        got = self._call("read version", episodes.get, ids=[_VERSION_ID], include=["documents"])
        return got["documents"][0] if got["ids"] else ""

    def refresh(self) -> bool:
        """Reload the manifest if another ingest changed it. Returns True when it changed."""
        version = self.version()
        if version == self._version:
            return False
        _, episodes = self._collections()
        got = self._call("read episodes", episodes.get, include=["documents"])
        records = {}
        for rid, doc in zip(got["ids"], got["documents"]):
            if rid != _VERSION_ID:
                records[rid] = EpisodeRecord.from_json(json.loads(doc))
        self._records = records
        self._live = {cid for r in records.values() for cid in r.chunk_ids}
        self._version = version
        return True

    def records(self, refresh: bool = True) -> dict[str, EpisodeRecord]:
        """Episode manifests by id (re-read first when `refresh` and another process changed them)."""
        if refresh:
            self.refresh()
        return dict(self._records)

    @property
    def live_ids(self) -> set[str]:
        return self._live

    def _bump_version(self) -> None:
        _, episodes = self._collections()
        self._call(
            "write version", episodes.upsert, ids=[_VERSION_ID], embeddings=[_NO_VECTOR], documents=[uuid.uuid4().hex]
        )

    # -- writing ------------------------------------------------------------------------------------------------

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        chunks, _ = self._collections()
        found: set[str] = set()
        for batch in _batches(list(ids), 1000):
            found.update(self._call("read chunks", chunks.get, ids=batch, include=[])["ids"])
        return found

    def add_chunks(self, chunks_: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add chunk records (not yet visible: no manifest lists them)."""
        chunks, _ = self._collections()
        size = min(1000, self._client.get_max_batch_size())
        for i in range(0, len(chunks_), size):
            part = chunks_[i : i + size]
            self._call(
                "write chunks",
                chunks.upsert,
                ids=[c.id for c in part],
                embeddings=vectors[i : i + size].tolist(),
                documents=[c.text for c in part],
                metadatas=[_chunk_metadata(c) for c in part],
            )

    def commit_episode(self, record: EpisodeRecord) -> list[str]:
        """Make `record` the episode's visible version. Returns the chunk ids it no longer uses."""
        _, episodes = self._collections()
        old = self.records().get(record.id)
        self._call(
            "write episode",
            episodes.upsert,
            ids=[record.id],
            embeddings=[_NO_VECTOR],
            documents=[json.dumps(record.to_json())],
        )
        self._bump_version()
        stale = sorted(set(old.chunk_ids) - set(record.chunk_ids)) if old else []
        self.delete_chunks(stale)
        self.refresh()
        return stale

    def remove_episode(self, episode_id: str) -> bool:
        _, episodes = self._collections()
        old = self.records().get(episode_id)
        if not old:
            return False
        self._call("remove episode", episodes.delete, ids=[episode_id])
        self._bump_version()
        self.delete_chunks(old.chunk_ids)
        self.refresh()
        return True

    def delete_chunks(self, ids: Sequence[str]) -> None:
        chunks, _ = self._collections()
        for batch in _batches(list(ids), 1000):
            self._call("delete chunks", chunks.delete, ids=batch)

    def collect_garbage(self) -> int:
        """Delete chunks that no episode lists (left by an interrupted ingest). Returns how many."""
        self.refresh()
        chunks, _ = self._collections()
        orphans = [cid for cid in self._all_ids() if cid not in self._live]
        self.delete_chunks(orphans)
        return len(orphans)

    def _all_ids(self) -> Iterator[str]:
        chunks, _ = self._collections()
        offset = 0
        while True:
            got = self._call("list chunks", chunks.get, include=[], limit=5000, offset=offset)
            if not got["ids"]:
                return
            yield from got["ids"]
            offset += len(got["ids"])

    # -- reading ------------------------------------------------------------------------------------------------

    def query(self, vector: np.ndarray, n: int, filters: Filters | None = None,
              speakers: Sequence[str] = ()) -> list[tuple[Chunk, float]]:
        """Nearest live chunks to `vector` with their cosine similarity, best first (manifest as last refreshed)."""
        if not self._live:
            return []
        chunks, _ = self._collections()
        got = self._call(
            "query",
            chunks.query,
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            # Dead (orphan) chunks can only exist after a crash; asking for a few more covers them.
            n_results=n + 8,
            where=where_clause(filters, speakers),
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for cid, doc, meta, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]):
            if cid in self._live:
                out.append((chunk_from_record(cid, doc, meta), 1.0 - float(dist)))
        return out[:n]

    def get_chunks(self, ids: Sequence[str], with_vectors: bool = False) -> dict[str, tuple[Chunk, np.ndarray | None]]:
        chunks, _ = self._collections()
        include = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
        out: dict[str, tuple[Chunk, np.ndarray | None]] = {}
        for batch in _batches(list(ids), 1000):
            got = self._call("read chunks", chunks.get, ids=batch, include=include)
            vectors = got.get("embeddings") if with_vectors else None
            for i, (cid, doc, meta) in enumerate(zip(got["ids"], got["documents"], got["metadatas"])):
                vec = np.asarray(vectors[i], dtype=np.float32) if vectors is not None else None
                out[cid] = (chunk_from_record(cid, doc, meta), vec)
        return out

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
        ids = sorted(self._live)
        for batch in _batches(ids, page):
            for chunk, _ in self.get_chunks(batch).values():
                yield chunk

    def count(self) -> int:
        chunks, _ = self._collections()
        return self._call("count", chunks.count)


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _is_connection_error(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(s in text for s in ("connect", "timeout", "timed out", "unreachable", "refused", "reset"))
