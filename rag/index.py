"""The Chroma side of the index: chunk vectors with their text and metadata, and one manifest record per episode.

An episode's manifest record (in its own small collection) lists the chunk ids that make up the episode. Writing
that one record is the commit point of an ingest: chunks are added before it and stale ones deleted after it, so a
crash at any moment leaves the old version or the new one visible, never half of either. Chunks that no record
lists (left by a crash) are invisible to queries and removed by `collect_garbage`. Because the manifest lives in
Chroma, several processes sharing one Chroma server see the same episodes.

Each manifest record carries a stamp, and a `__version__` record changes with every commit, so a process re-reads
only the records that changed since it last looked (one small read per query when nothing did).

Writers: an embedded store is written by one process at a time (a lock file; Chroma's embedded store is not safe
for several processes), so a writer may collect every orphan. On a server, several processes may ingest at once, so
an unlisted chunk may belong to an ingest still in progress: only orphans older than `GC_GRACE_SECONDS` go.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
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
# On a shared server, unlisted chunks younger than this may be an ingest in progress in another process.
GC_GRACE_SECONDS = 3600.0
# Neighbours fetched (ids and distances only) before filtering in Python; ~3 ms for 1,000 at 30,000 chunks.
_OVERFETCH = 1000
_EPISODE_VECTOR_CACHE = 64  # episodes whose vectors stay in memory for filtered search (~0.5 MB each)


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


def _chunk_metadata(chunk: Chunk, written: float) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "episode_id": chunk.episode_id,
        "written": written,  # when the chunk was added: garbage collection spares recent orphans on a server
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


@dataclass
class IndexCheck:
    """What `ChromaIndex.verify` found; `ok` means every listed episode is complete and nothing is shared."""

    episodes: int = 0
    chunks_listed: int = 0  # chunk ids the manifest lists
    chunks_stored: int = 0  # chunk records in the store, listed or not
    missing: dict[str, int] = field(default_factory=dict)  # episode id -> listed chunks absent from the store
    misfiled: dict[str, int] = field(default_factory=dict)  # episode id -> listed chunks stored under another episode
    shared: int = 0  # chunk ids listed by more than one episode
    orphans: int = 0  # stored chunks no episode lists: invisible; an interrupted ingest leaves them
    lexical: str | None = None  # a disagreement between BM25 and the manifest (see LexicalStore.check)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.misfiled or self.shared or self.lexical)

    @property
    def clean(self) -> bool:
        """ok, and no orphan chunks left either."""
        return self.ok and not self.orphans

    def lines(self) -> list[str]:
        """The findings, one line each, for people."""
        out = [f"{self.episodes} episodes, {self.chunks_listed} chunks listed, {self.chunks_stored} stored"]
        out += [f"episode {e}: {n} of its chunks are missing from the store" for e, n in sorted(self.missing.items())]
        out += [f"episode {e}: {n} of its chunks are stored under another episode"
                for e, n in sorted(self.misfiled.items())]
        if self.shared:
            out.append(f"{self.shared} chunk ids are listed by more than one episode")
        if self.orphans:
            out.append(f"{self.orphans} orphan chunks (invisible; the next ingest removes them)")
        if self.lexical:
            out.append(f"BM25: {self.lexical}")
        return out


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
        self._stamps: dict[str, str] = {}
        self._live: set[str] = set()
        self._refresh_lock = threading.Lock()
        # episode id -> (its chunk ids, their vectors as rows): exact search within an episode, see _episode_search
        self._episode_vectors: OrderedDict[str, tuple[tuple[str, ...], np.ndarray]] = OrderedDict()
        self._vectors_lock = threading.Lock()

    @property
    def is_server(self) -> bool:
        return bool(self.settings.chroma_url)

    # -- connection ---------------------------------------------------------------------------------------------

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        # Telemetry off; no embedding function is ever configured or sent (see README, Security).
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.settings.chroma_url:
            url = urlsplit(self.settings.chroma_url)
            token = self.settings.chroma_token
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                # For the authenticating proxy in front of the server (Chroma itself checks nothing).
                headers={"Authorization": f"Bearer {token.get_secret_value()}"} if token else None,
                settings=chroma_settings,
            )
            # chromadb's HTTP session never times out; a hung server must not hang every query with it.
            session = getattr(getattr(client, "_server", None), "_session", None)
            if session is not None:
                import httpx

                session.timeout = httpx.Timeout(self.settings.chroma_timeout)
            return client
        self.settings.index.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.settings.index / "chroma"), settings=chroma_settings)

    def _collections(self):
        if self._chunks is None:
            try:
                self._client = self._connect()
                prefix = self.settings.collection
                self._chunks = self._client.get_or_create_collection(
                    f"{prefix}-chunks",
                    # ef_search well above the 40 candidates asked for: the approximate search then returns the
                    # same neighbours as an exact one, run after run (the default 100 let the tail vary).
                    configuration={"hnsw": {"space": "cosine", "ef_search": 200}},
                    metadata={"embed_model": self.embed_model},
                    embedding_function=None,
                )
                self._episodes = self._client.get_or_create_collection(
                    f"{prefix}-episodes", embedding_function=None
                )
            except Exception as exc:
                self._chunks = self._episodes = None
                raise IndexUnavailableError(f"cannot open the Chroma index at {self.location}: {_one_line(exc)}") from exc
            built_with = (self._chunks.metadata or {}).get("embed_model")
            if built_with and built_with != self.embed_model:
                self._chunks = self._episodes = None
                raise IndexUnavailableError(
                    f"the index at {self.location} was built with the embedding model {built_with!r}, not "
                    f"{self.embed_model!r}: use another --index folder, or set PODRAG_EMBED_MODEL={built_with}"
                )
        return self._chunks, self._episodes

    def _call(self, what: str, fn, *args, **kwargs):
        """Run a Chroma call, turning a lost server into one clear error (and reconnecting on the next call)."""
        try:
            return fn(*args, **kwargs)
        except IndexUnavailableError:
            raise
        except Exception as exc:
            if self.is_server and _is_connection_error(exc):
                self._chunks = self._episodes = None
                raise IndexUnavailableError(
                    f"the Chroma server at {self.settings.chroma_url} did not answer ({what}): {_one_line(exc)}"
                ) from exc
            if self.is_server and _is_missing_collection(exc):
                # The server lost its data (restarted on an empty folder, or someone deleted the collections).
                self._chunks = self._episodes = None
                self._version, self._records, self._stamps, self._live = None, {}, {}, set()
                raise IndexUnavailableError(
                    f"the Chroma server at {self.settings.chroma_url} no longer has the collections "
                    f"{self.settings.collection}-*: was it restarted on another --path? ({_one_line(exc)})"
                ) from exc
            raise

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the right to write. Embedded: an exclusive lock file, so a second writer fails fast and clearly
        instead of corrupting the store. Server: nothing to hold (Chroma serialises writes)."""
        if self.is_server:
            yield
            return
        self.settings.index.mkdir(parents=True, exist_ok=True)
        path = self.settings.index / "write.lock"
        with open(path, "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.seek(0)
                holder = lock.read().strip() or "another process"
                raise IndexUnavailableError(
                    f"the index at {self.settings.index} is being written by {holder}: wait for it to finish "
                    "(several writers need a Chroma server, PODRAG_CHROMA_URL)"
                ) from None
            lock.seek(0)
            lock.truncate()
            lock.write(f"process {os.getpid()}")
            lock.flush()
            try:
                yield
            finally:
                lock.seek(0)
                lock.truncate()
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- manifest -----------------------------------------------------------------------------------------------

    def version(self) -> str:
        """A token that changes whenever any episode is committed or removed."""
        _, episodes = self._collections()
        got = self._call("read version", episodes.get, ids=[_VERSION_ID], include=["documents"])
        return got["documents"][0] if got["ids"] else ""

    @property
    def seen_version(self) -> str | None:
        """The version of the manifest as last refreshed (None before the first refresh)."""
        return self._version

    def refresh(self) -> bool:
        """Catch up with commits made since the last look (here or in another process). True when any were.

        Re-reads only the records whose stamp changed: the first call reads every record, later ones a few.
        """
        with self._refresh_lock:
            version = self.version()
            if version == self._version:
                return False
            _, episodes = self._collections()
            got = self._call("read episode stamps", episodes.get, include=["metadatas"])
            stamps = {
                rid: str((meta or {}).get("stamp", ""))
                for rid, meta in zip(got["ids"], got["metadatas"])
                if rid != _VERSION_ID
            }
            # Records written before stamps existed have none: re-read those every time.
            changed = [rid for rid, stamp in stamps.items() if not stamp or self._stamps.get(rid) != stamp]
            gone = [rid for rid in self._records if rid not in stamps]
            records = {rid: rec for rid, rec in self._records.items() if rid in stamps}
            for batch in _batches(changed, 200):
                docs = self._call("read episodes", episodes.get, ids=batch, include=["documents"])
                for rid, doc in zip(docs["ids"], docs["documents"]):
                    records[rid] = EpisodeRecord.from_json(json.loads(doc))
            # A new set, never mutated once published: queries in other threads keep a consistent snapshot.
            live = set(self._live)
            for rid in [*changed, *gone]:
                if rid in self._records:
                    live.difference_update(self._records[rid].chunk_ids)
            for rid in changed:
                if rid in records:
                    live.update(records[rid].chunk_ids)
            self._records, self._live = records, live
            self._stamps = {rid: stamps[rid] for rid in records}
            self._version = version
            return True

    def records(self, refresh: bool = True) -> dict[str, EpisodeRecord]:
        """Episode manifests by id (re-read first when `refresh` and another process changed them)."""
        if refresh:
            self.refresh()
        return dict(self._records)

    @property
    def live_ids(self) -> set[str]:
        """Ids of the chunks the manifest lists, as last refreshed: the only chunks queries may return."""
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
        written = time.time()
        for i in range(0, len(chunks_), size):
            part = chunks_[i : i + size]
            self._call(
                "write chunks",
                chunks.upsert,
                ids=[c.id for c in part],
                embeddings=np.asarray(vectors[i : i + size], dtype=np.float32).tolist(),
                documents=[c.text for c in part],
                metadatas=[_chunk_metadata(c, written) for c in part],
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
            metadatas=[{"stamp": uuid.uuid4().hex}],
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

    def collect_garbage(self, grace: float | None = None) -> int:
        """Delete chunks that no episode lists (left by an interrupted ingest). Returns how many.

        `grace` spares orphans written less than that many seconds ago, which on a shared server may belong to
        an ingest still running elsewhere; the default is none for the embedded store (writers hold its lock)
        and `GC_GRACE_SECONDS` for a server.
        """
        if grace is None:
            grace = GC_GRACE_SECONDS if self.is_server else 0.0
        self.refresh()
        live = self._live
        if self.count() <= len(live):
            return 0  # the usual case: no orphans, and no need to list every chunk to know it
        cutoff = time.time() - grace
        # Only the age needs metadata; without a grace period the ids alone will do (much less to read).
        listing = self._all_chunk_metadata() if grace > 0 else ((cid, {}) for cid in self._all_chunk_ids())
        orphans = [cid for cid, meta in listing if cid not in live and float(meta.get("written", 0.0)) <= cutoff]
        # A commit since the refresh above may list some of them now: check against the latest manifest.
        self.refresh()
        orphans = [cid for cid in orphans if cid not in self._live]
        self.delete_chunks(orphans)
        return len(orphans)

    def _all_chunk_metadata(self, page: int = 5000) -> Iterator[tuple[str, dict]]:
        for got in self._pages(["metadatas"], page):
            yield from zip(got["ids"], (m or {} for m in got["metadatas"]))

    def _all_chunk_ids(self, page: int = 20000) -> Iterator[str]:
        for got in self._pages([], page):
            yield from got["ids"]

    def _pages(self, include: list, page: int) -> Iterator[dict]:
        chunks, _ = self._collections()
        offset = 0
        while True:
            got = self._call("list chunks", chunks.get, include=include, limit=page, offset=offset)
            if not got["ids"]:
                return
            yield got
            offset += len(got["ids"])

    def verify(self) -> IndexCheck:
        """Check the store against the manifest: every listed chunk stored under its episode, none listed twice,
        and how many orphans there are. Reads every chunk's metadata: a maintenance task, not a query."""
        self.refresh()
        check = IndexCheck(episodes=len(self._records))
        owner: dict[str, str] = {}
        for rid, record in self._records.items():
            for cid in record.chunk_ids:
                if cid in owner:
                    check.shared += 1
                owner[cid] = rid
        check.chunks_listed = len(owner)
        found: set[str] = set()
        for cid, meta in self._all_chunk_metadata():
            check.chunks_stored += 1
            rid = owner.get(cid)
            if rid is None:
                check.orphans += 1
                continue
            found.add(cid)
            if meta.get("episode_id") != rid:
                check.misfiled[rid] = check.misfiled.get(rid, 0) + 1
        for cid, rid in owner.items():
            if cid not in found:
                check.missing[rid] = check.missing.get(rid, 0) + 1
        return check

    # -- reading ------------------------------------------------------------------------------------------------

    def query(self, vector: np.ndarray, n: int, filters: Filters | None = None, speakers: Sequence[str] = (),
              keep: Callable[[str], bool] | None = None) -> list[tuple[Chunk, float]]:
        """Nearest live chunks to `vector` with their cosine similarity, best first (manifest as last refreshed).

        Filters cost what Chroma's `where` costs, which grows with the number of chunks it matches (each is
        compared by brute force): fine for one episode, slow for "every chunk Dylan speaks in" across 1,000
        episodes. So episode filters name the episode's chunk ids, and, given `keep` (the same filters as a
        predicate on chunk ids, from BM25's in-memory metadata), other filters first over-fetch unfiltered
        neighbours (ids and distances only, cheap) and keep those that pass; only if too few do, Chroma filters.
        """
        live = self._live
        if not live:
            return []
        chunks, _ = self._collections()
        vec = [np.asarray(vector, dtype=np.float32).tolist()]
        if filters and keep is not None and not filters.episode_ids:
            over = min(max(_OVERFETCH, 25 * n), len(live))
            got = self._call("query", chunks.query, query_embeddings=vec, n_results=over, include=["distances"])
            best = [(cid, d) for cid, d in zip(got["ids"][0], got["distances"][0]) if cid in live and keep(cid)]
            if len(best) >= n or over >= len(live):
                found = self.get_chunks([cid for cid, _ in best[:n]])
                return [(found[cid][0], 1.0 - float(d)) for cid, d in best[:n] if cid in found]
        if filters and filters.episode_ids:
            # Episode filters alone need no predicate (and must not use one from a BM25 copy still catching up:
            # it would not know a just-committed episode's chunks).
            if replace(filters, episode_ids=()) == Filters():
                return self._episode_search(vector, n, filters.episode_ids, None)
            if keep is not None:
                return self._episode_search(vector, n, filters.episode_ids, keep)
        extra: dict[str, Any] = {}
        where = where_clause(filters, speakers)
        if filters and filters.episode_ids:
            ids = [cid for e in filters.episode_ids if e in self._records for cid in self._records[e].chunk_ids]
            if not ids:
                return []
            where = where_clause(replace(filters, episode_ids=()), speakers)
            extra["ids"] = ids
        got = self._call(
            "query",
            chunks.query,
            query_embeddings=vec,
            # Dead (orphan) chunks can only exist after a crash; asking for a few more covers them.
            n_results=n + 8,
            where=where,
            include=["documents", "metadatas", "distances"],
            **extra,
        )
        out = []
        for cid, doc, meta, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]):
            if cid in live:
                out.append((chunk_from_record(cid, doc, meta), 1.0 - float(dist)))
        return out[:n]

    def _episode_search(self, vector: np.ndarray, n: int, episode_ids: Sequence[str],
                        keep: Callable[[str], bool] | None) -> list[tuple[Chunk, float]]:
        """Exact nearest chunks within a few episodes: a dot product over their vectors, kept in memory (an
        episode is a few hundred vectors). Chroma's id-restricted search costs ~100 ms at 1,000 episodes; this
        costs the first query of an episode one read of its vectors, later ones well under a millisecond."""
        ids: list[str] = []
        blocks: list[np.ndarray] = []
        for episode_id in episode_ids:
            got = self._vectors_of(episode_id)
            if got:
                ids.extend(got[0])
                blocks.append(got[1])
        if not ids:
            return []
        scores = np.concatenate(blocks) @ np.asarray(vector, dtype=np.float32)
        best: list[tuple[str, float]] = []
        for i in np.argsort(-scores):
            cid = ids[i]
            if keep is None or keep(cid):
                best.append((cid, float(scores[i])))
                if len(best) >= n:
                    break
        found = self.get_chunks([cid for cid, _ in best])
        return [(found[cid][0], score) for cid, score in best if cid in found]

    def _vectors_of(self, episode_id: str) -> tuple[tuple[str, ...], np.ndarray] | None:
        record = self._records.get(episode_id)
        if record is None:
            return None
        chunk_ids = tuple(record.chunk_ids)
        with self._vectors_lock:
            cached = self._episode_vectors.get(episode_id)
            if cached and cached[0] == chunk_ids:  # a re-ingested episode has other chunk ids
                self._episode_vectors.move_to_end(episode_id)
                return cached
        found = self.get_chunks(chunk_ids, with_vectors=True)
        present = tuple(cid for cid in chunk_ids if cid in found)
        matrix = np.stack([found[cid][1] for cid in present]).astype(np.float32) if present else np.zeros((0, 0))
        with self._vectors_lock:
            self._episode_vectors[episode_id] = (present, matrix)
            while len(self._episode_vectors) > _EPISODE_VECTOR_CACHE:
                self._episode_vectors.popitem(last=False)
        return present, matrix

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


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _is_connection_error(exc: Exception) -> bool:
    import httpx

    if isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError)):
        return True
    text = f"{type(exc).__name__} {exc}".lower()
    return any(s in text for s in ("could not connect", "connection", "timed out", "unreachable", "refused"))


def _is_missing_collection(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError) or "does not exist" in str(exc).lower()
