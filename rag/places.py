"""Ways to say a place: its name, its people's adjective, its capital as the seat of its government. A question
asks what "Beijing" does with your data and the guests say "the Chinese government"; a claim says "United States"
and the transcript "the US". A closed, general list (countries and regions the episodes' news touches on), not one
fitted to any question.
"""

from __future__ import annotations

import re
from functools import lru_cache

_GROUPS = (
    "united states|us|u s|usa|u s a|america|american|americans|washington",
    "china|chinese|prc|beijing",
    "taiwan|taiwanese|taipei",
    "japan|japanese|tokyo",
    "korea|korean|koreans|south korea|seoul",
    "russia|russian|russians|moscow|kremlin",
    "united kingdom|uk|u k|britain|british|london",
    "europe|european|europeans|eu|brussels",
    "india|indian|indians",
    "germany|german|germans|berlin",
    "france|french|paris",
    "israel|israeli|israelis",
    "netherlands|dutch",
)


# Ways that are also common words once lower-cased ('us', and 'u s' glued back into it): they say nothing in a
# tokenized transcript.
AMBIGUOUS = frozenset({"us", "u s"})

_COUNTRY_US = re.compile(r"\bU\.S\.(?:A\.)?|\bUSA?\b")


def country_us_as_usa(text: str) -> str:
    """The text with the country written "US", "U.S." or "USA" as " usa ": told apart from the pronoun "us" while
    the case still shows it, before the text is lower-cased."""
    return _COUNTRY_US.sub(" usa ", text)


@lru_cache(maxsize=1)
def _by_name() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for group in _GROUPS:
        names = frozenset(group.split("|"))
        for name in names:
            out[name] = names
    return out


def same_place(name: str) -> frozenset[str]:
    """Every way to say the place `name` names (lower case, words split by single spaces: 'u s' for 'U.S.'),
    itself included; empty when it names no place on the list."""
    return _by_name().get(" ".join(name.lower().replace(".", " ").split()), frozenset())
