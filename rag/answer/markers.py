"""Citation markers in answer text — `[1]`, `[1, 2]`, `[1; 3]`, `[Source 2]`, `[sources 1, 2]` — found, counted
and removed by one pattern, for the answer checks, the prompts, the evaluation and the app's clickable markers.

Not markers: `[0:57:36]` (a clock), `[laughs]`, numbers over three digits.
"""

from __future__ import annotations

import re

CITATION = re.compile(r"\[\s*(?:sources?\s*)?(\d{1,3}(?:\s*[,;]\s*(?:sources?\s*)?\d{1,3})*)\s*\]", re.I)
LEADING_CITATIONS = re.compile(r"^(?:\s*" + CITATION.pattern + r")+", re.I)
_NUMBER_IN_GROUP = re.compile(r"\d{1,3}")


def numbers_in(group: str) -> list[int]:
    """The source numbers in the group a `CITATION` match captured ('1, 2' -> [1, 2]), in order."""
    return [int(n) for n in _NUMBER_IN_GROUP.findall(group)]


def citation_numbers(text: str) -> list[int]:
    """All source numbers cited in `text`, in order, repeats kept."""
    return [n for m in CITATION.finditer(text) for n in numbers_in(m.group(1))]


def strip_citations(text: str) -> str:
    """The text without its citation markers (and the spaces before them)."""
    return re.sub(r"\s*" + CITATION.pattern, "", text, flags=re.I).strip()
