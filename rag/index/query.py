"""Query planning: how a filtered dense search is run cheaply.

Chroma's `where` costs grow with the number of chunks it matches (each is compared by brute force): fine for one
episode, slow for "every chunk Dylan speaks in" across 1,000 episodes. So:

- episode filters search the episode's vectors exactly, in memory (rag/index/vectors.py);
- other filters, given `keep` (the same filters as a predicate on chunk ids, from BM25's in-memory metadata), first
  over-fetch unfiltered neighbours (ids and distances only, cheap) and keep those that pass;
- only when too few pass does Chroma filter, with the `where` clause built here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.index.encoding import chunk_from_record
from rag.models import Chunk, Filters

if TYPE_CHECKING:
    from rag.index.store import ChromaIndex

# Neighbours fetched (ids and distances only) before filtering in Python; ~3 ms for 1,000 at 30,000 chunks.
OVERFETCH = 1000


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


def nearest(index: ChromaIndex, vector: np.ndarray, n: int, filters: Filters | None = None,
            speakers: Sequence[str] = (), keep: Callable[[str], bool] | None = None) -> list[tuple[Chunk, float]]:
    """Nearest live chunks to `vector` with their cosine similarity, best first (manifest as last refreshed)."""
    live = index.live_ids
    if not live:
        return []
    vec = [np.asarray(vector, dtype=np.float32).tolist()]
    if filters and keep is not None and not filters.episode_ids:
        over = min(max(OVERFETCH, 25 * n), len(live))
        got = index.conn.call("query", "chunks", "query", query_embeddings=vec, n_results=over, include=["distances"])
        best = [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0])
                if cid in live and keep(cid)]
        if len(best) >= n or over >= len(live):
            return _with_chunks(index, best[:n])
    records = index.manifest.snapshot
    if filters and filters.episode_ids:
        episodes = [(e, records[e].chunk_ids) for e in filters.episode_ids if e in records]
        # Episode filters alone need no predicate (and must not use one from a BM25 copy still catching up:
        # it would not know a just-committed episode's chunks).
        if replace(filters, episode_ids=()) == Filters():
            return _with_chunks(index, index.vectors.nearest(vector, n, episodes))
        if keep is not None:
            return _with_chunks(index, index.vectors.nearest(vector, n, episodes, keep))
    extra: dict[str, Any] = {}
    where = where_clause(filters, speakers)
    if filters and filters.episode_ids:
        ids = [cid for e in filters.episode_ids if e in records for cid in records[e].chunk_ids]
        if not ids:
            return []
        where = where_clause(replace(filters, episode_ids=()), speakers)
        extra["ids"] = ids
    got = index.conn.call(
        "query",
        "chunks",
        "query",
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


def _with_chunks(index: ChromaIndex, best: list[tuple[str, float]]) -> list[tuple[Chunk, float]]:
    found = index.get_chunks([cid for cid, _ in best])
    return [(found[cid][0], score) for cid, score in best if cid in found]
