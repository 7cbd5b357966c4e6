"""Exact nearest-chunk search within a few episodes, over their vectors kept in memory.

An episode is a few hundred vectors: a dot product over them costs well under a millisecond, while Chroma's
id-restricted search costs ~100 ms at 1,000 episodes. The first query of an episode pays one read of its vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rag.lru import LRU

EPISODE_VECTOR_CACHE = 64  # episodes whose vectors stay in memory (~0.5 MB each)

# chunk ids -> their vectors (ids not stored are left out)
FetchVectors = Callable[[Sequence[str]], dict[str, np.ndarray]]


class EpisodeVectors:
    """episode id -> (its chunk ids, their vectors as rows), the most recently used `size` episodes."""

    def __init__(self, fetch: FetchVectors, size: int = EPISODE_VECTOR_CACHE):
        self.fetch = fetch
        # episode id -> (the chunk ids asked for, those stored, their vectors)
        self._cache: LRU[str, tuple[tuple[str, ...], tuple[str, ...], np.ndarray]] = LRU(size)

    def of(self, episode_id: str, chunk_ids: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray]:
        chunk_ids = tuple(chunk_ids)
        # A re-ingested episode has other chunk ids.
        cached = self._cache.get(episode_id, valid=lambda entry: entry[0] == chunk_ids)
        if cached:
            return cached[1], cached[2]
        found = self.fetch(chunk_ids)
        present = tuple(cid for cid in chunk_ids if cid in found)
        matrix = np.stack([found[cid] for cid in present]).astype(np.float32) if present else np.zeros((0, 0))
        self._cache.put(episode_id, (chunk_ids, present, matrix))
        return present, matrix

    def nearest(self, vector: np.ndarray, n: int, episodes: Sequence[tuple[str, Sequence[str]]],
                keep: Callable[[str], bool] | None = None) -> list[tuple[str, float]]:
        """The `n` best (chunk id, cosine) among the chunks of `episodes` ((episode id, chunk ids) pairs) that
        `keep` accepts (all, without one)."""
        ids: list[str] = []
        blocks: list[np.ndarray] = []
        for episode_id, chunk_ids in episodes:
            got_ids, matrix = self.of(episode_id, chunk_ids)
            if got_ids:
                ids.extend(got_ids)
                blocks.append(matrix)
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
        return best
