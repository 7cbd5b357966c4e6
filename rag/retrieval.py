"""Hybrid retrieval: dense (Chroma, cosine) and lexical (BM25) candidates fused by reciprocal rank.

RRF needs no score calibration between the two sides, which matters here: cosine similarities and BM25 scores live
on unrelated scales. The dense cosine of every returned passage is still reported, because the answerer uses it to
decide whether the corpus covers a question at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

import numpy as np

from rag.embedding import CachedEmbedder
from rag.index import ChromaIndex
from rag.lexical import LexicalStore
from rag.models import Chunk, EpisodeRecord, Filters, Passage
from rag.timecodes import audio_link, video_link

Mode = Literal["hybrid", "dense", "bm25"]


class Reranker(Protocol):
    def rerank(self, query: str, passages: list[Passage], query_vector: np.ndarray, k: int,
               filters: Filters | None = None, speakers: Sequence[str] = ()) -> list[Passage]: ...


@dataclass(frozen=True)
class RetrievalConfig:
    mode: Mode = "hybrid"
    candidates: int = 40  # from each side, before fusion
    rrf_k: int = 60
    rerank_candidates: int = 40  # how many fused passages a reranker re-orders


def rrf(rankings: Sequence[Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum over rankings of 1 / (k + rank), rank from 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def passage_links(chunk: Chunk, record: EpisodeRecord | None) -> tuple[str | None, str | None]:
    """Video link at the chunk's start (or the transcript page for summaries without a time), and audio link.

    A summary's cited time is moved to the transcript's clock when the summary's clock offset is known."""
    if record is None:
        return None, None
    meta = record.meta
    t = chunk.start
    if chunk.source_type == "summary" and t is not None and record.summary_offset is not None:
        t = max(0.0, t - record.summary_offset)
    url = video_link(meta.video_url, t) or audio_link(meta.audio_url, t) or meta.transcript_url
    return url, audio_link(meta.audio_url, t)


def matching_speakers(name: str, known: Sequence[str]) -> list[str]:
    """The names in `known` that `name` means, case-insensitively: the exact name if there is one, else those in
    which `name`'s words start consecutive words ('dylan', 'patel', 'dylan p' -> Dylan Patel). Never inside a
    word: 'an' is Ana Silva, not Nathan or Dylan."""
    wanted = name.lower().split()
    if not wanted:
        return []
    exact = [s for s in known if s.lower().split() == wanted]
    if exact:
        return exact

    def starts_words(words: list[str]) -> bool:
        return any(all(w.startswith(p) for w, p in zip(words[i:], wanted))
                   for i in range(len(words) - len(wanted) + 1))

    return [s for s in known if starts_words(s.lower().split())]


class Retriever:
    def __init__(self, index: ChromaIndex, lexical: LexicalStore, embedder: CachedEmbedder,
                 config: RetrievalConfig | None = None, reranker: Reranker | None = None):
        self.index = index
        self.lexical = lexical
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self.reranker = reranker  # optional: re-orders the top `rerank_candidates` (rag/rerank.py)

    def with_mode(self, mode: Mode) -> Retriever:
        return Retriever(self.index, self.lexical, self.embedder, replace(self.config, mode=mode), self.reranker)

    def resolve_speaker(self, name: str | None) -> list[str]:
        """Index speaker names matching a user's 'dylan' or 'Dylan Patel' (case-insensitive, by word prefix)."""
        if not name:
            return []
        return matching_speakers(name, self.lexical.sync().speakers())

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.embed([query])[0]

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               query_vector: np.ndarray | None = None, rerank: bool = True) -> list[Passage]:
        """The k best passages for `query`, best first, each with its dense cosine when known (re-ranked when a
        reranker is configured and `rerank`: the top `rerank_candidates` re-ordered, the best k kept)."""
        warm = getattr(self.reranker, "warm", None) if rerank else None
        if warm:
            warm()
        vector = query_vector if query_vector is not None else self.embed_query(query)
        if self.reranker is None or not rerank:
            return self._search(query, k, filters, vector)
        passages = self._search(query, max(k, self.config.rerank_candidates), filters, vector)
        speakers = self.resolve_speaker(filters.speaker) if filters and filters.speaker else []
        if filters and filters.speaker and not speakers:
            return []
        return self.reranker.rerank(query, passages, vector, k, filters, speakers)

    def passage(self, chunk: Chunk, score: float, rank: int) -> Passage:
        """A Passage of `chunk` with its links (for a chunk a reranker brings in)."""
        record = self.index.records(refresh=False).get(chunk.episode_id)
        url, audio = passage_links(chunk, record)
        return Passage(chunk, score, rank, url, audio,
                       summary_offset=record.summary_offset if record and chunk.source_type == "summary" else None)

    def _search(self, query: str, k: int, filters: Filters | None, vector: np.ndarray) -> list[Passage]:
        """Dense and BM25 candidates fused by reciprocal rank: the k best."""
        cfg = self.config
        speakers = self.resolve_speaker(filters.speaker) if filters and filters.speaker else []
        if filters and filters.speaker and not speakers:
            return []  # nobody of that name speaks in the index
        self.index.refresh()
        n = max(cfg.candidates, k)

        dense: list[tuple[Chunk, float]] = []
        lexical: list[tuple[str, float]] = []
        lex = self.lexical.sync() if cfg.mode != "dense" or filters else None
        if cfg.mode in ("hybrid", "dense"):
            # BM25's metadata filters the dense side's over-fetched neighbours, when it is up to date.
            current = lex is not None and lex.version == self.index.seen_version
            keep = lex.allows(filters, speakers) if current and filters else None
            dense = self.index.query(vector, n, filters, speakers, keep=keep)
        if cfg.mode in ("hybrid", "bm25"):
            lexical = [(cid, s) for cid, s in lex.search(query, n, filters, speakers) if cid in self.index.live_ids]

        chunks = {c.id: c for c, _ in dense}
        cosine = {c.id: s for c, s in dense}
        bm25 = dict(lexical)
        if cfg.mode == "dense":
            ranked = [(c.id, s) for c, s in dense]
        elif cfg.mode == "bm25":
            ranked = lexical
        else:
            ranked = rrf([[c.id for c, _ in dense], [cid for cid, _ in lexical]], cfg.rrf_k)
        ranked = ranked[:k]

        # Chunks found only by BM25: fetch them, with their vectors so their cosine can be reported too.
        missing = [cid for cid, _ in ranked if cid not in chunks or cid not in cosine]
        if missing:
            for cid, (chunk, vec) in self.index.get_chunks(missing, with_vectors=True).items():
                chunks[cid] = chunk
                if vec is not None:
                    cosine[cid] = float(np.dot(vec, vector))

        records = self.index.records(refresh=False)
        passages = []
        for rank, (cid, score) in enumerate(ranked, start=1):
            chunk = chunks.get(cid)
            if chunk is None:
                continue
            record = records.get(chunk.episode_id)
            url, audio = passage_links(chunk, record)
            passages.append(
                Passage(chunk, score, rank, url, audio, dense_score=cosine.get(cid), lexical_score=bm25.get(cid),
                        summary_offset=record.summary_offset if record and chunk.source_type == "summary" else None)
            )
        return passages
