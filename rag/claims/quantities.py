"""Numbers with what they count: 'closer to 50,000 GPUs' -> 50000 {gpu}; '$5.5 million' -> 5.5e6 {usd}. Two numbers
contradict each other only when they count the same kind of thing (rag/numbers.py finds the numbers)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.claims.polarity import negated
from rag.claims.records import Outcome
from rag.claims.words import singular, stopwords
from rag.numbers import close, find_numbers

_UNIT_SKIP = {"more", "of", "or", "so", "plus", "like", "roughly", "about", "the", "a", "an", "to", "in", "and",
              "which", "that", "are", "were", "is", "was", "be", "these", "those", "total", "different", "new",
              "individual", "whole", "around", "than", "over", "at", "just", "ish"}
_MONEY_WORDS = {"dollar", "dollars", "usd", "bucks", "euros", "euro"}
# People: the general words, and the words for particular people that they stand for in speech
_PEOPLE = frozenset({"people", "person", "folk", "human", "individual"})
_PERSONS = _PEOPLE | frozenset({"employee", "worker", "staff", "staffer", "engineer", "researcher", "scientist",
                                "developer", "user", "customer", "student", "member", "guy"})
# Durations in days, so that "three years" and "six months" are the same kind of thing (and compare).
_DAYS = {"second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.44,
         "year": 365.25, "decade": 3652.5}


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: frozenset[str]  # the words that follow it ('gpu', 'h800'), or 'usd' / 'percent' / 'year' / 'x'
    text: str
    start: int = 0  # where the number is in the text it was read from
    end: int = 0
    minor: bool = False  # a small number in words ('two'), or a bare digit: a manner of speaking, not a figure
    head: str = ""  # what it counts, first: 'gpu' of 'GPUs in Memphis', 'usd', 'percent', 'duration'
    article: bool = False  # one unit of time said with an article ('a year', 'an hour'): weak, see compare_numbers
    lasting: bool = False  # ... said as how long something took ('in a week'): not a rate, so it can refute
    bound: str = ""  # '>' for 'over 100,000' or 'at least', '<' for 'under' or 'up to': a limit, not a value
    denied: bool = False  # what the claim sets its figure against ("in late 2023, not in 2024"): not claimed
    negated: bool = False  # said in a negated clause ("was not even purchased in 2024"): no value it states

    def allows(self, other: Quantity) -> bool:
        """Whether a limit ('over 100,000') holds for another's value (175,000), or is implied by another's limit
        of the same kind ('over 175,000'). Two limits otherwise compare as two values: 'no one spent more than a
        billion' does not back 'no one spent more than $100 million'."""
        if not self.bound or (other.bound and other.bound != self.bound):
            return False
        return other.value >= self.value if self.bound == ">" else other.value <= self.value

    @property
    def required(self) -> bool:
        """Must a passage state it to back the claim? Figures must; 'two new graduates' need not, nor a figure the
        claim denies."""
        return not self.minor and not self.denied

    def compatible(self, other: Quantity) -> bool:
        """Do both count the same kind of thing (so a different value is a contradiction)? A small number in words
        must count exactly the same thing ('two weeks' vs 'two days'), not merely share a word after it."""
        if self.minor or other.minor:
            return bool(self.head and self.head == other.head)
        if self.names and other.names:
            return True  # both count named things ('H100s', 'A100 GPUs'): the names say whether it is the same
        return bool(self.unit & other.unit)

    @property
    def names(self) -> set[str]:
        """The model or product names among its unit words ('h100' of '10,000 H100 GPUs')."""
        return {w for w in self.unit if any(ch.isdigit() for ch in w) and any(ch.isalpha() for ch in w)}

    def same_people(self, other: Quantity) -> bool:
        """Both count people, one by the general word: '43,000 amazing people' are the '43,000 employees'. Only for
        a figure that matches; people in general are no rival figure for employees."""
        mine, theirs = self.unit & _PERSONS, other.unit & _PERSONS
        return bool(mine and theirs and (mine | theirs) & _PEOPLE)

    def same_thing(self, other: Quantity) -> bool:
        """Not two different named things: 10,000 H100s are not 10,000 A100s."""
        return not (self.names and other.names and not self.names & other.names)


def renamed(claim: Sequence[Quantity], passage: Sequence[Quantity]) -> tuple[Quantity, Quantity] | None:
    """The claim's figure given, with the same value, to another named thing ('10,000 A100' for '10,000 H100s'):
    the number attached to the wrong thing. (The claim's figure, the passage's.)"""
    for q in claim:
        for p in passage:
            if (q.required and p.required and q.names and p.names and not q.same_thing(p)
                    and close(q.value, p.value, 0.0)):
                return q, p
    return None


