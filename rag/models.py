"""Plain typed records passed between the stages.

sources -> (Transcript, Summary, chapters, EpisodeMeta) -> Episode -> Chunk -> index -> Passage -> Answer
Times are seconds on the transcript's clock unless a field says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

SourceType = Literal["transcript", "summary"]


@dataclass(frozen=True)
class Segment:
    """One timed piece of a transcript: a caption cue, a speaker turn, a JSON segment."""

    start: float
    end: float | None
    speaker: str | None
    text: str
    line: int | None = None  # where it starts in the source file, for error messages


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str


@dataclass
class Transcript:
    path: Path
    format: str
    # A list, or for a file too large to hold a sequence that reads it again on each pass (rag/sources/vtt.py).
    segments: Sequence[Segment]
    # Chapters found inside the transcript file itself (lexfridman.com headings); chapters.json wins over these.
    chapters: list[Chapter] = field(default_factory=list)


@dataclass(frozen=True)
class SummaryParagraph:
    text: str
    kind: Literal["text", "quote"]
    # Timestamps the paragraph cites, on the summary's own clock (it may differ from the transcript's).
    times: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()  # the raw references as written, e.g. "13:43", "Final Words"
    line: int | None = None


@dataclass
class SummarySection:
    """A numbered section, or one sub-heading's part of it."""

    title: str  # "2. DeepSeek Models: v3 and R1"
    heading: str | None  # sub-heading inside the section, e.g. "Comparison with Other Models"
    paragraphs: list[SummaryParagraph]
    line: int | None = None

    @property
    def label(self) -> str:
        return f"{self.title} › {self.heading}" if self.heading else self.title

    @property
    def times(self) -> list[float]:
        return [t for p in self.paragraphs for t in p.times]


@dataclass
class Summary:
    path: Path
    title: str | None
    sections: list[SummarySection]


@dataclass
class EpisodeMeta:
    id: str
    podcast: str | None = None
    number: int | None = None
    title: str | None = None
    host: str | None = None
    guests: list[str] = field(default_factory=list)
    published: str | None = None
    video_url: str | None = None
    audio_url: str | None = None
    transcript_url: str | None = None


@dataclass
class Episode:
    """Everything known about one episode, possibly gathered from several folders."""

    meta: EpisodeMeta
    transcript: Transcript | None = None
    summary: Summary | None = None
    chapters: list[Chapter] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def duration(self) -> float | None:
        if not self.transcript or not self.transcript.segments:
            return None
        last = self.transcript.segments[-1]
        return last.end if last.end is not None else last.start


@dataclass
class EpisodeRecord:
    """What the index knows about one ingested episode: its manifest record (see rag/index/manifest.py)."""

    meta: EpisodeMeta
    chunk_ids: list[str]
    fingerprint: str  # of the source files and the chunking settings; unchanged means nothing to do
    chapters: list[Chapter] = field(default_factory=list)
    duration: float | None = None
    files: list[str] = field(default_factory=list)
    transcript_format: str | None = None
    has_summary: bool = False
    ingested_at: str = ""
    # Summary clock minus transcript clock, estimated from the summary's quotes at ingest (None: unknown).
    summary_offset: float | None = None

    @property
    def id(self) -> str:
        return self.meta.id

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> EpisodeRecord:
        data = dict(data)
        data["meta"] = EpisodeMeta(**data["meta"])
        data["chapters"] = [Chapter(**c) for c in data.get("chapters", [])]
        return cls(**data)


@dataclass(frozen=True)
class Moment:
    """Where a sentence starts inside a chunk's text, and when and by whom it was said."""

    offset: int
    start: float | None
    speaker: str | None


@dataclass(frozen=True)
class TranscriptSentence:
    """One sentence of an episode's transcript, in time order (see `transcript_sentences`)."""

    text: str
    start: float | None
    end: float | None  # when the next sentence starts (or the chunk ends)
    speaker: str | None
    chapter: str | None


