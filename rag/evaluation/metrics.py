"""Evaluation metrics as pure functions of rankings of time spans and gold spans.

A retrieved passage is a `(start, end)` span in seconds, or None when it cannot be placed on the question's
episode's clock (another episode, or a summary section, which has no transcript time): None is never a hit.
A passage is relevant when it overlaps a gold span widened by `slack` seconds on both sides.

Graded metrics treat each gold span as one relevant item: the gain at a rank is the number of gold spans that
passage covers for the first time, so a second passage over the same moment earns nothing, and a question with two
gold moments needs both for full recall. With one gold span (most questions) this is the textbook binary version:
nDCG@k = 1 / log2(1 + rank of the first hit).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

from rag.answer.markers import citation_numbers
from rag.evaluation.datasets import GoldSpan

Span = tuple[float, float]
SLACK = 30.0


def overlaps(span: Span | None, gold: GoldSpan, slack: float = SLACK) -> bool:
    """Whether `span` overlaps `gold` widened by `slack` seconds on each side (touching counts)."""
    if span is None:
        return False
    start, end = span
    return start <= gold.end + slack and end >= gold.start - slack


def gains(ranking: Sequence[Span | None], gold: Sequence[GoldSpan], slack: float = SLACK) -> list[int]:
    """For each rank, how many gold spans it covers that no earlier rank covered."""
    covered: set[int] = set()
    out = []
    for span in ranking:
        new = {i for i, g in enumerate(gold) if i not in covered and overlaps(span, g, slack)}
        covered |= new
        out.append(len(new))
    return out


def relevant(ranking: Sequence[Span | None], gold: Sequence[GoldSpan], slack: float = SLACK) -> list[bool]:
    """For each rank, whether the passage overlaps any gold span (repeats of a covered moment included)."""
    return [any(overlaps(span, g, slack) for g in gold) for span in ranking]


def hit_at(rel: Sequence[bool], k: int) -> float:
    """1.0 when a relevant passage is among the first k, else 0.0."""
    return 1.0 if any(rel[:k]) else 0.0


def first_hit_rank(rel: Sequence[bool]) -> int | None:
    """Rank (from 1) of the first relevant passage, or None."""
    return next((i for i, r in enumerate(rel, start=1) if r), None)


def reciprocal_rank(rel: Sequence[bool], k: int = 10) -> float:
    """1 / rank of the first relevant passage within the first k, else 0."""
    rank = first_hit_rank(rel[:k])
    return 1.0 / rank if rank else 0.0


def recall_at(gain: Sequence[int], n_gold: int, k: int) -> float:
    """Share of the gold spans covered by the first k passages."""
    return sum(gain[:k]) / n_gold if n_gold else 0.0


def ndcg_at(gain: Sequence[int], n_gold: int, k: int) -> float:
    """DCG of the first k gains over the DCG of covering every gold span, one per rank, from rank 1 (capped at 1:
    one passage spanning two gold moments can beat that ideal)."""
    if not n_gold:
        return 0.0
    dcg = sum(g / math.log2(i + 1) for i, g in enumerate(gain[:k], start=1))
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(k, n_gold) + 1))
    return min(1.0, dcg / ideal)


def time_error(t: float | None, gold: Sequence[GoldSpan]) -> float | None:
    """Seconds between a cited moment and the nearest gold start (None when there is no moment to compare)."""
    if t is None or not gold:
        return None
    return min(abs(t - g.start) for g in gold)


def within(errors: Iterable[float | None], seconds: float) -> float:
    """Share of questions whose time error is at most `seconds` (a missing moment counts as a miss)."""
    errors = list(errors)
    if not errors:
        return 0.0
    return sum(1 for e in errors if e is not None and e <= seconds) / len(errors)


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text).replace("$", "")  # $50,000 == 50000
    return re.sub(r"\s+", " ", text)


def mentions(text: str, terms: Sequence[str]) -> float:
    """Share of `terms` the text contains (case-insensitive; thousands separators, `$` and spacing ignored)."""
    if not terms:
        return 0.0
    body = _normalise(text)
    return sum(1 for t in terms if _normalise(t).strip() in body) / len(terms)


def citations_valid(text: str, n_citations: int, abstained: bool) -> bool:
    """Every [n] in the answer names one of its citations, and an answer that does not abstain cites something."""
    markers = citation_numbers(text)
    if not markers:
        return abstained
    return all(1 <= m <= n_citations for m in markers)


def share(values: Iterable[bool | float]) -> float:
    """Mean of booleans or numbers (0.0 for none)."""
    values = [float(v) for v in values]
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (linear interpolation); 0.0 for no values."""
    return float(np.percentile(values, q)) if len(values) else 0.0


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> tuple[float, float]:
    """(precision, recall) of abstaining as a detector of unanswerable questions.

    precision = unanswerable abstentions / all abstentions (1.0 when it never abstains: no false alarm);
    recall = unanswerable abstentions / unanswerable questions (0.0 when there are none).
    """
    pairs = list(zip(abstained, answerable))
    hits = sum(1 for a, ok in pairs if a and not ok)
    flagged = sum(1 for a, _ in pairs if a)
    negatives = sum(1 for _, ok in pairs if not ok)
    precision = hits / flagged if flagged else 1.0
    recall = hits / negatives if negatives else 0.0
    return precision, recall


def threshold_sweep(values: Sequence[float], answerable: Sequence[bool],
                    thresholds: Sequence[float]) -> list[tuple[float, float, float, float]]:
    """For each threshold t, abstaining when value < t: (t, precision, recall, share of answerable refused)."""
    out = []
    n_answerable = sum(1 for ok in answerable if ok)
    for t in thresholds:
        flags = [v < t for v in values]
        p, r = abstention_scores(flags, answerable)
        refused = sum(1 for f, ok in zip(flags, answerable) if f and ok)
        out.append((t, p, r, refused / n_answerable if n_answerable else 0.0))
    return out