# before the number: the words that make it a limit ('over 100,000 stars', 'up to $20')
_AT_LEAST = re.compile(r"\b(?:over|more than|at least|above|upwards of|in excess of|north of)\s+$", re.I)
_AT_MOST = re.compile(r"\b(?:under|less than|fewer than|at most|below|up to|no more than)\s+$", re.I)
# before the number: a contrast that denies it ("bought in late 2023, not in 2024", "rather than 2024")
_DENIED = re.compile(r"(?:[,;]\s*(?:and\s+|but\s+)?not|\brather than|\binstead of)\s+(?:[\w'’-]+\s+){0,2}$", re.I)
_AGO = re.compile(r"\s+\w+\s+ago\b", re.I)  # after the number: its unit, then 'ago'
# before the number: a word that makes 'a week' how long something took ('in a week', 'for a year'), not a rate
_LASTING = re.compile(r"\b(?:in|within|for|over|under|after|about|almost|nearly|"
                      r"(?:took|tak(?:e|es|ing)|spen[dt])(?:\s+(?:me|him|her|them|us|you|it))?)\s+$", re.I)


def parse_quantities(text: str) -> list[Quantity]:
    """Numbers with their scale and unit: '$5.5 million' -> 5.5e6 usd; 'closer to 50,000 GPUs' -> 50000 {gpu}.

    A bare whole number between 1900 and 2100 is a calendar year. Digits inside names (H800, GPT-4, o3) are not
    numbers, nor is a version or episode number right after a name ('Move 37', 'Tulu 3', 'Opus 4.6').
    """
    out: list[Quantity] = []
    for n in find_numbers(text):
        if _names_it(text, n):
            continue
        unit: set[str] = set()
        shown = n.text
        head = ""
        if n.currency:
            unit.add("usd")
        if n.percent:
            unit.add("percent")
        elif n.times:
            unit.add("x")
        if not unit:
            following = re.findall(r"[A-Za-z][\w'’]*", text[n.end : n.end + 40])
            words = [w for w in following[:4] if w.lower() not in _UNIT_SKIP][:2]
            for w in words:
                if w.lower() in _MONEY_WORDS:
                    unit = {"usd"}
                    break
                unit.add(singular(w))
            head = "usd" if unit == {"usd"} else singular(words[0]) if words else ""
            if words:
                shown = f"{shown} {words[0]}"
            value = n.value
            if words and singular(words[0]) in _DAYS:
                unit, value, head = {"duration"}, n.value * _DAYS[singular(words[0])], "duration"
            if n.is_year:
                unit, head = {"calendar-year"}, "calendar-year"
        else:
            value = n.value
            head = "usd" if n.currency else "percent" if n.percent else "x"
        # A small number in words, or a bare digit counting nothing ('Llama 4'), is weak evidence either way.
        minor = not (n.scale or n.currency or n.percent) and n.value <= 10 and (not n.digits or not unit)
        # "a decade ago" is a point in time, not a rate ("millions a year"): a figure like any other
        article = n.numeral.lower() in ("a", "an") and not n.scale and not _AGO.match(text, n.end)
        before = text[: n.start]
        lasting = article and bool(_LASTING.search(before))
        limit = _AT_LEAST.search(before) or _AT_MOST.search(before)
        bound = "" if not limit else ">" if limit.re is _AT_LEAST else "<"
        # 'no one spent more than' is an upper limit: a negation in the limit's clause turns it round
        if limit and _negated_clause(before[: limit.start()]):
            bound = "<" if bound == ">" else ">"
        out.append(Quantity(value, frozenset(unit), shown, n.start, n.end, minor, head, article=article,
                            lasting=lasting, bound=bound, denied=bool(_DENIED.search(before)),
                            negated=_negated_clause(before)))
    # "half of its capacity" is a share, as "20% of their capacity" is
    for m in _FRACTION.finditer(text):
        out.append(Quantity(_FRACTIONS[" ".join(m.group(1).lower().split())], frozenset({"percent"}), m.group(1),
                            m.start(), m.end(1), False, "percent"))
    return sorted(out, key=lambda q: q.start)


def _negated_clause(before: str) -> bool:
    """Whether the clause that ends where `before` ends is negated."""
    return negated(re.split(r"[,;.!?]", before)[-1])


_FRACTIONS = {"half": 50.0, "a third": 100 / 3, "one third": 100 / 3, "a quarter": 25.0, "one quarter": 25.0,
              "two thirds": 200 / 3, "three quarters": 75.0}
