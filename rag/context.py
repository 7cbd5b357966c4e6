"""The text around a cited moment: the passage's sentences and a few of its neighbours, grouped into speaker turns.

A chunk is ~150 words cut out of a conversation; to judge a citation a reader wants who spoke before and after.
Neighbouring chunks come from the episode's manifest (its chunk ids are in reading order) and overlap by a few
sentences, so sentences are merged by (time, text) before the window is cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.index import ChromaIndex
from rag.models import Chunk, EpisodeRecord


@dataclass(frozen=True)
class ContextSentence:
    text: str
    start: float | None
    speaker: str | None
    in_passage: bool  # part of the retrieved passage (not one of the neighbours shown around it)
    cited: bool  # the sentence the answer relies on


@dataclass(frozen=True)
class ContextTurn:
    """Consecutive sentences of one speaker (a summary section has no speaker: one turn)."""

    speaker: str | None
    start: float | None
    sentences: tuple[ContextSentence, ...]

    @property
    def cited(self) -> bool:
        return any(s.cited for s in self.sentences)


@dataclass(frozen=True)
class SourceContext:
    chunk: Chunk
    episode: EpisodeRecord | None
    turns: tuple[ContextTurn, ...]

    @property
    def start(self) -> float | None:
        starts = [s.start for t in self.turns for s in t.sentences if s.start is not None]
        return min(starts) if starts else None


def passage_context(index: ChromaIndex, chunk: Chunk, at: float | None = None, quote: str | None = None,
                    before: int = 4, after: int = 6, end: float | None = None) -> SourceContext:
    """The sentences around a cited moment, as speaker turns.

    The cited sentence is the one whose text is `quote`, else the first one starting at `at`; with `end` (where a
    quoted moment of several sentences ends), every sentence starting from `at` until `end` is cited too. The window
    is `before` sentences before the first and `after` after it, reaching into the neighbouring chunks. With neither
    (a passage shown as 'closest', not as a citation) the window is the whole chunk with two sentences either side.
    Summary chunks take neighbours from the same section only, transcript chunks from the same episode.
    """
    record = index.records(refresh=False).get(chunk.episode_id)
    ids = record.chunk_ids if record and chunk.id in record.chunk_ids else [chunk.id]
    pos = ids.index(chunk.id)
    neighbour_ids = [i for i in ids[max(0, pos - 1) : pos + 2] if i != chunk.id]
    fetched = [c for c, _ in index.get_chunks(neighbour_ids).values()] if neighbour_ids else []
    same_kind = [
        c for c in fetched
        if c.source_type == chunk.source_type and (chunk.source_type != "summary" or c.section == chunk.section)
    ]
    own = chunk.sentences()
    seen = {(m.start, s) for s, m in own}
    lead = [(s, m) for c in same_kind if c.seq < chunk.seq for s, m in c.sentences() if (m.start, s) not in seen]
    tail = [(s, m) for c in same_kind if c.seq > chunk.seq for s, m in c.sentences() if (m.start, s) not in seen]
    merged = [(s, m, False) for s, m in lead] + [(s, m, True) for s, m in own] + [(s, m, False) for s, m in tail]

    cited = _cited(own, at, quote)
    if cited is None:
        lo, hi = max(0, len(lead) - 2), len(lead) + len(own) + 2
    else:
        centre = len(lead) + cited
        lo, hi = max(0, centre - before), centre + after + 1
    quoted = {len(lead) + cited} if cited is not None else set()
    if cited is not None and at is not None and end is not None and chunk.source_type == "transcript":
        quoted |= {i for i, (_, m, _) in enumerate(merged) if m.start is not None and at <= m.start < end}
    sentences = [
        ContextSentence(s, m.start, m.speaker, in_passage, i in quoted)
        for i, (s, m, in_passage) in enumerate(merged) if lo <= i < hi
    ]
    return SourceContext(chunk, record, tuple(_turns(sentences)))


def _cited(sentences: list, at: float | None, quote: str | None) -> int | None:
    if quote:
        wanted = quote.strip()
        for i, (s, _) in enumerate(sentences):
            if s == wanted:
                return i
    if at is not None:
        for i, (_, m) in enumerate(sentences):
            if m.start is not None and abs(m.start - at) < 0.05:
                return i
    return None


def _turns(sentences: list[ContextSentence]) -> list[ContextTurn]:
    turns: list[ContextTurn] = []
    for s in sentences:
        if turns and turns[-1].speaker == s.speaker:
            last = turns[-1]
            turns[-1] = ContextTurn(last.speaker, last.start, last.sentences + (s,))
        else:
            turns.append(ContextTurn(s.speaker, s.start, (s,)))
    return turns
