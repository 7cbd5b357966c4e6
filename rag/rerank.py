"""Re-rank fused candidates by their best moment, and add the moments a chunk-level search missed.

The fused chunk ranking finds the area; the moment ranker (rag/moment_rank.py) finds the second. Candidates are
the moments inside the fused passages plus, per episode in scope, the moments closest to the question by their
own vector. Each passage is then ranked by its best moment and carries it (`Passage.moment`), so the answerer
quotes that moment and the citation opens the video where it starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.models import Chunk, EpisodeMeta, Filters, MomentHit, Passage, TranscriptSentence, transcript_sentences
from rag.moment_rank import (
    AROUND_SECONDS,
    FEATURES,
    GLOBAL_MOMENTS,
    NAMES_SECONDS,
    ChunkSignal,
    QuestionTerms,
    features,
    question_terms,
    ranking,
    score,
)
from rag.moments import MAX_SECONDS, EpisodeMoments, MomentStore, build_moments

# Above this many episodes in scope the moment-level search covers only the episodes the chunk search found.
GLOBAL_EPISODES = 20
# How far a quote may run on while its speaker goes on, in words: read off the cross-validated curve in
# eval/fit-moments.md ("quote length") by the rule stated there. Longer answers (median 156 -> 222 words over 38 #459
# answers) for must-mention 0.56/0.44/0.50 -> 0.64/0.52/0.58 (make eval, #459/#491/#494). Without speakers (a bare
# transcript) every sentence is the same speaker's: the quote runs on within its chapter, to the same length.
QUOTE_WORDS = 100


@dataclass
class _Candidate:
    episode_id: str
    index: int  # moment index in the episode (or in a summary passage's own sentences)
    score: float
    passage: Passage | None  # the fused passage it came from, when it did
    moments: EpisodeMoments
    vector: np.ndarray  # the question's


def _signal(p: Passage, top_bm25: float) -> ChunkSignal:
    """What the fused chunk search says of the passage holding a moment."""
    return ChunkSignal(p.rank, p.dense_score or 0.0, (p.lexical_score or 0.0) / top_bm25)


def _spoken(sentences: Sequence[TranscriptSentence]) -> str:
    """The sentences as one quote, naming each new speaker after the first ("… — Lex Fridman: …")."""
    parts: list[str] = []
    speaker = sentences[0].speaker if sentences else None
    for s in sentences:
        if s.speaker != speaker and s.speaker:
            parts.append(f"— {s.speaker}:")
            speaker = s.speaker
        parts.append(s.text)
    return " ".join(parts)


_BACKCHANNEL = frozenset("yeah yes yep right okay ok sure exactly mm-hmm mhm uh-huh hmm wow true totally".split())


def _asks(text: str) -> bool:
    return text.rstrip().endswith("?")


def _unfinished(text: str) -> bool:
    """A sentence without its stop (closing quotes and brackets aside): cut off as the next speaker came in."""
    return not text.rstrip().rstrip("\"”’')]").endswith((".", "!", "?", "…"))


def _interjection(text: str) -> bool:
    """A word or two cut off ("TS-", "AWS is-") or a backchannel ("Yeah.", "Mm-hmm")."""
    text = text.strip()
    words = text.split()
    return len(words) <= 3 and (
        text.endswith(("-", "—", "…")) or all(w.strip(".,!…").lower() in _BACKCHANNEL for w in words))


def _says_nothing(text: str) -> bool:
    """A question or an interjection: a turn that answers nothing, so a quote should not open with it."""
    return _asks(text) or _interjection(text)


def _same_stretch(s: Sequence[TranscriptSentence], a: int, j: int) -> bool:
    """Whether sentence j may still belong to a quote that opens at sentence a: same chapter, within MAX_SECONDS."""
    return s[j].chapter == s[a].chapter and (
        s[a].start is None or s[j].start is None or s[j].start - s[a].start <= MAX_SECONDS)


def _answer_span(moments: EpisodeMoments, i: int) -> tuple[int, int]:
    """The moment's sentences from where its answer starts to where it ends: a question someone else answers inside
    the moment ("So how many GPUs? — We believe closer to 50,000"), or an interrupted start or a "Yeah" before
    another speaker goes on, is skipped, so the citation opens at the answer and names who gives it, and the moment
    runs on by as many sentences (within its chapter and MAX_SECONDS); a question someone else asks at its end
    ("— Lex Fridman: Why doesn't Google compete with Nvidia?") opens the next exchange, not this answer, and is left
    out of the quote; so are someone else's closing words cut off unfinished ("— Lex Fridman: We, as SemiAnalysis,
    so we should say") or a backchannel: they add nothing the reader can use. An answer's sentence interrupted by a
    backchannel runs on to its end. Then, while the same speaker goes on, the quote runs on to QUOTE_WORDS."""
    a, b = moments.bounds[i]
    s = moments.sentences
    skipped = 0
    while a < b and _says_nothing(s[a].text) and s[a + 1].speaker != s[a].speaker:
        a += 1
        skipped += 1
    while skipped and b + 1 < len(s) and _same_stretch(s, a, b + 1):
        b += 1
        skipped -= 1
    if _asks(s[b].text) and s[b].speaker != s[a].speaker:
        k = b  # the first sentence of that speaker's last turn (s[a] is someone else's, so k > a)
        while s[k - 1].speaker == s[b].speaker:
            k -= 1
        b = k - 1
    while b > a and s[b].speaker != s[a].speaker and (_says_nothing(s[b].text) or _unfinished(s[b].text)):
        b -= 1
    # The answer's last sentence cut off by someone's "Yeah." goes on right after it ("… there just won't be enough
    # power, GPUs, infrastructure — Lex Fridman: Yeah. — Dylan Patel: to operate this …"): the quote runs to where the
    # sentence ends rather than stop mid-sentence.
    while (s[b].speaker == s[a].speaker and _unfinished(s[b].text) and b + 2 < len(s)
           and s[b + 1].speaker != s[b].speaker and _interjection(s[b + 1].text)
           and s[b + 2].speaker == s[b].speaker and _same_stretch(s, a, b + 2)):
        b += 2
    # The answer often goes on after the moment that matched (the fact asked for a sentence or two later): while the
    # same speaker keeps talking, the quote runs on, up to QUOTE_WORDS words; its first second stays the moment's. It
    # stops before a question: one the speaker asks there opens the next thread ("Is DeepSeek making money?").
    words = sum(len(x.text.split()) for x in s[a : b + 1])
    while (b + 1 < len(s) and s[b + 1].speaker == s[a].speaker and s[b + 1].chapter == s[a].chapter
           and not _asks(s[b].text) and not _asks(s[b + 1].text)
           and words + len(s[b + 1].text.split()) <= QUOTE_WORDS):
        b += 1
        words += len(s[b].text.split())
    return a, b


class MomentRanker:
    def __init__(self, moments: MomentStore, lexical, embed: Callable[[Sequence[str]], np.ndarray],
                 make_passage: Callable[[Chunk, float, int], Passage],
                 episodes: Callable[[], Mapping[str, EpisodeMeta]]):
        self.moments = moments
        self.lexical = lexical
        self.embed = embed
        self.make_passage = make_passage  # a Passage for a chunk the chunk search did not return
        # every episode in the index, by id, with what it is called (a question's "the DeepSeek episode" only points)
        self.episodes = episodes

    def terms(self, query: str) -> QuestionTerms:
        lex = self.lexical.sync()
        return question_terms(query, lex.term_document_frequency(query), max(1, len(lex.infos)), lex.speakers(),
                              lex.cased or frozenset(), self.episodes())

    def warm(self) -> None:
        """Called before the passage search of a question that will be re-ranked: the moment model loads meanwhile."""
        self.moments.warm()

    @property
    def moment_model(self) -> bool:
        """Whether moments are scored with the moment model too (their `deep` signal)."""
        return self.moments.deep_embed is not None

    def rerank(self, query: str, passages: list[Passage], query_vector: np.ndarray, k: int,
               filters: Filters | None = None, speakers: Sequence[str] = ()) -> list[Passage]:
        terms, cands, rows = self.candidates(query, passages, query_vector, filters, speakers)
        for c, s in zip(cands, score(rows, ranking(self.moment_model)) if len(cands) else []):
            c.score = float(s)
        return self._passages(cands, k, terms)

    def candidates(self, query: str, passages: list[Passage], query_vector: np.ndarray,
                   filters: Filters | None = None, speakers: Sequence[str] = ()
                   ) -> tuple[QuestionTerms, list[_Candidate], np.ndarray]:
        """Every candidate moment with its signals (one row each, in FEATURES order), not yet scored."""
        vector = np.asarray(query_vector, dtype=np.float32)
        deep = self.moments.deep_embed
        deep_query = np.asarray(deep([query])[0], dtype=np.float32) if deep else None
        terms = self.terms(query)
        transcript = [p for p in passages if p.chunk.source_type == "transcript"]
        cands: list[_Candidate] = []
        rows: list[np.ndarray] = []
        scope, whole = self._scope(passages, filters)
        top_bm25 = max((p.lexical_score or 0.0 for p in passages), default=0.0) or 1.0
        for episode_id in scope:
            moments = (self.moments.get(episode_id) if whole and self.moments.whole(episode_id)
                       else self._partial(episode_id, transcript))
            if not len(moments):
                continue
            owner: dict[int, Passage] = {}
            for p in (p for p in transcript if p.chunk.episode_id == episode_id):
                for i in moments.between(p.chunk.start, p.chunk.end):
                    if i not in owner or p.rank < owner[i].rank:
                        owner[i] = p
            ids = set(owner)
            if filters is None or filters.source_type != "summary":
                ids |= self._closest(moments.moment_vectors @ vector, moments, filters, speakers)
                if deep_query is not None and moments.deep_vectors is not None:
                    ids |= self._closest(moments.deep_vectors @ deep_query, moments, filters, speakers)
            ids = sorted(ids)
            signals = [_signal(owner[i], top_bm25) if i in owner else None for i in ids]
            rows.append(features(moments, ids, vector, terms, signals, deep_query))
            cands += [_Candidate(episode_id, i, 0.0, owner.get(i), moments, vector) for i in ids]
        for p in passages:
            if p.chunk.source_type == "summary":
                found = self._summary_candidates(p, vector, terms, top_bm25, deep_query)
                if found:
                    rows.append(found[1])
                    cands += found[0]
        matrix = np.vstack(rows) if rows else np.zeros((0, len(FEATURES)), dtype=np.float32)
        return terms, cands, matrix

    def _partial(self, episode_id: str, transcript: list[Passage]) -> EpisodeMoments:
        """The moments inside an episode's retrieved passages (their sentences are embedded at ingest, or on first
        sight and then cached)."""
        chunks = [p.chunk for p in transcript if p.chunk.episode_id == episode_id]
        return build_moments(episode_id, transcript_sentences(chunks), self.embed, chunks,
                             deep_embed=self.moments.deep_embed)

    def _scope(self, passages: list[Passage], filters: Filters | None) -> tuple[list[str], bool]:
        """The episodes whose moments compete, and whether each is searched whole (its moments closest to the
        question join those inside the passages) or only inside its retrieved passages. Whole for up to
        GLOBAL_EPISODES episodes: over a large catalogue, building every found episode's moments on first sight
        (~0.2 s each) would cost a question seconds."""
        if filters and filters.episode_ids:
            return list(filters.episode_ids), len(filters.episode_ids) <= GLOBAL_EPISODES
        everyone = list(self.episodes())
        if len(everyone) <= GLOBAL_EPISODES:
            return everyone, True
        return list(dict.fromkeys(p.chunk.episode_id for p in passages if p.chunk.source_type == "transcript")), False

    @staticmethod
    def _closest(cos: np.ndarray, moments: EpisodeMoments, filters: Filters | None,
                 speakers: Sequence[str]) -> set[int]:
        """The moments nearest the question (`cos`: each moment's cosine to it), within the filters."""
        if not (filters and (filters.time_from is not None or filters.time_to is not None)) and not speakers:
            n = min(GLOBAL_MOMENTS, len(cos))
            return {int(i) for i in np.argpartition(-cos, n - 1)[:n]} if n else set()
        allowed = np.ones(len(moments), dtype=bool)
        if filters and (filters.time_from is not None or filters.time_to is not None):
            starts = np.asarray(moments.starts)
            if filters.time_from is not None:
                allowed &= starts >= filters.time_from
            if filters.time_to is not None:
                allowed &= starts <= filters.time_to
        if speakers:
            allowed &= np.array([s.speaker in speakers for s in moments.sentences])
        cos = np.where(allowed, cos, -np.inf)
        n = min(GLOBAL_MOMENTS, len(cos))
        top = np.argpartition(-cos, n - 1)[:n] if n else []
        return {int(i) for i in top if np.isfinite(cos[i])}

    def _summary_candidates(self, p: Passage, vector: np.ndarray, terms: QuestionTerms, top_bm25: float,
                            deep_query: np.ndarray | None) -> tuple[list[_Candidate], np.ndarray] | None:
        """A summary passage's sentences as moments of their own (no chapter, no speaker)."""
        sentences = [TranscriptSentence(s, m.start, m.start, None, None) for s, m in p.chunk.sentences()]
        if not sentences:
            return None
        moments = build_moments(p.chunk.id, sentences, self.embed, deep_embed=self.moments.deep_embed)
        ids = list(range(len(moments)))
        signal = _signal(p, top_bm25)
        rows = features(moments, ids, vector, terms, [signal] * len(ids), deep_query)
        return [_Candidate(p.chunk.episode_id, i, 0.0, p, moments, vector) for i in ids], rows

    def _hit(self, c: _Candidate, terms: QuestionTerms) -> MomentHit:
        a, b = _answer_span(c.moments, c.index)
        first = c.moments.sentences[a]
        lo, hi = c.moments.spans([c.index], AROUND_SECONDS)
        around = sum(w for t, w in terms.focus.items() if c.moments.said_in(t, lo, hi)[0]) / terms.total
        lo, hi = c.moments.spans([c.index], NAMES_SECONDS)
        missing = terms.missing_near(c.moments, lo, hi)
        return MomentHit(c.episode_id, a, b, first.start, c.moments.sentences[b].end, first.speaker, c.score,
                         _spoken(c.moments.sentences[a : b + 1]), float(c.moments.moment_vectors[c.index] @ c.vector),
                         around, missing, terms.unknown, self.moment_model)

    def _passages(self, cands: list[_Candidate], k: int, terms: QuestionTerms) -> list[Passage]:
        """Passages by their best moment, best first, each carrying that moment."""
        cands.sort(key=lambda c: -c.score)
        out: list[Passage] = []
        seen: set[str] = set()
        for c in cands:
            passage = c.passage or self._passage_for(c)
            if passage is None or passage.chunk.id in seen:
                continue
            seen.add(passage.chunk.id)
            hit = self._hit(c, terms)
            out.append(replace(passage, score=c.score, rank=len(out) + 1, moment=hit))
            if len(out) >= k:
                break
        return out

    def _passage_for(self, c: _Candidate) -> Passage | None:
        """The chunk that holds a moment the chunk search did not return (the last one starting before it)."""
        t = c.moments.starts[c.index]
        chunk = c.moments.chunk_at(t)
        return self.make_passage(chunk, c.score, 0) if chunk else None
