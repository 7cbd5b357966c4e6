"""Who a claim says said it: "Dylan Patel says (that) X" -> (("Dylan Patel",), "X"). Names are matched with their
variants (first name, last name, "the guests") against the people of the episode."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_SAY = (
    r"(?:says?|said|saying|claims?|claimed|thinks?|thought|argues?|argued|believes?|believed|mentions?|mentioned|"
    r"states?|stated|explains?|explained|notes?|noted|points? out|pointed out|tells?|told|suggests?|suggested|"
    r"estimates?|estimated|predicts?|predicted|insists?|insisted|admits?|admitted|agrees?|agreed|warns?|warned|"
    r"reckons?|reckoned|confirms?|confirmed|clams?|asserts?|asserted|is saying|was saying)"
)


_DISCOURSE = (
    "introduc|explain|emphasi[sz]|highlight|argu|contrast|expand|rais|discuss|note|describ|stress|advocat|warn|"
    "question|contemplat|reflect|wrap|mention|share|compar|point|suggest|predict|claim|believ|agree|disagree|add|"
    "ask|delve|explor|outlin|detail|recount|recall|elaborat|underscor|acknowledg|admit|observ|speculat|caution|"
    "criticiz|prais|offer|present|propos|recommend|urg|insist|reveal|weigh|conclud|summari[sz]|clarif|estimat|"
    "counter|respond|repl|challeng|say|said|think|thought|tell|told|stat|"
    # what people say of things: "Nathan cites ...", "Dylan calls it ...", "Jensen ranks ...", "Lex gives credit"
    "cit|call|expect|rank|rat|credit|gives? credit|quip|jok|doubt|hope|worr|fear|bet|guess|reckon|consider|view|"
    "dub|label|characteri[sz]|attribut|blam|defend|den[yi]|reject|dismiss|liken|advis|favou?r|prefer|concede|"
    "contend|maintain|assert|quot|remember|forecast|envision|imagin|wonder|calculat|figur|sees|talk|recogni[sz]"
)


@dataclass(frozen=True)
class Attribution:
    speakers: tuple[str, ...]  # full names as the transcript spells them; () when the claim names nobody
    content: str  # the statement itself, without "X says (that)"


def name_variants(people: Sequence[str], guests: Sequence[str] = ()) -> dict[str, tuple[str, ...]]:
    """Lower-case ways to name each person ('dylan patel', 'dylan', 'patel') -> full names.

    A first or last name two people share is left out (it would not say who is meant); a last name may carry a
    title ('Mr. Huang', 'Dr. Lambert'); 'the guests' names the episode's guests, 'the guest' the only one, and
    'the host' the one speaker who is no guest.
    """
    variants: dict[str, set[str]] = {}
    for full in people:
        words = full.split()
        names = {full, words[0], words[-1]} if words else {full}
        if len(words) > 1:
            names |= {f"{title} {words[-1]}" for title in _TITLES}
        for v in names:
            variants.setdefault(v.lower(), set()).add(full)
    out = {v: tuple(sorted(names)) for v, names in variants.items()
           if len(names) == 1 or v in (p.lower() for p in people)}
    if guests:
        for v in ("the guests", "both guests", "the two guests", "guests"):
            out[v] = tuple(guests)
        if len(guests) == 1:
            out["the guest"] = tuple(guests)
        hosts = [p for p in people if p not in guests]
        if len(hosts) == 1:
            out["the host"] = (hosts[0],)
    return out


_TITLES = ("mr.", "mr", "mrs.", "mrs", "ms.", "ms", "dr.", "dr", "prof.", "prof")


def find_attribution(claim: str, variants: dict[str, tuple[str, ...]]) -> Attribution:
    """Who the claim names as the speaker, and what it says they said.

    Recognised: "NAME says (that) X", "NAME and NAME argue X", "According to NAME, X", "X, NAME said", and a
    sentence whose subject is a speaker ("Nathan Lambert emphasizes X", as summaries write). A name elsewhere in
    the claim ("DeepSeek hired Dylan") is not an attribution.
    """
    text = " ".join(claim.split())
    if not variants:
        return Attribution((), text)
    name = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    names = rf"(?P<names>(?:{name})(?:\s*(?:,|and|&)\s*(?:{name}))*)"
    patterns = [
        rf"^according to {names}\s*[,:]?\s+(?P<content>.+)$",
        # "In Jensen's view, X", "Jensen's claim is that X"
        rf"^(?:in\s+)?{names}['’]s?\s+(?:view|opinion|claim|argument|estimate|prediction|point|belief)"
        rf"(?:\s+is)?(?:\s+that)?\s*[,:]?\s+(?P<content>.+)$",
        rf"^{names}(?:\s*\([^)]*\))?\s*,?\s+(?:(?:also|really|actually|once|then|even|clearly)\s+)?{_SAY}"
        rf"(?:\s+that)?\s*[,:]?\s+(?P<content>.+)$",
        rf"^(?P<content>.+?)\s*[,;—–-]\s*{names}\s+{_SAY}\s*[.!]?$",
        rf"^(?P<content>.+?)\s*[,;—–-]\s*{_SAY}\s+{names}\s*[.!]?$",
        # "Nathan Lambert emphasizes the importance of ...", as summaries write: the speaker is the subject of a
        # verb of speaking or arguing (not of any verb: "Nathan works at AI2" is about Nathan, not by him).
        rf"^{names}(?:\s*\([^)]*\))?\s+(?P<content>(?:also\s+|then\s+)?(?:{_DISCOURSE})[a-z]*\b.+)$",
    ]
    for pattern in patterns:
        m = re.match(pattern, text, flags=re.IGNORECASE)
        if m:
            found = [p for p in re.split(r"\s*(?:,|\band\b|&)\s*", m.group("names"), flags=re.I) if p]
            speakers = tuple(dict.fromkeys(s for p in found for s in variants.get(p.lower(), ())))
            content = m.group("content").strip().strip("\"“”")
            if speakers and content:
                return Attribution(speakers, content)
    return Attribution((), text)
