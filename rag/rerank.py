"""Re-rank fused candidates by their best moment: each passage scored by its sentence window closest to the question.

A 150-word passage's single vector blurs several topics; the sentence (with its neighbours) that answers the
question is a sharper signal. A window's vector is the normalised sum of its sentences' vectors, as in the extractive
answerer, so the sentences embedded here are the ones the answerer needs next (the cache serves both). The new
order is fused with the retriever's by reciprocal rank, so neither signal alone decides.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rag.embedding import CachedEmbedder
from rag.models import Passage
from rag.retrieval import rrf


def window_vectors(sentence_vectors: np.ndarray) -> np.ndarray:
    """For each sentence, the unit vector of it plus the sentence before and after (its window)."""
    padded = np.pad(sentence_vectors, ((1, 1), (0, 0)))
    sums = padded[:-2] + padded[1:-1] + padded[2:]
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


class WindowReranker:
    def __init__(self, embedder: CachedEmbedder, rrf_k: int = 60):
        self.embedder = embedder
        self.rrf_k = rrf_k

    def rerank(self, passages: list[Passage], query_vector: np.ndarray, k: int) -> list[Passage]:
        """The k best of `passages` after fusing their order with the order of their best window's cosine."""
        if not passages:
            return []
        sentences = [[s for s, _ in p.chunk.sentences()] or [p.chunk.text] for p in passages]
        flat = [s for ss in sentences for s in ss]
        vectors = self.embedder.embed(flat)
        query = np.asarray(query_vector, dtype=np.float32)
        best, pos = {}, 0
        for p, ss in zip(passages, sentences):
            best[p.chunk.id] = float((window_vectors(vectors[pos : pos + len(ss)]) @ query).max())
            pos += len(ss)
        by_window = sorted(passages, key=lambda p: (-best[p.chunk.id], p.rank))
        fused = rrf([[p.chunk.id for p in passages], [p.chunk.id for p in by_window]], self.rrf_k)
        by_id = {p.chunk.id: p for p in passages}
        return [replace(by_id[cid], score=score, rank=rank) for rank, (cid, score) in enumerate(fused[:k], start=1)]
