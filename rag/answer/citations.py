"""Turning a cited sentence of a passage into a `Citation`: its moment, speaker and links at that second.

Shared by every answerer, so an extractive quote and an LLM's `[n]` resolve to sources the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from rag.models import Citation, Moment, Passage
from rag.timecodes import audio_link, video_link

# episode id -> (video url, audio url)
Links = Callable[[str], tuple[str | None, str | None]]


def no_links(_episode_id: str) -> tuple[str | None, str | None]:
    return None, None


def sentence_end(passage: Passage, index: int) -> float | None:
    """When sentence `index` of the passage ends: the next sentence's start, or the passage's end."""
    moments = passage.chunk.moments
    if index + 1 < len(moments) and moments[index + 1].start is not None:
        return moments[index + 1].start
    return passage.chunk.end


def cite(n: int, passage: Passage, sentence: str, moment: Moment, end: float | None, links: Links) -> Citation:
    """Citation number `n` of `sentence` (said at `moment`), linked to the video or audio at its second."""
    video, audio = links(passage.chunk.episode_id)
    t = moment.start
    # A summary's cited time moved to the transcript's clock when the summary's offset is known, so links open at
    # the right second.
    shifted = passage.transcript_time(t) if passage.chunk.source_type == "summary" else None
    at = shifted if shifted is not None else t
    url = video_link(video, at) or audio_link(audio, at) or passage.url
    return Citation(n, passage, t, end, moment.speaker, sentence, url, audio_link(audio, at), shifted)


def cite_sentence(n: int, passage: Passage, index: int, links: Links) -> Citation:
    """Citation number `n` of sentence `index` of the passage."""
    sentence, moment = passage.chunk.sentences()[index]
    return cite(n, passage, sentence, moment, sentence_end(passage, index), links)


def cite_moment(n: int, passage: Passage, links: Links) -> Citation:
    """Citation number `n` of the passage's best moment (it must have one): its words, from its start to its end."""
    m = passage.moment
    return cite(n, passage, m.text, Moment(0, m.start, m.speaker), m.end, links)


def at_moments(passages: Sequence[Passage], links: Links, limit: int = 3) -> list[Passage]:
    """The closest passages of an abstention (at most `limit`), each linked at its best moment's second (where to
    look) rather than at the passage's start. Overlapping passages often share their best moment: a moment in the
    same stretch of talk as one already listed is left out, so each entry is another place to look."""
    out: list[Passage] = []
    for p in passages:
        if len(out) >= limit:
            break
        m = p.moment
        if m is None or m.start is None:
            out.append(p)
            continue
        if any(m.near(o.moment) for o in out):
            continue
        c = cite_moment(0, p, links)
        out.append(dataclasses.replace(p, url=c.url, audio_url=c.audio_url or p.audio_url))
    return out
