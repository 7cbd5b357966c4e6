"""Cut an episode into chunks: transcript chunks follow speaker turns inside one chapter, summary chunks stay
inside one section. Every sentence keeps its own start time and speaker (a `Moment`) so an answer can cite the
second a thing was said, not just the start of a 60-second chunk.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from rag.models import Chapter, Chunk, Episode, Moment, Segment, Summary

# A sentence ends at . ! ? (or … ) followed by space and a capital, digit or quote. Captions are punctuated well
# enough for this; a library sentence splitter would need model downloads (nltk punkt) for little gain here. The
# quotation marks and brackets that close a sentence stay with it ('blog "Interconnects." The …'): only the space
# between two sentences (group 1) is cut. Nor does a sentence end at a title before a name ("Mr. Smith", "Dr.
# Lambert"). A single capital is left a sentence end: in these episodes "on X." and "the letter M." end sentences
# more often than an initial ("George W. Bush") or "U.S." goes on.
_TITLES = ("Mr", "Ms", "Dr", "St", "Jr", "Sr", "vs", "Mrs", "Prof")
_SENTENCE_END = re.compile(
    r"(?<=[.!?…])" + "".join(rf"(?<!\b{t}\.)" for t in _TITLES) + r"[\"”’)\]]*(\s+)(?=[\"“‘(\[]?[A-Z0-9])")
_WORD = re.compile(r"\S+")
SPEECH_WORDS_PER_SECOND = 2.7  # used only to guess when an open-ended last segment stops


@dataclass(frozen=True)
class ChunkingConfig:
    target_words: int = 150
    max_words: int = 200
    overlap_words: int = 30
    # Sentences longer than this (unpunctuated caption runs) are cut into pieces so they can be timed and packed.
    max_sentence_words: int = 60


@dataclass(frozen=True)
class Sentence:
    text: str
    start: float | None
    end: float | None
    speaker: str | None
    turn: int  # index of the speaker turn it belongs to
    words: int


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _sentence_breaks(text: str, pos: int = 0) -> Iterator[tuple[int, int]]:
    """Where each sentence of `text` from `pos` on ends, and where the next one starts: the space between them
    (group 1 of _SENTENCE_END), so the marks that close a sentence stay with it."""
    for m in _SENTENCE_END.finditer(text, pos):
        yield m.start(1), m.end()


def split_sentences(text: str, max_words: int = 60) -> list[str]:
    """Split text into sentences; cut sentences longer than `max_words` into even pieces."""
    text, start, out = text.strip(), 0, []
    for end, after in _sentence_breaks(text):
        out += _cut_long(text[start:end], max_words)
        start = after
    return out + _cut_long(text[start:], max_words)


def _cut_long(sentence: str, max_words: int = 60) -> list[str]:
    """A sentence (stripped) as it is, or cut into even pieces of at most `max_words`; [] when it is empty."""
    sentence = sentence.strip()
    if not sentence:
        return []
    words = sentence.split()
    if len(words) <= max_words:
        return [sentence]
    pieces = -(-len(words) // max_words)
    size = -(-len(words) // pieces)
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


def chapter_of(chapters: list[Chapter], t: float) -> Chapter | None:
    """The chapter playing at time t (chapters sorted by start); a 1 s tolerance absorbs rounded chapter marks."""
    starts = [c.start for c in chapters]
    i = bisect.bisect_right(starts, t + 1.0) - 1
    return chapters[i] if i >= 0 else None


def _segment_end(seg: Segment, next_start: float | None) -> float:
    if seg.end is not None and seg.end > seg.start:
        return seg.end
    if next_start is not None and next_start > seg.start:
        return next_start
    return seg.start + max(1.0, word_count(seg.text) / SPEECH_WORDS_PER_SECOND)


class _TurnSentences:
    """One speaker turn's sentences, each timed by interpolating over the characters of the segments it falls in,
    made as the segments arrive. It keeps only the text from the last sentence's first word on (where the next
    sentence is looked for) and the unfinished sentence: memory is bounded by a sentence, not the turn."""

    def __init__(self, speaker: str | None, turn: int):
        self.speaker, self.turn = speaker, turn
        self.text = ""  # the turn's text from `base` on
        self.base = 0  # position of text[0] in the whole turn's text
        self.length = 0  # length of the whole turn's text so far
        self.spans: list[tuple[int, int, float, float]] = []  # char start, char end, time start, time end
        self.split_from = 0  # where the sentence not yet made starts
        self.cursor = 0  # where the next sentence's first word is looked for (as the whole-text version did)
        self.last: Sentence | None = None  # made, waiting for the next one's start as its end

    def add(self, seg: Segment, next_start: float | None) -> Iterator[Sentence]:
        """Add a segment (`next_start`: when the turn's next segment, or the next turn, starts); yields the
        sentences this completes."""
        piece = seg.text.strip()
        if not piece:
            return
        if self.length:
            self.text += " "
            self.length += 1
        self.spans.append((self.length, self.length + len(piece), seg.start, _segment_end(seg, next_start)))
        self.text += piece
        self.length += len(piece)
        start = self.split_from - self.base
        for end, after in _sentence_breaks(self.text, start):
            yield from self._sentences(self.text[start:end])
            start = after
        self.split_from = self.base + start
        self._forget()

    def end(self) -> Iterator[Sentence]:
        """The rest of the turn's sentences, the last one ending where its last segment does."""
        yield from self._sentences(self.text[self.split_from - self.base :])
        if self.last is not None:
            yield replace(self.last, end=self.spans[-1][3] if self.spans else None)
            self.last = None

    def _sentences(self, raw: str) -> Iterator[Sentence]:
        for sentence in _cut_long(raw):
            first = sentence.split()[0]
            found = self.text.find(first, self.cursor - self.base)
            offset = self.cursor if found < 0 else self.base + found
            self.cursor = offset + len(first)
            made = Sentence(sentence, self._time_at(offset), None, self.speaker, self.turn, word_count(sentence))
            if self.last is not None:
                yield replace(self.last, end=made.start)  # a sentence ends when the next one starts
            self.last = made

    def _time_at(self, offset: int) -> float:
        a, b, t0, t1 = self.spans[max(0, bisect.bisect_right(self.spans, (offset, float("inf"))) - 1)]
        frac = min(1.0, max(0.0, (offset - a) / max(1, b - a)))
        return round(t0 + frac * (t1 - t0), 1)

    def _forget(self) -> None:
        """Drop the text before the cursor, and the spans no time can be read from any more."""
        keep = min(self.cursor, self.split_from)
        if keep > self.base:
            self.text = self.text[keep - self.base :]
            self.base = keep
        first = max(0, bisect.bisect_right(self.spans, (keep, float("inf"))) - 1)
        if first:
            del self.spans[:first]


def _sentences(segments: Iterable[Segment], chapters: list[Chapter]) -> Iterator[tuple[Chapter | None, Sentence]]:
    """Every sentence of the transcript with its chapter, in order; a turn is a run of segments of one speaker
    within one chapter. Reads one segment ahead (a segment's end may be the next one's start)."""
    turn: _TurnSentences | None = None
    count = -1
    held: tuple[Segment, Chapter | None] | None = None
    for seg in _with_end(segments):
        chapter = chapter_of(chapters, seg.start) if seg is not None else None
        if held is not None:
            prev, prev_chapter = held
            new_turn = seg is None or chapter != prev_chapter or seg.speaker != prev.speaker
            for sentence in turn.add(prev, seg.start if seg is not None else None):
                yield prev_chapter, sentence
            if new_turn:
                yield from ((prev_chapter, s) for s in turn.end())
                turn = None
        if seg is None:
            return
        if turn is None:
            count += 1
            turn = _TurnSentences(seg.speaker, count)
        held = (seg, chapter)


def _with_end(items: Iterable[Segment]) -> Iterator[Segment | None]:
    yield from items
    yield None


def _pack(sentences: Iterable[Sentence], cfg: ChunkingConfig) -> Iterator[list[Sentence]]:
    """Pack sentences into groups of about target_words, never above max_words (unless one sentence is), ending at
    a speaker change when one is close, and starting each group with a little of the previous one. A group is
    given out once the next one is closed (a short tail may still join it)."""
    held: list[Sentence] | None = None  # the last closed group
    current: list[Sentence] = []
    carried = 0  # leading sentences of `current` repeated from the previous group

    def close() -> list[Sentence] | None:
        nonlocal current, carried, held
        out, held = held, current
        current = _overlap(current, cfg.overlap_words)
        carried = len(current)
        return out

    pending = iter(sentences)
    s = next(pending, None)
    while s is not None:
        if _words(current) + s.words > cfg.max_words:
            if len(current) > carried and (out := close()) is not None:
                yield out
            if _words(current) + s.words > cfg.max_words:
                current, carried = [], 0  # the overlap would push this group over the limit: drop it
        current.append(s)
        nxt = next(pending, None)
        if nxt is None:
            break
        words = _words(current)
        if (words >= cfg.target_words or (nxt.turn != s.turn and words >= 0.7 * cfg.target_words)) and \
                (out := close()) is not None:
            yield out
        s = nxt
    fresh = current[carried:]
    if fresh:
        # A short tail reads better merged into the previous group than as a scrap of its own.
        if held is not None and _words(fresh) < 0.25 * cfg.target_words and \
                _words(held) + _words(fresh) <= cfg.max_words:
            held.extend(fresh)
        else:
            if held is not None:
                yield held
            held = current
    if held is not None:
        yield held


def _words(group: list[Sentence]) -> int:
    return sum(s.words for s in group)


def _overlap(group: list[Sentence], budget: int) -> list[Sentence]:
    """The trailing sentences of a group that fit in `budget` words, to start the next group with."""
    tail: list[Sentence] = []
    words = 0
    for s in reversed(group):
        if words + s.words > budget:
            break
        tail.insert(0, s)
        words += s.words
    return tail


def _chunk_id(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:20]


def _make_chunk(episode_id: str, source_type: str, group: list[Sentence], chapter: str | None,
                section: str | None, seq: int) -> Chunk:
    text_parts: list[str] = []
    moments: list[Moment] = []
    pos = 0
    for s in group:
        if text_parts:
            text_parts.append(" ")
            pos += 1
        moments.append(Moment(pos, s.start, s.speaker))
        text_parts.append(s.text)
        pos += len(s.text)
    text = "".join(text_parts)
    speakers = list(dict.fromkeys(s.speaker for s in group if s.speaker))
    starts = [s.start for s in group if s.start is not None]
    ends = [s.end if s.end is not None else s.start for s in group if s.start is not None]
    start = min(starts) if starts else None
    end = max(ends) if ends else None
    cid = _chunk_id(episode_id, source_type, chapter, section, start, end, text, [m.speaker for m in moments])
    return Chunk(cid, episode_id, source_type, text, start, end, speakers, chapter, section, moments, seq)


def chunk_transcript(episode: Episode, cfg: ChunkingConfig) -> list[Chunk]:
    """Chunks of the episode's transcript, never crossing a chapter."""
    if not episode.transcript:
        return []
    return list(iter_transcript_chunks(episode.id, episode.transcript.segments, episode.chapters, cfg))


def iter_transcript_chunks(episode_id: str, segments: Iterable[Segment], chapters: list[Chapter],
                           cfg: ChunkingConfig, first_seq: int = 0) -> Iterator[Chunk]:
    """The transcript's chunks as its segments are read: what is held at a time is one chapter's unfinished
    chunk and one unfinished sentence, so a transcript too large for memory streams through (rag/sources/vtt.py)."""
    chapters = sorted(chapters, key=lambda c: c.start)
    seq = first_seq
    for chapter, items in itertools.groupby(_sentences(segments, chapters), key=lambda item: item[0]):
        for group in _pack((sentence for _, sentence in items), cfg):
            yield _make_chunk(episode_id, "transcript", group, chapter.title if chapter else None, None, seq)
            seq += 1


def chunk_summary(episode_id: str, summary: Summary, cfg: ChunkingConfig, first_seq: int = 0) -> list[Chunk]:
    """Chunks of a summary, never crossing a section. Times are the ones the summary cites (its own clock)."""
    chunks: list[Chunk] = []
    for turn, section in enumerate(summary.sections):
        sentences: list[Sentence] = []
        for para in section.paragraphs:
            t = para.times[0] if para.times else None
            for sentence in split_sentences(para.text, cfg.max_sentence_words):
                sentences.append(Sentence(sentence, t, t, None, turn, word_count(sentence)))
        for group in _pack(sentences, ChunkingConfig(cfg.target_words, cfg.max_words, 0)):
            chunks.append(_make_chunk(episode_id, "summary", group, None, section.label, first_seq + len(chunks)))
    return chunks


def chunk_episode(episode: Episode, cfg: ChunkingConfig | None = None) -> list[Chunk]:
    """All chunks of an episode: transcript first, then summary."""
    return list(iter_chunks(episode, cfg))


def iter_chunks(episode: Episode, cfg: ChunkingConfig | None = None) -> Iterator[Chunk]:
    """`chunk_episode`, one chunk at a time (a streamed transcript is never held whole)."""
    cfg = cfg or ChunkingConfig()
    seq = 0
    if episode.transcript:
        for chunk in iter_transcript_chunks(episode.id, episode.transcript.segments, episode.chapters, cfg):
            yield chunk
            seq += 1
    if episode.summary:
        yield from chunk_summary(episode.id, episode.summary, cfg, first_seq=seq)


def embedding_text(chunk: Chunk) -> str:
    """What the embedder and BM25 see: the chunk with its chapter or section as a header and speaker labels at
    each change of speaker, so "what did Nathan say about X" and topic words of the chapter can match."""
    header = f"{chunk.chapter}." if chunk.chapter else (f"Summary, {chunk.section}." if chunk.section else "")
    parts = [header] if header else []
    last = None
    for sentence, moment in chunk.sentences():
        if moment.speaker and moment.speaker != last:
            parts.append(f"{moment.speaker}:")
            last = moment.speaker
        parts.append(sentence)
    return " ".join(parts)