@dataclass
class Chunk:
    """The unit that is embedded, indexed and retrieved."""

    id: str
    episode_id: str
    source_type: SourceType
    text: str
    start: float | None
    end: float | None
    speakers: list[str]
    chapter: str | None
    section: str | None
    moments: list[Moment]
    seq: int

    def sentences(self) -> list[tuple[str, Moment]]:
        """The chunk's sentences, each with its moment."""
        out = []
        for i, m in enumerate(self.moments):
            stop = self.moments[i + 1].offset if i + 1 < len(self.moments) else len(self.text)
            sentence = self.text[m.offset : stop].strip()
            if sentence:
                out.append((sentence, m))
        return out


@dataclass(frozen=True)
class MomentHit:
    """The moment of a passage that best answers the question: sentences `first`..`last` of the episode's
    transcript (of the passage itself, for a summary passage), when they start and end, who says them."""

    episode_id: str
    first: int
    last: int
    start: float | None
    end: float | None
    speaker: str | None
    score: float  # the moment ranker's score (rag/moment_rank.py WEIGHTS)
    text: str
    cosine: float = 0.0  # question vs the moment's vector
    around: float = 0.0  # share of the question's focus (IDF-weighted) said within a minute of it
    missing: tuple[str, ...] = ()  # names and numbers the question asks about that are said nowhere near it
    unknown: tuple[str, ...] = ()  # of the question's names, those no passage of the index contains
    moment_model: bool = False  # scored with the moment model too (which ranker and abstention rule apply)

    def near(self, other: MomentHit | None, seconds: float = 60.0) -> bool:
        """Whether two moments are the same stretch of talk (same episode, within a minute)."""
        if other is None or self.episode_id != other.episode_id:
            return False
        if self.start is None or other.start is None:
            return self.text == other.text
        return abs(self.start - other.start) < seconds


def transcript_sentences(chunks: Sequence[Chunk]) -> list[TranscriptSentence]:
    """Every transcript sentence of an episode's chunks once, in time order.

    Chunks overlap (each starts with the tail of the previous one), so a sentence seen twice at the same moment is
    kept once. A sentence ends where the next one starts; the last one where its chunk ends.
    """
    seen: set[tuple[float | None, str]] = set()
    found: list[tuple[str, Moment, str | None, float | None]] = []
    for chunk in sorted((c for c in chunks if c.source_type == "transcript"), key=lambda c: c.seq):
        for text, moment in chunk.sentences():
            if (moment.start, text) in seen:
                continue
            seen.add((moment.start, text))
            found.append((text, moment, chunk.chapter, chunk.end))
    found.sort(key=lambda f: f[1].start if f[1].start is not None else float("inf"))
    out = []
    for i, (text, moment, chapter, chunk_end) in enumerate(found):
        nxt = found[i + 1][1].start if i + 1 < len(found) else None
        out.append(TranscriptSentence(text, moment.start, nxt if nxt is not None else chunk_end,
                                      moment.speaker, chapter))
    return out


@dataclass
class Passage:
    """A retrieved chunk with its score, rank and links."""

    chunk: Chunk
    score: float
    rank: int
    url: str | None
    audio_url: str | None = None
    dense_score: float | None = None  # cosine similarity, when the dense side found it
    lexical_score: float | None = None  # BM25, when the lexical side found it
    # For a summary passage: the summary's clock minus the transcript's, when estimated (see rag/summary_check.py).
    summary_offset: float | None = None
    moment: MomentHit | None = None  # its best moment, when passages were ranked by moment (rag/rerank.py)

    def transcript_time(self, t: float | None) -> float | None:
        """A time of this passage on the transcript's clock: transcript times as they are; a summary's cited
        time shifted by the summary's clock offset (None while that offset is unknown)."""
        if t is None or self.chunk.source_type == "transcript":
            return t
        return max(0.0, t - self.summary_offset) if self.summary_offset is not None else None

    def to_json(self) -> dict:
        c = self.chunk
        out = {
            "rank": self.rank,
            "score": round(self.score, 6),
            "chunk_id": c.id,
            "episode_id": c.episode_id,
            "source_type": c.source_type,
            "start": c.start,
            "end": c.end,
            "speakers": c.speakers,
            "chapter": c.chapter,
            "section": c.section,
            "text": c.text,
            "url": self.url,
            "audio_url": self.audio_url,
        }
        if c.source_type == "summary" and self.transcript_time(c.start) is not None:
            out["transcript_start"] = self.transcript_time(c.start)
        if self.moment is not None:
            m = self.moment
            out["moment"] = {"start": m.start, "end": m.end, "speaker": m.speaker, "text": m.text}
        return out


