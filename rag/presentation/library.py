"""The indexed episodes as rows: what the Library tab and `podcast-rag episodes` list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.presentation.labels import episode_sources, episode_title
from rag.timecodes import format_clock

if TYPE_CHECKING:
    from rag.models import EpisodeRecord


@dataclass(frozen=True)
class EpisodeRow:
    id: str
    title: str  # the title alone ("" when there is none)
    heading: str  # "#459 · title" (the id when there is no title)
    podcast: str
    guests: str
    published: str
    length: str  # "5:06:11", "" when unknown
    chapters: list[tuple[str, str]]  # (clock, title)
    chunks: int
    sources: str  # "vtt, summary"


def episode_rows(records: list[EpisodeRecord]) -> list[EpisodeRow]:
    return [
        EpisodeRow(
            id=r.id,
            title=r.meta.title or "",
            heading=episode_title(r),
            podcast=r.meta.podcast or "",
            guests=", ".join(r.meta.guests),
            published=r.meta.published or "",
            length=format_clock(r.duration) if r.duration else "",
            chapters=[(format_clock(ch.start), ch.title) for ch in r.chapters],
            chunks=len(r.chunk_ids),
            sources=episode_sources(r),
        )
        for r in records
    ]
