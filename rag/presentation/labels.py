"""Plain-text labels for episodes, passages and moments, and the names of verdicts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.text import clip
from rag.timecodes import format_clock

if TYPE_CHECKING:
    from rag.models import Chunk, EpisodeRecord

SEP = " · "

VERDICT_NAMES = {
    "supported": "Supported",
    "contradicted": "Contradicted",
    "misattributed": "Misattributed",
    "not_found": "Not found",
}


def joined(*parts: str | None) -> str:
    """The non-empty parts joined by ' · '."""
    return SEP.join(p for p in parts if p)


def episode_label(record: EpisodeRecord | None, episode_id: str) -> str:
    """'#459' for numbered episodes, else the episode id."""
    if record and record.meta.number is not None:
        return f"#{record.meta.number}"
    return episode_id


def episode_title(record: EpisodeRecord, limit: int | None = None) -> str:
    """'#459 · DeepSeek, China, OpenAI, NVIDIA…' (the id when there is no title), shortened to `limit`."""
    label = episode_label(record, record.id)
    text = joined(label, record.meta.title or (record.id if label != record.id else None))
    return clip(text, limit) if limit else text


def episode_sources(record: EpisodeRecord) -> str:
    """What an episode was made from: 'vtt, summary'."""
    return ", ".join(x for x in (record.transcript_format, "summary" if record.has_summary else None) if x)


def place(source_type: str, start: float | None, speaker: str | None, chapter: str | None,
          section: str | None) -> str:
    """Where something was said: '0:57:36 · Dylan Patel · DeepSeek compute cluster' in a transcript,
    'summary · 2. DeepSeek Models' in a summary."""
    if source_type == "summary":
        return joined("summary", section)
    return joined(format_clock(start), speaker, chapter)


def where(chunk: Chunk, start: float | None = None, speaker: str | None = None) -> str:
    """`place` of a passage: at `start` by `speaker` (a cited moment), else its own start and all its speakers."""
    return place(chunk.source_type, chunk.start if start is None else start,
                 speaker or ", ".join(chunk.speakers), chunk.chapter, chunk.section)


def source_label(chunk: Chunk, start: float | None = None, speaker: str | None = None, *,
                 episode: str | None = None, tag: str | None = None) -> str:
    """'supported · lex-fridman-459 · 0:57:36 · Dylan Patel · DeepSeek compute cluster': what a judge said of it
    (`tag`), the episode, and `where`; renderers put the number ('[2]', '1.') in front."""
    return joined(tag, episode, where(chunk, start, speaker))


def verdict_name(verdict: str) -> str:
    return VERDICT_NAMES.get(verdict, verdict.replace("_", " "))
