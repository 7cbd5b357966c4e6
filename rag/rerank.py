"""Re-rank fused candidates by their best moment: each passage scored by its sentence window closest to the question.

A 150-word passage's single vector blurs several topics; the sentence (with its neighbours) that answers the
question is a sharper signal. The windows are the ones the extractive answerer embeds, so the embedding cache serves
both. The new order is fused with the retriever's by reciprocal rank, so neither signal alone decides.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rag.embedding import CachedEmbedder
from rag.models import Passage
from rag.retrieval import rrf


def sentence_windows(passage: Passage) -> list[str]:
    """Each sentence of the passage with the one before and after it."""
    sentences = [s for s, _ in passage.chunk.sentences()]
    return [" ".join(sentences[max(0, i - 1) : i + 2]) for i in range(len(sentences))]


class WindowReranker:
    def __init__(self, embedder: CachedEmbedder, rrf_k: int = 60):
        self.embedder = embedder
        self.rrf_k = rrf_k

    def rerank(self, passages: list[Passage], query_vector: np.ndarray, k: int) -> list[Passage]:
        """The k best of `passages` after fusing their order with the order of their best window's cosine."""
        if not passages:
            return []
        windows = [sentence_windows(p) or [p.chunk.text] for p in passages]
        flat = [w for ws in windows for w in ws]
        cosines = self.embedder.embed(flat) @ np.asarray(query_vector, dtype=np.float32)
        best, pos = {}, 0
        for p, ws in zip(passages, windows):
            best[p.chunk.id] = float(cosines[pos : pos + len(ws)].max())
            pos += len(ws)
        by_window = sorted(passages, key=lambda p: (-best[p.chunk.id], p.rank))
        fused = rrf([[p.chunk.id for p in passages], [p.chunk.id for p in by_window]], self.rrf_k)
        by_id = {p.chunk.id: p for p in passages}
        return [replace(by_id[cid], score=score, rank=rank) for rank, (cid, score) in enumerate(fused[:k], start=1)]
