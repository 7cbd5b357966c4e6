"""An answer as people see it: its sources (the numbered citations, or for an abstention the closest passages)
and the line that reports what the citation checks found."""

from __future__ import annotations

from dataclasses import dataclass

from rag.models import Answer, Chunk
from rag.presentation.labels import source_label


@dataclass(frozen=True)
class Source:
    """One source under an answer: a citation (numbered) or, for an abstention, one of the closest passages (at its
    best moment, when it has one)."""

    n: int | None
    chunk: Chunk
    start: float | None
    end: float | None
    speaker: str | None  # who said the cited sentence; None: the passage's speakers
    quote: str | None  # the cited sentence (or moment)
    url: str | None
    audio_url: str | None

    def label(self, episode: str | None = None) -> str:
        """'[2] #459 · 0:57:36 · Dylan Patel · DeepSeek compute cluster' (the episode only when given)."""
        text = source_label(self.chunk, self.start, self.speaker, episode=episode)
        return f"[{self.n}] {text}" if self.n is not None else text


def sources_of(answer: Answer) -> list[Source]:
    """The sources of an answer, in the order they are numbered."""
    if answer.citations:
        return [Source(c.n, c.passage.chunk, c.start, c.end, c.speaker, c.quote, c.url, c.audio_url)
                for c in answer.citations]
    # the closest passages of an abstention, each at its best moment when it was ranked by moment
    return [Source(None, p.chunk, p.moment.start, p.moment.end, p.moment.speaker, p.moment.text, p.url, p.audio_url)
            if p.moment is not None and p.moment.start is not None else
            Source(None, p.chunk, p.chunk.start, p.chunk.end, None, None, p.url, p.audio_url)
            for p in answer.closest]


def unsure_text(answer: Answer) -> str | None:
    """'Not sure which moment answers this: [1] and [2] match about equally well.' when another place scores about
    as well as the first moment (`Answer.unsure`), naming that place's citation when the answer cites it; else None."""
    if not answer.unsure or not answer.citations:
        return None
    first = answer.citations[0].passage.moment
    rival = next((c.n for c in answer.citations[1:] if c.passage.moment is not None and first is not None
                  and not c.passage.moment.near(first)), None)
    if rival:
        return f"Not sure which moment answers this: [1] and [{rival}] match about equally well."
    return "Not sure this moment answers it: another part of the conversation matches about as well."


def unsupported_text(answer: Answer) -> str | None:
    """'1 of 2 sentences not backed by their cited sources', or None when every sentence is."""
    if not answer.unsupported:
        return None
    return (f"{len(answer.unsupported)} of {answer.sentences or len(answer.unsupported)} sentences not backed by "
            "their cited sources")


def removed_text(answer: Answer) -> str | None:
    """'removed citations [9], [12] to no given source', or None when the answer cited only given sources."""
    if not answer.removed_citations:
        return None
    names = ", ".join(f"[{n}]" for n in answer.removed_citations)
    return f"removed citation{'s' if len(answer.removed_citations) > 1 else ''} {names} to no given source"