_FRACTION = re.compile(r"(?<![\w-])(?<!and a )"
                       r"(half|an? third|one third|a quarter|one quarter|two thirds|three quarters)"
                       r"(?=\s+(?:of|the|their|its|his|her|our|all)\b)", re.I)
_NAME_BEFORE = re.compile(r"\b([A-Z][A-Za-z]+)\s$")
_SENTENCE_OPENING = re.compile(r"(?:^|[.!?]\s+)$")
# Words that open a sentence before a count ("Maybe 3 people came"), not names with a version ("Llama 3 was …").
_OPENERS = frozenset("maybe perhaps probably possibly so sometimes now then only just roughly approximately exactly "
                     "nearly almost about around over under like also even still today yes well ok okay and but or "
                     "step page chapter episode another every first last next top all both".split())
_MONTHS = frozenset("january february march april may june july august september october november december jan feb "
                    "mar apr jun jul aug sep sept oct nov dec".split())


def versioned_names(text: str) -> list[str]:
    """The names with a version that `parse_quantities` leaves out as no figures: 'Llama 4', 'CUDA 13.2'."""
    out = []
    for n in find_numbers(text):
        if _names_it(text, n):
            name = _NAME_BEFORE.search(text[: n.start])
            out.append(f"{name.group(1)} {n.numeral}")
    return out


def _names_it(text: str, n) -> bool:
    """A small bare number right after a capitalised word is part of a name ('Move 37', 'Tulu 3', 'Opus 4.6',
    'Llama 405', a claim's 'Llama 3 was trained …'), not a quantity; not after a month ('October 2022'), nor after
    a word that opens a sentence before a count ('Maybe 3 people')."""
    if n.scale or n.currency or n.percent or n.times or not n.digits or "," in n.numeral or n.is_year:
        return False
    m = _NAME_BEFORE.search(text[: n.start])
    if not m:
        return False
    word = m.group(1).lower()
    opens = bool(_SENTENCE_OPENING.search(text[: m.start()]))
    # an adverb ('Basically 5 companies', 'Literally 10') opens a count too
    return word not in _MONTHS and word not in stopwords() and not (
        opens and (word in _OPENERS or word.endswith("ly")))


def compare_numbers(claim: Sequence[Quantity], passage: Sequence[Quantity],
                    tolerance: float = 0.05) -> tuple[Outcome, str]:
    """Does the passage state the claim's numbers? 'pass' when every figure is there (within `tolerance`), 'fail'
    when one is missing and the passage gives a different value for the same kind of thing, 'n/a' otherwise. A
    small number in words ('two new graduates') need not be there, but it is compared when it is."""
    if not claim:
        return "n/a", "the claim has no numbers"
    # a figure the claim denies is no figure of its own: "late 2023, not in 2024" is not refuted by "late 2023"
    claim = [q for q in claim if not q.denied]
    if not claim:
        return "n/a", "the claim's only figure is one it denies"
    found: list[Quantity] = []
    missing: list[Quantity] = []
    conflicts: list[tuple[Quantity, Quantity]] = []
    for q in claim:
        # Years are exact: 1999 is not "about" 1989.
        tol = 0.0 if "calendar-year" in q.unit else tolerance
        matches = [p for p in passage if (close(q.value, p.value, tol) or q.allows(p)) and q.same_thing(p)
                   and (q.compatible(p) or not q.unit or not p.unit or q.same_people(p))]
        if matches:
            # a small number is evidence only when it counts the same thing ('three decades'), not as a bare digit
            if q.required or any(q.compatible(p) for p in matches):
                found.append(q)
            continue
        # 'a year' is as often a rate ('millions a year') as a duration: it may match a figure, never refute one,
        # unless it says how long something took ('in a week' against 'in one hour')
        # nor does a value the passage denies ("not even purchased in 2024"), unless as a limit ("never more than")
        rival = [p for p in passage if q.compatible(p) and not (p.allows(q) and not q.bound)
                 and not ((p.article and not p.lasting) or (q.article and not q.lasting))
                 and not (p.negated and not p.bound)]
        if rival:
            conflicts.append((q, rival[0]))
        else:
            missing.append(q)
    if conflicts:
        q, p = conflicts[0]
        return "fail", f"the claim says {q.text!r}, the passage says {p.text!r}"
    required = [q for q in missing if q.required]
    # "a decade" matching "10 years" of anything is no evidence for the claim.
    if required or not [q for q in found if not q.article]:
        return "n/a", ("the passage does not state " + ", ".join(repr(q.text) for q in required or missing)
                       if required or missing else "the claim's only numbers are small ones the passage merely repeats")
    return "pass", "the numbers match (" + ", ".join(repr(q.text) for q in found) + ")"
