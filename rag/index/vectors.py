"""Exact nearest-chunk search within a few episodes, over their vectors kept in memory.

An episode is a few hundred vectors: a dot product over them costs well under a millisecond, while Chroma's
id-restricted search costs ~100 ms at 1,000 episodes. The first query of an episode pays one read of its vectors.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

EPISODE_VECTOR_CACHE = 64  # episodes whose vectors stay in memory (~0.5 MB each)

# chunk ids -> their vectors (ids not stored are left out)
FetchVectors = Callable[[Sequence[str]], dict[str, np.ndarray]]


class EpisodeVectors:
    """episode id -> (its chunk ids, their vectors as rows), the most recently used `size` episodes."""

    def __init__(self, fetch: FetchVectors, size: int = EPISODE_VECTOR_CACHE):
        self.fetch = fetch
        self.size = size
        self._cache: OrderedDict[str, tuple[tuple[str, ...], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, episode_id: str, chunk_ids: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray]:
        chunk_ids = tuple(chunk_ids)
        with self._lock:
            cached = self._cache.get(episode_id)
            if cached and cached[0] == chunk_ids:  # a re-ingested episode has other chunk ids
                self._cache.move_to_end(episode_id)
                return cached
        found = self.fetch(chunk_ids)
        present = tuple(cid for cid in chunk_ids if cid in found)
        matrix = np.stack([found[cid] for cid in present]).astype(np.float32) if present else np.zeros((0, 0))
        with self._lock:
            self._cache[episode_id] = (present, matrix)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
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
