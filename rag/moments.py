"""Moments: a few consecutive transcript sentences (at least ~35 words, ~15-40 s), the unit an answer cites.

A 150-word chunk blurs several topics, and all-MiniLM-L6-v2 was trained on sentence-length texts, so passages are
ranked by their best moment (rag/moment_rank.py) and the answer quotes that moment. Every transcript sentence is
embedded once, at ingest (the vectors live in the embedding cache, keyed by text); a moment's vector is the
normalised sum of its sentences' vectors, so no window is ever embedded again and no question pays for more than
its own query vector.

This is the one sentence-window implementation: the answerer, the claim checker and the reranker all take their
windows from here.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.lexical import tokenize
from rag.models import Chunk, TranscriptSentence, transcript_sentences

log = logging.getLogger(__name__)

MIN_WORDS = 35  # a moment holds at least this many words (or MAX_SENTENCES sentences, or the chapter's end)
MAX_SENTENCES = 4
MAX_SECONDS = 45.0  # nor does it run on past this long after its first sentence
# An episode longer than this (~45 hours of speech; a five-hour episode has ~400 passages) is never held whole as
# moments: ingest does not prepare it and the ranker takes its moments from the passages a question retrieves, so a
# transcript of a million cues is read, ingested and asked about in bounded memory.
MAX_WHOLE_CHUNKS = 4000


def window_bounds(sentences: Sequence[TranscriptSentence], min_words: int = MIN_WORDS,
                  max_sentences: int = MAX_SENTENCES, max_seconds: float = MAX_SECONDS) -> list[tuple[int, int]]:
    """For each sentence i, the moment starting there: (i, j) with sentences i..j, inside one chapter."""
    words = [len(s.text.split()) for s in sentences]
    out = []
    for i, s in enumerate(sentences):
        j, n = i, words[i]
        while (n < min_words and j + 1 < len(sentences) and j + 1 - i < max_sentences
               and sentences[j + 1].chapter == s.chapter and _within(s, sentences[j + 1], max_seconds)):
            j += 1
            n += words[j]
        out.append((i, j))
    return out


def _within(first: TranscriptSentence, later: TranscriptSentence, seconds: float) -> bool:
    if first.start is None or later.start is None:
        return True  # summaries cite no time per sentence
    return later.start - first.start <= seconds


def unit_sums(vectors: np.ndarray, bounds: Sequence[tuple[int, int]]) -> np.ndarray:
    """The unit vector of the sum of rows i..j, for each (i, j): a window's meaning from its sentences'."""
    if not len(bounds):
        return np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32)
    cumulative = np.vstack([np.zeros((1, vectors.shape[1]), dtype=np.float64), np.cumsum(vectors, axis=0)])
    first = np.array([i for i, _ in bounds])
    last = np.array([j for _, j in bounds])
    sums = cumulative[last + 1] - cumulative[first]
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@dataclass
class EpisodeMoments:
    """One episode's transcript as sentences and moments, with their vectors and terms."""

    episode_id: str
    sentences: list[TranscriptSentence]
    bounds: list[tuple[int, int]]
    sentence_vectors: np.ndarray  # one unit vector per sentence
    moment_vectors: np.ndarray  # one unit vector per moment (= per starting sentence)
    terms: list[frozenset[str]]  # each sentence's BM25 tokens (stemmed, stop words removed)
    chunks: list[Chunk] = field(default_factory=list)  # the episode's transcript chunks, by start
    # one unit vector per moment by the moment model (rag/mpnet.py), None without it
    deep_vectors: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.starts = [s.start if s.start is not None else -1.0 for s in self.sentences]
        self._chunk_starts = [c.start if c.start is not None else -1.0 for c in self.chunks]
        self._start_array = np.asarray(self.starts, dtype=np.float64)
        self._first = np.array([a for a, _ in self.bounds], dtype=np.int64)
        self._last = np.array([b for _, b in self.bounds], dtype=np.int64)
        where: dict[str, list[int]] = {}
        for k, terms in enumerate(self.terms):
            for t in terms:
                where.setdefault(t, []).append(k)
        # term -> the sentences that say it, in order: "is it said near moment i?" is one binary search
        self._where = {t: np.asarray(v, dtype=np.int64) for t, v in where.items()}

    def chunk_at(self, t: float) -> Chunk | None:
        """The chunk that holds the moment starting at t: the last one starting at or before it."""
        i = bisect.bisect_right(self._chunk_starts, t) - 1
        return self.chunks[i] if i >= 0 else None

    def __len__(self) -> int:
        return len(self.sentences)

    def text(self, i: int) -> str:
        a, b = self.bounds[i]
        return " ".join(s.text for s in self.sentences[a : b + 1])

    def between(self, start: float | None, end: float | None) -> range:
        """Indices of the moments that start inside [start, end]."""
        if start is None:
            return range(0)
        lo = bisect.bisect_left(self.starts, start)
        hi = bisect.bisect_right(self.starts, end if end is not None else start)
        return range(lo, hi)

    def spans(self, ids: Sequence[int], seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """For each moment, the sentences [lo, hi) said within `seconds` of its start (and the moment itself)."""
        ids = np.asarray(ids, dtype=np.int64)
        t = self._start_array[ids]
        lo = np.searchsorted(self._start_array, t - seconds, side="left")
        hi = np.searchsorted(self._start_array, t + seconds, side="right")
        return np.minimum(lo, self._first[ids]), np.maximum(hi, self._last[ids] + 1)

    def said_in_order(self, tokens: Sequence[str], lo: int, hi: int) -> bool:
        """Whether one sentence in [lo, hi) says `tokens` in this order (other words between them allowed): a name of
        several words ("Deep Research", "Scale AI") is said only as its words together, not each somewhere."""
        both: np.ndarray | None = None
        for t in tokens:
            where = self._where.get(t)
            if where is None:
                return False
            inside = where[np.searchsorted(where, lo):np.searchsorted(where, hi)]  # sorted: a slice, not a scan
            both = inside if both is None else np.intersect1d(both, inside, assume_unique=True)
        for k in both if both is not None else ():
            # the few sentences holding every token: only these are tokenized again, in order
            said = iter(tokenize([self.sentences[k].text])[0])
            if all(t in said for t in tokens):
                return True
        return False

    def said_in(self, term: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Whether `term` is said in each sentence range [lo, hi)."""
        where = self._where.get(term)
        if where is None:
            return np.zeros(len(lo), dtype=bool)
        j = np.searchsorted(where, lo, side="left")
        found = j < len(where)
        out = np.zeros(len(lo), dtype=bool)
        out[found] = where[j[found]] < hi[found]
        return out


def build_moments(episode_id: str, sentences: list[TranscriptSentence],
                  embed: Callable[[Sequence[str]], np.ndarray], chunks: Sequence[Chunk] = (),
                  tokens: Callable[[Sequence[str]], list[list[str]]] = tokenize,
                  deep_embed: Callable[[Sequence[str]], np.ndarray] | None = None) -> EpisodeMoments:
    """An episode's moments; `embed` is the cached embedder, so sentences embedded at ingest cost a lookup, and
    `tokens` the tokenizer (rag/term_cache.py keeps an episode's tokens the same way). `deep_embed`, the moment
    model behind its cache, gives the moments their second vectors (a moment's: its sentences' summed, as the
    small model's; embedding sentences rather than each overlapping moment is ~2.5x cheaper and ranks as well)."""
    texts = [s.text for s in sentences]
    vectors = np.asarray(embed(texts), dtype=np.float32) if texts else np.zeros((0, 384), dtype=np.float32)
    bounds = window_bounds(sentences)
    terms = [frozenset(t) for t in tokens(texts)] if texts else []
    ordered = sorted((c for c in chunks if c.source_type == "transcript" and c.start is not None),
                     key=lambda c: (c.start, c.seq))
    deep = unit_sums(np.asarray(deep_embed(texts), dtype=np.float32), bounds) if deep_embed and texts else None
    return EpisodeMoments(episode_id, sentences, bounds, vectors, unit_sums(vectors, bounds), terms, ordered, deep)


def _load_quietly(load: Callable[[], None]) -> None:
    """A background load; if it fails, the first use fails again, in the foreground, with its message."""
    with contextlib.suppress(Exception):
        load()


class MomentStore:
    """Each episode's moments, built on first use and kept while the index version stays the same.

    Bounded (least recently used episodes are dropped) so a catalogue of thousands of episodes does not fill the
    memory; a thread-safe build so concurrent chats build an episode once.
    """

    def __init__(self, chunks_of: Callable[[str], list[Chunk]], embed: Callable[[Sequence[str]], np.ndarray],
                 version: Callable[[], str], capacity: int = 64, size_of: Callable[[str], int] = lambda _: 0,
                 tokens: Callable[[Sequence[str]], list[list[str]]] = tokenize,
                 deep_embed: Callable[[Sequence[str]], np.ndarray] | None = None,
                 deep_load: Callable[[], None] | None = None):
        self._chunks_of = chunks_of
        self._deep_load = deep_load  # loads the moment model (see `warm`)
        self._warming: threading.Thread | None = None
        self._size_of = size_of  # an episode's number of passages, without reading them
        self._embed = embed
        self.deep_embed = deep_embed  # the moment model behind its cache (None: moments have one vector)
        self._tokens = tokens
        self._version = version
        self._capacity = capacity
        self._cache: OrderedDict[str, tuple[str, EpisodeMoments]] = OrderedDict()
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Start loading the moment model in the background, once: a question's passages are searched meanwhile
        (~0.4 s of a fresh process's first question). Not a daemon thread: a process that exits sooner waits for
        the load to end rather than tear the runtime down under it."""
        with self._lock:
            if self._deep_load is None or self._warming is not None:
                return
            self._warming = threading.Thread(target=_load_quietly, args=(self._deep_load,), name="load-moment-model")
        self._warming.start()

    def whole(self, episode_id: str) -> bool:
        """Whether the episode is short enough to hold as moments whole (`get`); see MAX_WHOLE_CHUNKS."""
        return self._size_of(episode_id) <= MAX_WHOLE_CHUNKS

    def get(self, episode_id: str) -> EpisodeMoments:
        version = self._version()
        with self._lock:
            hit = self._cache.get(episode_id)
            if hit and hit[0] == version:
                self._cache.move_to_end(episode_id)
                return hit[1]
            chunks = self._chunks_of(episode_id)
            moments = build_moments(episode_id, transcript_sentences(chunks), self._embed, chunks, self._tokens,
                                    self.deep_embed)
            self._cache[episode_id] = (version, moments)
            self._cache.move_to_end(episode_id)
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
            return moments

    def prepare(self, episode_ids: Sequence[str], progress: Callable[[str], None] | None = None) -> int:
        """Embed (and tokenize) the sentences of these episodes now, at ingest, so no question pays for it;
        returns sentences. Summary sentences too: a summary passage's sentences are ranked as moments of their own.
        `progress(episode_id)` is told of each episode as it starts (the moment model takes 1-2 min for 5 hours)."""
        n = 0
        for e in episode_ids:
            if progress:
                progress(e)
            if not self.whole(e):
                log.info("%s: %d passages, too long to prepare moments for; ranked by the passages a question finds",
                         e, self._size_of(e))
                continue
            moments = self.get(e)
            summary = [s for c in self._chunks_of(e) if c.source_type == "summary" for s, _ in c.sentences()]
            if summary:
                self._embed(summary)
                if self.deep_embed:
                    self.deep_embed(summary)
            n += len(moments) + len(summary)
        return n