@dataclass
class Citation:
    """A numbered source under an answer: a transcript moment or a summary section."""

    n: int
    passage: Passage
    start: float | None  # the cited moment (a sentence), inside the passage
    end: float | None
    speaker: str | None
    quote: str  # the sentence the answer relies on
    url: str | None
    audio_url: str | None = None
    # For a summary citation: its cited time on the transcript's clock, when the summary's offset is known.
    transcript_start: float | None = None

    def to_json(self) -> dict:
        c = self.passage.chunk
        out = {
            "n": self.n,
            "episode_id": c.episode_id,
            "source_type": c.source_type,
            "start": self.start,
            "end": self.end,
            "speakers": [self.speaker] if self.speaker else c.speakers,
            "chapter": c.chapter,
            "section": c.section,
            "text": c.text,
            "quote": self.quote,
            "url": self.url,
            "audio_url": self.audio_url,
            "passage_start": c.start,
            "passage_end": c.end,
            "chunk_id": c.id,
        }
        if self.transcript_start is not None:
            out["transcript_start"] = self.transcript_start
        return out


@dataclass(frozen=True)
class Evidence:
    """How strongly the corpus supports an answer: what the abstention decision was based on."""

    best_cosine: float  # question vs the best sentence (with its neighbours)
    best_score: float  # the answerer's combined score of that sentence
    unknown_words: list[str] = field(default_factory=list)  # question words no passage contains
    # how likely the first citation is the moment that answers (rag/moment_rank.py CONFIDENCE_WEIGHTS); None: not
    # assessed (an answer not ranked by moment)
    cited_probability: float | None = None


@dataclass(frozen=True)
class Unsupported:
    """A sentence of a generated answer that its cited sources do not back up, and why."""

    sentence: str
    reason: str


@dataclass
class Answer:
    answer: str
    abstained: bool
    mode: str  # "extractive" or "llm"
    citations: list[Citation]
    # Closest passages, shown when the answer abstains so the user can still look.
    closest: list[Passage] = field(default_factory=list)
    notice: str | None = None  # e.g. why an LLM answer fell back to extractive
    model: str | None = None
    evidence: Evidence | None = None
    # Checks of a generated (LLM) answer; an extractive answer quotes its sources and has none.
    unsupported: list[Unsupported] = field(default_factory=list)
    removed_citations: list[int] = field(default_factory=list)  # [n] naming no given source, as written
    sentences: int = 0  # sentences checked
    # Another place matches almost as well as the cited moment: the answer says it is not sure which one answers.
    unsure: bool = False

    def to_json(self) -> dict:
        out = {
            "answer": self.answer,
            "abstained": self.abstained,
            "mode": self.mode,
            "citations": [c.to_json() for c in self.citations],
        }
        if self.abstained:
            out["closest"] = [p.to_json() for p in self.closest]
        if self.notice:
            out["notice"] = self.notice
        if self.model:
            out["model"] = self.model
        if self.evidence:
            out["evidence"] = {
                "best_cosine": round(self.evidence.best_cosine, 4),
                "best_score": round(self.evidence.best_score, 4),
                "unknown_words": self.evidence.unknown_words,
            }
            if self.evidence.cited_probability is not None:
                out["evidence"]["cited_probability"] = round(self.evidence.cited_probability, 4)
                if not self.abstained:
                    out["unsure"] = self.unsure
        if self.mode == "llm":
            out["unsupported"] = [{"sentence": u.sentence, "reason": u.reason} for u in self.unsupported]
            out["removed_citations"] = self.removed_citations
            out["checks"] = {
                "sentences": self.sentences,
                "unsupported": len(self.unsupported),
                "removed_citations": len(self.removed_citations),
            }
        return out


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a chat, for follow-up questions."""

    question: str
    answer: str


@dataclass(frozen=True)
class Filters:
    """Restrictions on what retrieval may return."""

    episode_ids: tuple[str, ...] = ()
    speaker: str | None = None
    source_type: SourceType | None = None
    time_from: float | None = None  # the passage ends at or after this second
    time_to: float | None = None  # the passage starts at or before this second
