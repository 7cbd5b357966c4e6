"""Ways to say a place: its name, its people's adjective, its capital as the seat of its government. A question
asks what "Beijing" does with your data and the guests say "the Chinese government"; a claim says "United States"
and the transcript "the US". A closed, general list (countries and regions the episodes' news touches on), not one
fitted to any question.

And the places inside a place: a question about "the AI site in Tennessee" is answered where the guests say
"Memphis", one about "elections in South Asia" where they say "India". The cities, states and continents come from
GeoNames (rag/gazetteer.py); the world's regions below follow the UN's geographic regions.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.gazetteer import CITIES, CONTINENTS, US_STATES

# Each group: the place's names, then after ";" its seat of government, written for the country ("Beijing wants your
# data", "notify Washington"): said where the country is, but the country's other cities are not inside it (Shenzhen
# is not "Beijing", Memphis not "Washington").
_GROUPS = (
    "united states|us|u s|usa|u s a|america|american|americans; washington",
    "china|chinese|prc; beijing",
    "taiwan|taiwanese; taipei",
    "japan|japanese; tokyo",
    "korea|korean|koreans|south korea; seoul",
    "russia|russian|russians; moscow|kremlin",
    "united kingdom|uk|u k|britain|british; london",
    "europe|european|europeans|eu; brussels",
    "india|indian|indians",
    "germany|german|germans; berlin",
    "france|french; paris",
    "israel|israeli|israelis",
    "netherlands|dutch",
)


# Regions by the places inside them (the UN's geographic regions, and the names of the US's that the news uses).
_REGIONS = {
    "east asia": "china|japan|south korea|north korea|taiwan|mongolia|hong kong|macau",
    "south asia": "india|pakistan|bangladesh|sri lanka|nepal|bhutan|maldives|afghanistan",
    "southeast asia": "vietnam|thailand|malaysia|singapore|indonesia|philippines|myanmar|cambodia|laos|brunei",
    "central asia": "kazakhstan|uzbekistan|kyrgyzstan|tajikistan|turkmenistan",
    "middle east": "israel|iran|iraq|saudi arabia|united arab emirates|uae|qatar|kuwait|bahrain|oman|yemen|jordan|"
                   "lebanon|syria|turkey|egypt|palestine",
    "western europe": "france|germany|netherlands|belgium|luxembourg|switzerland|austria|united kingdom|ireland",
    "eastern europe": "russia|ukraine|poland|belarus|czechia|czech republic|slovakia|hungary|romania|bulgaria|moldova",
    "northern europe": "sweden|norway|denmark|finland|iceland|estonia|latvia|lithuania|united kingdom|ireland",
    "southern europe": "italy|spain|portugal|greece|malta|croatia|serbia|slovenia|albania|north macedonia",
    "scandinavia": "sweden|norway|denmark",
    "latin america": "mexico|central america|south america|cuba",
    "central america": "guatemala|honduras|el salvador|nicaragua|costa rica|panama|belize",
    "united states": "|".join(US_STATES),
    "bay area": "san francisco|oakland|san jose|berkeley|palo alto|mountain view|menlo park|sunnyvale|cupertino|"
                "santa clara|redwood city|fremont",
    "silicon valley": "san jose|palo alto|mountain view|menlo park|sunnyvale|cupertino|santa clara|redwood city",
    "new england": "maine|new hampshire|vermont|massachusetts|rhode island|connecticut",
}
_REGIONS["asia"] = "east asia|south asia|southeast asia|central asia|middle east"
_REGIONS["europe"] = "western europe|eastern europe|northern europe|southern europe"
_REGIONS["north america"] = "united states|canada|mexico|central america"

# Ways that are also common words once lower-cased ('us', and 'u s' glued back into it): they say nothing in a
# tokenized transcript.
AMBIGUOUS = frozenset({"us", "u s"})

_COUNTRY_US = re.compile(r"\bU\.S\.(?:A\.)?|\bUSA?\b")


def country_us_as_usa(text: str) -> str:
    """The text with the country written "US", "U.S." or "USA" as " usa ": told apart from the pronoun "us" while
    the case still shows it, before the text is lower-cased."""
    return _COUNTRY_US.sub(" usa ", text)


def _ways(group: str) -> tuple[list[str], list[str]]:
    """A group's names and its seats of government ("china|chinese|prc; beijing")."""
    names, _, seats = group.partition(";")
    return names.strip().split("|"), seats.strip().split("|") if seats.strip() else []


_SEATS = frozenset(seat for group in _GROUPS for seat in _ways(group)[1])


@lru_cache(maxsize=1)
def _by_name() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for group in _GROUPS:
        names, seats = _ways(group)
        everything = frozenset(names + seats)
        for name in everything:
            out[name] = everything
    return out


def _plain(name: str) -> str:
    return " ".join(name.lower().replace(".", " ").split())


@lru_cache(maxsize=1)
def _inside() -> dict[str, frozenset[str]]:
    """Place -> the places directly inside it."""
    out: dict[str, set[str]] = {state: set() for state in US_STATES}  # a state is a place with or without big cities
    for table in (CITIES, CONTINENTS):
        for place, inner in table.items():
            out.setdefault(place, set()).update(inner)
    for place, inner in _REGIONS.items():
        out.setdefault(place, set()).update(inner.split("|"))
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=4096)
def places_within(name: str) -> frozenset[str]:
    """Every way to say a place inside the place `name` names, at any depth ('tennessee' -> 'memphis', 'nashville',
    ...; 'south asia' -> 'india', 'indian', 'delhi', ...), lower case; empty when it names no place that holds
    others. The place's own names are not in it (`same_place`), nor, for a capital standing for its country
    ('Beijing'), the country's other places. Questions read places so (rag/moment_rank.py); the claim check does not:
    measured, it lowered the second blind claim set 25 -> 23 of 48 (docs/evaluation-history.md)."""
    inside = _inside()
    plain = _plain(name)
    names = same_place(name) or {plain}
    seen: set[str] = set()
    todo = [p for n in ({plain} if plain in _SEATS else names) for p in inside.get(n, ())]
    while todo:
        place = todo.pop()
        if place in seen:
            continue
        ways = same_place(place) or {place}
        seen.update(ways)
        todo.extend(p for w in ways for p in inside.get(w, ()))
    return frozenset(seen - names)


def is_place(name: str) -> bool:
    """Whether `name` names a place on the list or one that holds others (a US state, a region, a continent)."""
    return bool(same_place(name)) or _plain(name) in _inside()


def same_place(name: str) -> frozenset[str]:
    """Every way to say the place `name` names (lower case, words split by single spaces: 'u s' for 'U.S.'),
    itself included; empty when it names no place on the list."""
    return _by_name().get(_plain(name), frozenset())


@lru_cache(maxsize=1)
def _every_place() -> frozenset[str]:
    inside = _inside()
    return frozenset(_by_name()) | frozenset(inside) | frozenset(p for inner in inside.values() for p in inner)


def names_place(name: str) -> bool:
    """Whether `name` names any place on the lists, a city inside another place included ('Memphis', 'Abilene')."""
    plain = _plain(name)
    # 'US' as written (capitals) is the country; lower-cased it is also the pronoun
    return (plain not in AMBIGUOUS or _COUNTRY_US.fullmatch(name.strip()) is not None) and plain in _every_place()


def related_places(a: str, b: str) -> bool:
    """Whether two place names name the same place or one inside the other ('Memphis' and 'Tennessee')."""
    pa, pb = _plain(a), _plain(b)
    return pa == pb or bool(same_place(a) & same_place(b)) or pb in places_within(a) or pa in places_within(b)
