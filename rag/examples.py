"""Example questions for whatever is indexed, made from the episodes' chapter titles (so they always have answers)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.models import EpisodeRecord

# Chapters that are about the show rather than a topic make poor questions.
_NOT_A_TOPIC = re.compile(r"^(intro(duction)?|episode highlights?|outro|conclusion|sponsors?|ad read|break)\b", re.I)


def example_questions(records: Iterable[EpisodeRecord], k: int = 4) -> list[str]:
    """Up to `k` questions, taken in turn from each episode: chapter titles that are questions as they are,
    others as "What do they say about “title”?"; an episode without chapters gets one about its title."""
    per_episode: list[list[str]] = []
    for record in records:
        topics = [c.title.strip() for c in record.chapters if c.title.strip() and not _NOT_A_TOPIC.match(c.title)]
        if not topics and record.meta.title:
            topics = [record.meta.title.strip()]
        # Question-shaped titles first, then the rest spread over the episode rather than its first minutes.
        asked = [t for t in topics if t.endswith("?")]
        rest = [t for t in topics if not t.endswith("?")]
        spread = rest[1 :: max(1, len(rest) // 3)]
        ordered = asked + spread + [t for t in rest if t not in spread]
        per_episode.append([t if t.endswith("?") else f"What do they say about “{t}”?" for t in ordered])
    out: list[str] = []
    round_ = 0
    while len(out) < k and any(round_ < len(qs) for qs in per_episode):
        for qs in per_episode:
            if round_ < len(qs) and len(out) < k and qs[round_] not in out:
                out.append(qs[round_])
        round_ += 1
    return out
