"""The one object the CLI and the UI talk to: it wires settings -> embedder -> index -> retrieval -> answerer.

Everything is created on first use, so `podcast-rag --help` or `episodes` do not load the embedding model.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path

from rag.answer import Answerer
from rag.answer.extractive import ExtractiveAnswerer
from rag.chunking import ChunkingConfig, embedding_text
from rag.embedding import CachedEmbedder, make_embedder
from rag.index import ChromaIndex, EpisodeRecord
from rag.ingest import IngestReport, Progress, ingest_paths, remove_episodes
from rag.lexical import LexicalStore
from rag.models import Answer, Filters, Passage, Turn
from rag.retrieval import Mode, RetrievalConfig, Retriever
from rag.settings import Settings, get_settings


class Assistant:
    def __init__(self, settings: Settings | None = None, embedder: CachedEmbedder | None = None):
        """`embedder` shares an already loaded model (and its cache) between several assistants, e.g. the eval's
        one index per configuration."""
        self.settings = settings or get_settings()
        if embedder is not None:
            self.__dict__["embedder"] = embedder  # fills the cached_property below
        # One writer at a time in this process; readers need no lock (LexicalStore guards its own reload).
        self._write_lock = threading.Lock()

    # -- parts --------------------------------------------------------------------------------------------------

    @cached_property
    def embedder(self) -> CachedEmbedder:
        return make_embedder(self.settings)

    @cached_property
    def index(self) -> ChromaIndex:
        return ChromaIndex(self.settings, self.embedder.name)

    @cached_property
    def lexical(self) -> LexicalStore:
        s = self.settings
        if s.chroma_url:
            # Each process sharing a server keeps its own BM25 copy, keyed by server and collection.
            key = hashlib.sha1(f"{s.chroma_url}|{s.collection}".encode()).hexdigest()[:12]
            folder = s.cache / "bm25" / key
        else:
            folder = s.index / "bm25"
        return LexicalStore(self.index, folder, embedding_text)

    @property
    def chunking(self) -> ChunkingConfig:
        s = self.settings
        return ChunkingConfig(s.chunk_words, s.chunk_max_words, s.chunk_overlap_words)

    @cached_property
    def retriever(self) -> Retriever:
        s = self.settings
        return Retriever(self.index, self.lexical, self.embedder, RetrievalConfig("hybrid", s.candidates, s.rrf_k))

    @cached_property
    def answerer(self) -> Answerer:
        return ExtractiveAnswerer(self.embedder, self.lexical, links=self._links)

    def _links(self, episode_id: str) -> tuple[str | None, str | None]:
        record = self.index.records(refresh=False).get(episode_id)
        return (record.meta.video_url, record.meta.audio_url) if record else (None, None)

    # -- operations ---------------------------------------------------------------------------------------------

    def ingest(self, paths: Sequence[Path], progress: Progress | None = None) -> IngestReport:
        with self._write_lock:
            return ingest_paths(paths, self.index, self.lexical, self.embedder, self.chunking, progress)

    def remove(self, episode_ids: Sequence[str]) -> list[str]:
        with self._write_lock:
            return remove_episodes(episode_ids, self.index, self.lexical)

    def episodes(self) -> list[EpisodeRecord]:
        return sorted(self.index.records().values(), key=lambda r: (r.meta.podcast or "", r.meta.number or 0, r.id))

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: Mode = "hybrid") -> list[Passage]:
        retriever = self.retriever if mode == "hybrid" else self.retriever.with_mode(mode)
        return retriever.search(query, k or self.settings.top_k, filters)

    def mode_label(self) -> str:
        """What answers the questions, for the UI's notice: 'offline (extractive)' or the LLM's name."""
        return "offline (extractive)" if self.answerer.mode == "extractive" else f"LLM: {self.answerer.mode}"

    def ask(self, question: str, filters: Filters | None = None, history: Sequence[Turn] = ()) -> Answer:
        """Answer `question`; `history` (earlier turns of a chat) lets a follow-up refer to them."""
        answer = None
        for event in self.ask_stream(question, filters, history):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def ask_stream(self, question: str, filters: Filters | None = None,
                   history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Text as it is produced (str pieces), then the final validated `Answer` as the last item."""
        vector = self.retriever.embed_query(question)
        passages = self.retriever.search(question, self.settings.answer_passages, filters, query_vector=vector)
        answer = self.answerer.answer(question, passages, vector)
        yield answer.answer
        yield answer
