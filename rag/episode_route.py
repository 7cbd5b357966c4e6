"""The episode a question names: "at the end of the DeepSeek episode", "in the Jensen Huang conversation",
"episode 459", "#491". A question that names exactly one indexed episode is answered from it alone, as if its
episode filter were set; a name that fits several episodes ("the NVIDIA episode", when two titles say NVIDIA) or
none routes nowhere. The name only points at the episode: it need not be said near the answer
(rag/moment_rank.py `without_pointers`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rag.models import EpisodeMeta

# Nouns for the conversation itself, which a name before them only points at.
EPISODE_NOUNS = frozenset("episode episodes conversation conversations interview podcast".split())

# "the <Capitalised words> episode": the words a title or a guest's name would have
_NAMED = re.compile(r"\b[Tt]he ((?:[A-Z0-9][\w'’.&:-]*\s+){1,5})(?:" + "|".join(sorted(EPISODE_NOUNS)) + r")\b")
_NUMBER = re.compile(r"(?:\bepisode\s+#?|#)(\d{1,5})\b", re.I)


def named_episode(question: str, episodes: Mapping[str, EpisodeMeta]) -> str | None:
    """The id of the one episode the question names, by its title, a guest or its number; None otherwise."""
    named: set[str] = set()
    for m in _NUMBER.finditer(question):
        named |= {e for e, meta in episodes.items() if meta.number == int(m.group(1))}
    for m in _NAMED.finditer(question):
        words = _words(m.group(1))
        named |= {e for e, meta in episodes.items()
                  if words and words <= _words(" ".join([meta.title or "", *meta.guests]))}
    return named.pop() if len(named) == 1 else None


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", re.sub(r"['’]s\b", "", text.lower())))
