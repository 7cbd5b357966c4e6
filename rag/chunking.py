"""Cut an episode into chunks: transcript chunks follow speaker turns inside one chapter, summary chunks stay
inside one section. Every sentence keeps its own start time and speaker (a `Moment`) so an answer can cite the
second a thing was said, not just the start of a 60-second chunk.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass

from rag.models import Chapter, Chunk, Episode, Moment, Segment, Summary

# A sentence ends at . ! ? (or … ) followed by space and a capital, digit or quote. Captions are punctuated well
# enough for this; a library sentence splitter would need model downloads (nltk punkt) for little gain here.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
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


def split_sentences(text: str, max_words: int = 60) -> list[str]:
    """Split text into sentences; cut sentences longer than `max_words` into even pieces."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        sentence = sentence.strip()
        if not sentence:
            continue
        words = sentence.split()
        if len(words) <= max_words:
            out.append(sentence)
            continue
        pieces = -(-len(words) // max_words)
        size = -(-len(words) // pieces)
        out.extend(" ".join(words[i : i + size]) for i in range(0, len(words), size))
    return out


def chapter_of(chapters: list[Chapter], t: float) -> Chapter | None:
    """The chapter playing at time t (chapters sorted by start); a 1 s tolerance absorbs rounded chapter marks."""
    starts = [c.start for c in chapters]
    i = bisect.bisect_right(starts, t + 1.0) - 1
    return chapters[i] if i >= 0 else None


def _turns(segments: list[Segment], chapters: list[Chapter]) -> list[tuple[Chapter | None, list[Segment]]]:
    """Group consecutive segments by (chapter, speaker)."""
    turns: list[tuple[Chapter | None, list[Segment]]] = []
    for seg in segments:
        chapter = chapter_of(chapters, seg.start)
        if turns and turns[-1][0] == chapter and turns[-1][1][-1].speaker == seg.speaker:
            turns[-1][1].append(seg)
        else:
            turns.append((chapter, [seg]))
    return turns


def _segment_end(seg: Segment, next_start: float | None) -> float:
    if seg.end is not None and seg.end > seg.start:
        return seg.end
    if next_start is not None and next_start > seg.start:
        return next_start
    return seg.start + max(1.0, word_count(seg.text) / SPEECH_WORDS_PER_SECOND)


def _timed_sentences(segs: list[Segment], next_start: float | None, turn: int) -> list[Sentence]:
    """Sentences of one turn, each timed by interpolating over the characters of the segments it falls in."""
    text_parts: list[str] = []
    spans: list[tuple[int, int, float, float]] = []  # char start, char end, time start, time end
    pos = 0
    for i, seg in enumerate(segs):
        piece = seg.text.strip()
        if not piece:
            continue
        if text_parts:
            text_parts.append(" ")
            pos += 1
        nxt = segs[i + 1].start if i + 1 < len(segs) else next_start
        spans.append((pos, pos + len(piece), seg.start, _segment_end(seg, nxt)))
        text_parts.append(piece)
        pos += len(piece)
    text = "".join(text_parts)
    span_starts = [s[0] for s in spans]

    def time_at(offset: int) -> float:
        a, b, t0, t1 = spans[max(0, bisect.bisect_right(span_starts, offset) - 1)]
        frac = min(1.0, max(0.0, (offset - a) / max(1, b - a)))
        return round(t0 + frac * (t1 - t0), 1)

    out: list[Sentence] = []
    cursor = 0
    speaker = segs[0].speaker
    for sentence in split_sentences(text):
        offset = text.find(sentence.split()[0], cursor)
        offset = cursor if offset < 0 else offset
        cursor = offset + len(sentence.split()[0])
        out.append(Sentence(sentence, time_at(offset), None, speaker, turn, word_count(sentence)))
    # A sentence ends when the next one starts; the last one when the turn's last segment does.
    turn_end = spans[-1][3] if spans else None
    return [
        Sentence(s.text, s.start, out[i + 1].start if i + 1 < len(out) else turn_end, s.speaker, s.turn, s.words)
        for i, s in enumerate(out)
    ]


def _pack(sentences: list[Sentence], cfg: ChunkingConfig) -> list[list[Sentence]]:
    """Pack sentences into groups of about target_words, never above max_words (unless one sentence is), ending at
    a speaker change when one is close, and starting each group with a little of the previous one."""
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    carried = 0  # leading sentences of `current` repeated from the previous group

    def close() -> None:
        nonlocal current, carried
        groups.append(current)
        current = _overlap(current, cfg.overlap_words)
        carried = len(current)

    for i, s in enumerate(sentences):
        if _words(current) + s.words > cfg.max_words:
            if len(current) > carried:
                close()
            if _words(current) + s.words > cfg.max_words:
                current, carried = [], 0  # the overlap would push this group over the limit: drop it
        current.append(s)
        nxt = sentences[i + 1] if i + 1 < len(sentences) else None
        if nxt is None:
            break
        words = _words(current)
        if words >= cfg.target_words or (nxt.turn != s.turn and words >= 0.7 * cfg.target_words):
            close()
    fresh = current[carried:]
    if fresh:
        # A short tail reads better merged into the previous group than as a scrap of its own.
        if groups and _words(fresh) < 0.25 * cfg.target_words and _words(groups[-1]) + _words(fresh) <= cfg.max_words:
            groups[-1].extend(fresh)
        else:
            groups.append(current)
    return groups


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
    segments = episode.transcript.segments
    chapters = sorted(episode.chapters, key=lambda c: c.start)
    turns = _turns(segments, chapters)
    chunks: list[Chunk] = []
    i = 0
    while i < len(turns):
        chapter = turns[i][0]
        sentences: list[Sentence] = []
        while i < len(turns) and turns[i][0] == chapter:
            next_start = turns[i + 1][1][0].start if i + 1 < len(turns) else None
            sentences.extend(_timed_sentences(turns[i][1], next_start, i))
            i += 1
        for group in _pack(sentences, cfg):
            chunks.append(
                _make_chunk(episode.id, "transcript", group, chapter.title if chapter else None, None, len(chunks))
            )
    return chunks


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
    cfg = cfg or ChunkingConfig()
    chunks = chunk_transcript(episode, cfg)
    if episode.summary:
        chunks += chunk_summary(episode.id, episode.summary, cfg, first_seq=len(chunks))
    return chunks


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
