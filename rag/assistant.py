"""The one object the CLI and the UI talk to: it wires settings -> embedder -> index -> retrieval -> answerer.

Everything is created on first use, so `podcast-rag --help` or `episodes` do not load the embedding model, and
modules only some commands need (ingest, claims, summaries, the LLM client, BM25's stop words) are imported by the
methods that need them. The parts are built under a lock: the web app calls one Assistant from many threads.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag.answer import Answerer, final_answer
from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.llm import LLMAnswerer
from rag.chunking import ChunkingConfig, embedding_text
from rag.embedding import CachedEmbedder, make_embedder, moment_embedder
from rag.errors import EmptyLibraryError, SourceError, UnknownEpisodeError
from rag.index import ChromaIndex
from rag.lazy import locked_cached_property as cached_property
from rag.lexical import LexicalStore
from rag.llm import LLMClient, LLMError, LLMNotConfigured, deadline_after
from rag.llm_retrieval import rerank_for_answer, rerank_pool
from rag.lru import LRU
from rag.models import (
    Answer,
    EpisodeMeta,
    EpisodeRecord,
    Filters,
    Passage,
    TranscriptSentence,
    Turn,
    transcript_sentences,
)
from rag.moments import MomentStore
from rag.rerank import MomentRanker
from rag.retrieval import Mode, RetrievalConfig, Retriever
from rag.settings import Settings, get_settings
from rag.term_cache import TermCache

if TYPE_CHECKING:
    from rag.claims import ClaimCheck, ClaimChecker
    from rag.ingest import IngestReport, Progress
    from rag.summary_check import SummaryReport

log = logging.getLogger(__name__)

# Episodes whose transcript sentences stay in memory (a 5-hour episode has ~4,000 sentences, ~2 MB).
SENTENCE_CACHE_EPISODES = 16


class Assistant:
    def __init__(self, settings: Settings | None = None, embedder: CachedEmbedder | None = None):
        """`embedder` shares an already loaded model (and its cache) between several assistants, e.g. the eval's
        one index per configuration."""
        self.settings = settings or get_settings()
        if embedder is not None:
            self.__dict__["embedder"] = embedder  # fills the cached_property below
        # One writer at a time in this process; readers need no lock (LexicalStore guards its own reload).
        self._write_lock = threading.Lock()
        # episode id -> (index version, its sentences), for the most recently used episodes
        self._sentences: LRU[str, tuple[str, list[TranscriptSentence]]] = LRU(SENTENCE_CACHE_EPISODES)
        self._topics: dict[str, tuple[tuple[str, str], str]] = {}

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
        config = RetrievalConfig("hybrid", s.candidates, s.rrf_k, s.rerank_candidates)
        retriever = Retriever(self.index, self.lexical, self.embedder, config)
        if s.rerank:
            retriever.reranker = MomentRanker(self.moments, self.lexical, self.embedder.embed, retriever.passage,
                                              lambda: self.episode_metas(refresh=False))
        return retriever

    @cached_property
    def moments(self) -> MomentStore:
        """Each episode's moments (sentences and their vectors), built from the index on first use."""
        # The version retrieval last refreshed (it refreshes before every search): no store round trip per episode.
        return MomentStore(self.index.episode_chunks, self.embedder.embed,
                           lambda: self.index.seen_version or self.index.version(), size_of=self._passage_count,
                           tokens=TermCache(self.settings.cache / "terms").tokenize,
                           deep_embed=self.moment_embedder.embed if self.moment_embedder else None,
                           deep_load=(getattr(self.moment_embedder.inner, "load", None)
                                      if self.moment_embedder else None))

    @cached_property
    def moment_embedder(self) -> CachedEmbedder | None:
        """The moment model (PODRAG_MOMENT_MODEL) behind the embedding cache; None when it is off."""
        return moment_embedder(self.settings, self.embedder.cache)

    def _passage_count(self, episode_id: str) -> int:
        record = self.index.records(refresh=False).get(episode_id)
        return len(record.chunk_ids) if record else 0

    @cached_property
    def answerer(self) -> Answerer:
        """The offline answerer: the default, and the fallback when the LLM fails."""
        return ExtractiveAnswerer(self.embedder, self.lexical, links=self._links)

    @cached_property
    def claim_checker(self) -> ClaimChecker:
        from rag.claims import ClaimChecker

        judge = None
        if self.settings.use_llm() and self.settings.llm_configured():
            from rag.claim_judge import LLMJudge

            try:
                judge = LLMJudge(self.llm_client)
            except LLMNotConfigured as exc:  # e.g. an OpenAI model named without a key: the offline checks decide
                log.warning("no LLM judge: %s", exc)
        return ClaimChecker(
            # The fused passages, not the moment ranking: a claim's evidence is chosen sentence by sentence from
            # them (rag/claims/checker.py), and tying it to which moment an answer would cite let changes to
            # that ranking move the evidence off the sentence stating the claim.
            search=lambda q, k, f: self.retriever.search(q, k, f, rerank=False),
            embed=self.embedder.embed,
            people=self._people,
            links=self._links,
            context=self._context,
            topic=self._topic,
            judge=judge,
            names=lambda: self.lexical.sync().cased or frozenset(),
        )

    def transcript_sentences(self, episode_id: str) -> list[TranscriptSentence]:
        """The episode's transcript, sentence by sentence in time order (cached until the index changes)."""
        version = self.index.version()
        cached = self._sentences.get(episode_id, valid=lambda entry: entry[0] == version)
        if cached:
            return cached[1]
        return self._sentences.put(episode_id,
                                   (version, transcript_sentences(self.index.episode_chunks(episode_id))))[1]

    def _topic(self, episode_id: str) -> str:
        """What an episode is about, for the claim checker: its title and the names it keeps coming back to."""
        key = (episode_id, self.index.version())
        if self._topics.get(episode_id, (None,))[0] != key:
            from rag.claims.entities import frequent_names

            names = frequent_names([s.text for s in self.transcript_sentences(episode_id)])
            self._topics[episode_id] = (key, " ".join([self._title(episode_id) or "", *names]))
        return self._topics[episode_id][1]

    def _context(self, episode_id: str, t: float | None, before: float = 120.0, after: float = 30.0) -> str:
        """What was said from `before` seconds before `t` to `after` seconds after it."""
        if t is None:
            return ""
        sentences = self.transcript_sentences(episode_id)
        starts = [s.start if s.start is not None else -1.0 for s in sentences]
        lo, hi = bisect.bisect_left(starts, t - before), bisect.bisect_right(starts, t + after)
        return " ".join(s.text for s in sentences[lo:hi])

    def _people(self, episode_id: str | None) -> tuple[list[str], list[str]]:
        """(everyone who speaks, the guests) in one episode or, with None, in the whole index."""
        lex = self.lexical.sync()
        speakers = {s for i in lex.infos if episode_id in (None, i.episode_id) for s in i.speakers}
        records = self.index.records(refresh=False)
        metas = [r.meta for r in records.values() if episode_id in (None, r.id)]
        guests = [g for m in metas for g in m.guests]
        speakers |= {m.host for m in metas if m.host} | set(guests)
        return sorted(speakers), list(dict.fromkeys(guests))

    @cached_property
    def llm(self) -> LLMAnswerer | None:
        """The LLM answerer when answers should come from an LLM (see Settings.use_llm), else None."""
        s = self.settings
        if not s.use_llm():
            return None
        if not s.llm_configured():
            raise LLMNotConfigured(
                "no LLM is configured: set PODRAG_LLM_BASE_URL (a local server such as Ollama, e.g. "
                "http://127.0.0.1:11434/v1) or PODRAG_LLM_MODEL with OPENAI_API_KEY (OpenAI)"
            )
        return LLMAnswerer(self.llm_client, self.embedder, links=self._links, titles=self._title)

    @cached_property
    def llm_client(self) -> LLMClient:
        """The one LLM client, shared by the answerer, the claim judge and follow-up condensing (raises
        `LLMNotConfigured` when the settings cannot make one, e.g. an OpenAI model without a key)."""
        return LLMClient(self.settings)

    def episode_metas(self, refresh: bool = True) -> dict[str, EpisodeMeta]:
        """What each indexed episode is called (title, guests, number), by id."""
        return {e: r.meta for e, r in self.index.records(refresh=refresh).items()}

    def _meta(self, episode_id: str) -> EpisodeMeta | None:
        record = self.index.records(refresh=False).get(episode_id)
        return record.meta if record else None

    def _links(self, episode_id: str) -> tuple[str | None, str | None]:
        meta = self._meta(episode_id)
        return (meta.video_url, meta.audio_url) if meta else (None, None)

    def _title(self, episode_id: str) -> str | None:
        meta = self._meta(episode_id)
        return meta.title if meta else None

    # -- operations ---------------------------------------------------------------------------------------------

    def ingest(self, paths: Sequence[Path], progress: Progress | None = None,
               guard: Callable[[Mapping[str, EpisodeRecord]], None] | None = None) -> IngestReport:
        """Ingest episode folders (see rag.ingest.ingest_paths, also for `guard`)."""
        from rag.ingest import ingest_paths

        last = [0, 0]

        def passages(done: int, total: int, label: str) -> None:
            last[:] = done, total
            if progress:
                progress(done, total, label)

        with self._write_lock:
            report = ingest_paths(paths, self.index, self.lexical, self.embedder, self.chunking, passages,
                                  guard=guard)
        if self.settings.rerank and (report.new or report.updated):
            # Every sentence of the new episodes is embedded now, so no question pays for it (moment ranking); the
            # progress stays where the passages left it, the label says whose moments are being embedded.
            t0 = time.perf_counter()
            self.moments.prepare(report.new + report.updated,
                                 (lambda e: progress(last[0], last[1], f"{e}: moments")) if progress else None)
            report.seconds += time.perf_counter() - t0
        return report

    def remove(self, episode_ids: Sequence[str]) -> list[str]:
        from rag.ingest import remove_episodes

        with self._write_lock:
            return remove_episodes(episode_ids, self.index, self.lexical)

    def episodes(self) -> list[EpisodeRecord]:
        return sorted(self.index.records().values(), key=lambda r: (r.meta.podcast or "", r.meta.number or 0, r.id))

    def require_episodes(self) -> None:
        """Raise `EmptyLibraryError` when nothing is indexed: "the episodes don't cover this" would be untrue."""
        if not self.index.records():
            raise EmptyLibraryError(self.index.location)

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: Mode = "hybrid") -> list[Passage]:
        retriever = self.retriever if mode == "hybrid" else self.retriever.with_mode(mode)
        return retriever.search(query, k or self.settings.top_k, filters)

    def check_claim(self, claim: str, episode_id: str | None = None) -> ClaimCheck:
        """Check a claim ("Dylan Patel says DeepSeek has about 50,000 GPUs") against the transcripts."""
        from rag.claims.records import ClaimError

        self.require_episodes()
        records = self.index.records()
        if episode_id and episode_id not in records:
            raise UnknownEpisodeError(f"no episode {episode_id!r} in the index (see `podcast-rag episodes`)")
        # Only a transcript says who said what: with none, "not found" would read as "they never said it".
        if episode_id and not records[episode_id].transcript_format:
            raise ClaimError(f"{episode_id} has no transcript to check the claim against (only its summary): add "
                             "the episode's transcript page with `podcast-rag add URL`")
        if not any(r.transcript_format for r in records.values()):
            raise ClaimError("no indexed episode has a transcript to check the claim against (only summaries): add "
                             "an episode's transcript page with `podcast-rag add URL`")
        return self.claim_checker.check(claim, episode_id)

    def verify_summary(self, episode_id: str, summary_path: Path | None = None,
                       statements: bool = True) -> SummaryReport:
        """Check an episode's summary (or another summary file of it) against its transcript: where each quote
        is, said by whom, the summary's clock offset, and (with `statements`) which statements the transcript
        does not back."""
        from rag.claims import name_variants
        from rag.sources import detect_kind
        from rag.sources.summary import parse_summary
        from rag.summary_check import verify_summary

        record = self.index.records().get(episode_id)
        if record is None:
            raise UnknownEpisodeError(f"no episode {episode_id!r} in the index (see `podcast-rag episodes`)")
        if summary_path is None:
            found = [Path(f) for f in record.files if detect_kind(f) == "summary"] if record.has_summary else []
            if not found:
                raise SourceError(episode_id, "the episode has no summary: give one with --summary FILE")
            summary_path = found[0]
        if not Path(summary_path).exists():
            raise SourceError(summary_path, "no such file (re-ingest the episode if it moved)")
        summary = parse_summary(summary_path)
        sentences = self.transcript_sentences(episode_id)
        if not sentences:
            raise SourceError(episode_id, "the episode has no transcript to check the summary against")
        speakers, guests = self._people(episode_id)
        check = (lambda claim: self.claim_checker.check(claim, episode_id)) if statements else None
        return verify_summary(episode_id, summary, sentences, name_variants(speakers, guests),
                              record.meta.video_url, check)

    def mode_label(self) -> str:
        """What answers the questions, for the UI's notice: 'offline (extractive)' or 'LLM: <model>'."""
        if not self.settings.use_llm():
            return "offline (extractive)"
        try:
            llm = self.llm
        except LLMError:
            return "LLM: not configured (answers are extractive)"
        return f"LLM: {llm.client.label()}" if llm else "offline (extractive)"

    @staticmethod
    def _fallback_notice(exc: LLMError) -> str:
        return f"No LLM answer: {exc}. This is the offline extractive answer instead."

    def route(self, question: str, filters: Filters | None = None) -> Filters | None:
        """`filters`, restricted to the one episode the question names ("the DeepSeek episode", "episode 459") when
        they do not already name episodes (rag/episode_route.py)."""
        from dataclasses import replace

        from rag.episode_route import named_episode

        if filters and filters.episode_ids:
            return filters
        episode = named_episode(question, self.episode_metas())
        return replace(filters or Filters(), episode_ids=(episode,)) if episode else filters

    def ask(self, question: str, filters: Filters | None = None, history: Sequence[Turn] = ()) -> Answer:
        """Answer `question`; `history` (earlier turns of a chat) lets a follow-up refer to them."""
        return final_answer(self.ask_stream(question, filters, history))

    def ask_stream(self, question: str, filters: Filters | None = None,
                   history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Text as it is produced (str pieces), then the final checked `Answer` as the last item.

        The pieces are a preview: the final `Answer.answer` is authoritative. When the LLM fails, at any point,
        the final answer is the extractive one with `notice` saying why (and no more pieces are sent). A
        follow-up question is first condensed with `history` into a standalone query (rag/conversation.py).
        Raises `LLMNotConfigured` when settings require an LLM (answerer='llm') and none is configured.
        """
        from rag.conversation import condense

        self.require_episodes()
        if self.settings.rerank:
            self.moments.warm()  # the moment model loads while the query is embedded and the passages searched
        notice = None
        try:
            llm = self.llm
        except LLMNotConfigured as exc:
            if self.settings.answerer == "llm":
                raise
            llm, notice = None, self._fallback_notice(exc)  # e.g. an OpenAI model named but no key
        deadline = deadline_after(self.settings.llm_timeout) if llm else None
        query = condense(question, history, llm.client if llm else None, deadline)
        filters = self.route(query, filters)
        vector = self.retriever.embed_query(query)
        client, keep = llm.client if llm else None, self.settings.answer_passages
        pool = rerank_pool(self.settings, client, keep)  # more candidates when the LLM re-ranks them
        passages = self.retriever.search(query, pool, filters, query_vector=vector)
        passages = rerank_for_answer(client, self.settings, query, passages, deadline, keep)
        if llm is not None:
            try:
                yield from llm.stream(question, passages, history, deadline)
                return
            except LLMError as exc:
                notice = self._fallback_notice(exc)
        answer = self.answerer.answer(query, passages, vector)
        # Not streamed: the extractive answer is whole at once, and its final form says first what to doubt
        # (`unsure`, before the quotes); with a notice it replaces whatever the LLM had streamed.
        answer.notice = notice
        yield answer
