"""The episode a question names: "at the end of the DeepSeek episode", "in the Jensen Huang conversation",
"episode 459", "#491". A question that names exactly one indexed episode is answered from it alone, as if its
episode filter were set; a name that fits several episodes ("the NVIDIA episode", when two titles say NVIDIA) or
none routes nowhere. The name only points at the episode: it need not be said near the answer
(`without_episode_name`, read by rag/moment_rank.py)."""

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
        named |= {e for e, meta in episodes.items() if _names(m.group(1), meta)}
    return named.pop() if len(named) == 1 else None


def _names(words: str, meta: EpisodeMeta) -> bool:
    """Whether every one of the words is in the episode's title or its guests' names."""
    wanted = _words(words)
    return bool(wanted) and wanted <= _words(" ".join([meta.title or "", *meta.guests]))


def without_episode_name(question: str, episodes: Mapping[str, EpisodeMeta]) -> str:
    """The question without the name of an indexed episode it names as "the X episode" ("the DeepSeek episode" →
    "the episode"): the name points at the episode, it is not what must be said near the answer. A name that
    fits no indexed episode ("the Sam Altman interview") stays: the question may be about what the library lacks."""
    def drop(m: re.Match) -> str:
        fits = any(_names(m.group(1), meta) for meta in episodes.values())
        return m.group(0).replace(m.group(1), "", 1) if fits else m.group(0)

    return _NAMED.sub(drop, question) if episodes else question


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", re.sub(r"['’]s\b", "", text.lower())))
