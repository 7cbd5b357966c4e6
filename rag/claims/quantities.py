"""Numbers with what they count: 'closer to 50,000 GPUs' -> 50000 {gpu}; '$5.5 million' -> 5.5e6 {usd}. Two numbers
contradict each other only when they count the same kind of thing (rag/numbers.py finds the numbers)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.claims.records import Outcome
from rag.claims.words import singular
from rag.numbers import close, find_numbers

_UNIT_SKIP = {"more", "of", "or", "so", "plus", "like", "roughly", "about", "the", "a", "an", "to", "in", "and",
              "which", "that", "are", "were", "is", "was", "be", "these", "those", "total", "different", "new",
              "individual", "whole", "around", "than", "over", "at", "just", "ish"}
_MONEY_WORDS = {"dollar", "dollars", "usd", "bucks", "euros", "euro"}


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: frozenset[str]  # the words that follow it ('gpu', 'h800'), or 'usd' / 'percent' / 'year' / 'x'
    text: str

    def compatible(self, other: Quantity) -> bool:
        """Do both count the same kind of thing (so a different value is a contradiction)?"""
        return bool(self.unit & other.unit)


def parse_quantities(text: str) -> list[Quantity]:
    """Numbers with their scale and unit: '$5.5 million' -> 5.5e6 usd; 'closer to 50,000 GPUs' -> 50000 {gpu}.

    A bare whole number between 1900 and 2100 is a calendar year. Digits inside names (H800, GPT-4, o3) are not
    numbers.
    """
    out: list[Quantity] = []
    for n in find_numbers(text):
        unit: set[str] = set()
        shown = n.text
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
            if words:
                shown = f"{shown} {words[0]}"
            if n.is_year:
                unit = {"calendar-year"}
        out.append(Quantity(n.value, frozenset(unit), shown))
    return out


def compare_numbers(claim: Sequence[Quantity], passage: Sequence[Quantity], tolerance: float = 0.05) -> tuple[Outcome, str]:
    """Does the passage state the claim's numbers? 'pass' when every one is there (within `tolerance`), 'fail'
    when one is missing and the passage gives a different value for the same kind of thing, 'n/a' otherwise."""
    if not claim:
        return "n/a", "the claim has no numbers"
    missing: list[Quantity] = []
    conflicts: list[tuple[Quantity, Quantity]] = []
    for q in claim:
        # Years are exact: 1999 is not "about" 1989.
        tol = 0.0 if "calendar-year" in q.unit else tolerance
        same = [p for p in passage if close(q.value, p.value, tol) and (q.compatible(p) or not q.unit or not p.unit)]
        if same:
            continue
        rival = [p for p in passage if q.compatible(p)]
        if rival:
            conflicts.append((q, rival[0]))
        else:
            missing.append(q)
    if conflicts:
        q, p = conflicts[0]
        return "fail", f"the claim says {q.text!r}, the passage says {p.text!r}"
    if missing:
        return "n/a", "the passage does not state " + ", ".join(repr(q.text) for q in missing)
    return "pass", "the numbers match (" + ", ".join(repr(q.text) for q in claim) + ")"
