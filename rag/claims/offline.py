"""The offline judge: each candidate sentence labelled supported / contradicted / unrelated by small heuristic checks
(similarity, named entities, numbers and units, negation and opposite words), each check recorded with its finding
and the one that decided named. The thresholds live in `ClaimConfig`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.claims.binding import (
    bound_numbers,
    compares,
    reversed_order,
    swapped_comparison,
    swapped_roles,
    swapped_sides,
)
from rag.claims.entities import (
    claim_entities,
    missing_entities,
    other_place,
    other_version,
    sibling_codes,
)
from rag.claims.polarity import Conflict
from rag.claims.polarity import conflict as polarity
from rag.claims.quantities import Quantity, compare_numbers, parse_quantities, renamed, versioned_names
from rag.claims.records import Candidate, Check, Label, Outcome
from rag.claims.words import content_words, says, singular, stopwords


@dataclass(frozen=True)
class ClaimConfig:
    passages: int = 12  # retrieved for each claim
    judged: int = 16  # best candidates that are judged
    evidence: int = 3  # shown with the verdict
    # Thresholds, set on the #459 case set (tests/test_claims.py; accuracy in the README):
    topical: float = 0.45  # similarity for a candidate to be about the claim at all
    topical_coverage: float = 0.5  # ... or this share of the claim's words with a lower similarity
    topical_floor: float = 0.3
    support: float = 0.62  # similarity at which a topical candidate supports the claim
    support_sentence_coverage: float = 0.5  # ... when the sentence itself has this share of the claim's words
    support_coverage: float = 0.7  # ... or this word coverage together with `support_floor`
    long_claim_words: int = 10  # a claim with this many content words may be restated by a sentence and its neighbours
    support_floor: float = 0.5
    polarity: float = 0.55  # similarity at which an opposite word or a negation contradicts
    # A contradiction this much closer to the claim than the best support outweighs it (the passage most about
    # the claim gives another number; a weaker one happens to contain the claim's number).
    contradiction_margin: float = 0.15



@dataclass(frozen=True)
class _Claim:
    """What the checks read off the claim once, for all its candidates."""

    statement: str
    entities: list[str]  # the names it mentions
    things: list[str]  # ... and a capitalised first word ("Codex is ..."): what roles are compared between
    quantities: list[Quantity]
    long: bool  # a long statement (a summary's) is restated over a few sentences, not in one
    comparison: bool  # it compares two things ("more GPUs than OpenAI")
    versions: list[str]  # names with a version ('Llama 4', 'CUDA 12'): the version is part of what it names

    @classmethod
    def read(cls, statement: str, config: ClaimConfig) -> _Claim:
        entities = claim_entities(statement)
        # the entity check leaves a capitalised first word out only because any sentence starts with a capital
        first = re.match(r"[A-Z][\w-]*", statement)
        things = entities + ([first.group(0)] if first and first.group(0).lower() not in stopwords()
                             and first.group(0) not in entities else [])
        return cls(statement, entities, things, parse_quantities(statement),
                   len(content_words(statement)) >= config.long_claim_words, compares(statement),
                   versioned_names(statement))


@dataclass
class _Findings:
    """What the checks found about one candidate; `checks` is what the person reading the verdict is shown."""

    checks: list[Check]
    topical: bool
    missing: list[str]  # the claim's names said nowhere near the sentence
    sibling: str | None  # the sentence is about a sibling of the claim's chip or another place
    numbers: Outcome
    conflict: Conflict | None  # a negation or an opposite word
    swapped: str | None  # roles or a comparison turned round
    reversed_: str | None  # an order reversed
    other_version: tuple[str, str] | None  # the claim's 'CUDA 12' said as 'CUDA 13.2'


def judge_offline(statement: str, candidates: Sequence[Candidate], config: ClaimConfig,
                  context: Callable[[str, float | None], str] | None = None,
                  topic: Callable[[str], str | None] | None = None) -> None:
    """Label each candidate with the heuristic checks, recording each check and which one decided.

    `context(episode_id, second)` gives the conversation around a candidate, where the claim's names are looked
    for (besides the candidate's own passage), and `topic(episode_id)` what the whole episode is about (its
    title): a name there is always in the background."""
    claim = _Claim.read(statement, config)
    disputed: dict[str, Candidate] = {}  # the claim's word a candidate says the opposite of, and the first that does
    for c in candidates:
        around = context(c.passage.chunk.episode_id, c.start) if context else ""
        found = _findings(claim, c, around, (topic(c.passage.chunk.episode_id) if topic else "") or "", config)
        c.label, c.decided_by, revised = _label(claim, c, found, config)
        c.checks = [revised if revised and ch.name == revised.name else ch for ch in found.checks]
        c.reason = next((ch.detail for ch in c.checks if ch.name == c.decided_by), "")
        if c.label == "contradicted" and c.decided_by == "negation" and found.conflict and found.conflict.word:
            disputed.setdefault(found.conflict.word, c)
    # A sentence on the claim's topic that never says the word another sentence says the opposite of does not back
    # it: "putting CUDA on GeForce was an easy decision" is not backed by "we ought to put CUDA on GeForce" beside
    # "putting CUDA on GeForce, that was a strategic decision that was very, very hard to do".
    for word, against in disputed.items():
        _unsupport(candidates, lambda c, w=word: not says(c.sentence, w), "negation",
                   f"it does not say {word!r}, and {against.where()} says the opposite")
    if claim.quantities:
        # A sentence that backs the claim's words but not its figure, beside one that gives another figure for it,
        # does not back the claim ("… several CEOs believed me" after "About three years ago, I convinced them").
        refuted = {(c.passage.chunk.id, c.index) for c in candidates
                   if c.label == "contradicted" and c.decided_by == "numbers"}
        _unsupport(candidates, lambda c: bool({(c.passage.chunk.id, c.index - 1),
                                                (c.passage.chunk.id, c.index + 1)} & refuted),
                   "numbers", "a sentence beside it gives another figure for the claim's")


def _unsupport(candidates: Sequence[Candidate], when: Callable[[Candidate], bool], check: str, reason: str) -> None:
    """Candidates that back the claim by their words alone, and meet `when`, back it no more: another candidate
    says otherwise."""
    for c in candidates:
        if c.label == "supported" and c.decided_by == "similarity" and when(c):
            c.label, c.decided_by, c.reason = "unrelated", check, reason


def _findings(claim: _Claim, c: Candidate, around: str, topic: str, config: ClaimConfig) -> _Findings:
    """Every check on one candidate; sets `c.bound`."""
    statement, quantities = claim.statement, claim.quantities
    checks: list[Check] = []
    # Two or more of the claim's figures, each in the context the claim gives it (or swapped), make a window
    # about the claim however it is worded.
    bound, bound_detail = bound_numbers(statement, c.window) if len(quantities) > 1 else ("n/a", "")
    said = parse_quantities(c.sentence)
    # the claim's figure given to another named thing is about the claim however far the wording is
    misnamed = renamed(quantities, said)
    topical = c.similarity >= config.topical or bound != "n/a" or misnamed is not None or (
        c.coverage >= config.topical_coverage and c.similarity >= config.topical_floor)
    checks.append(Check("similarity", "pass" if topical else "fail",
                        f"similarity {c.similarity:.2f}, {c.coverage:.0%} of the claim's words"))
    missing = missing_entities(claim.entities, f"{c.passage.chunk.text} {around} {topic}", c.passage.chunk.speakers)
    # 'Llama 4' where the claim says 'Llama 3': the sentence is about another version of the claim's name
    other = other_version(claim.versions, c.sentence)
    if misnamed:  # the claim's 'A100s' are missing because the sentence gives their figure to the H100s
        missing = [e for e in missing if singular(e) not in misnamed[0].names]
    # the context names the claim's chip, but the sentence itself may be about its sibling (H20 for H800)
    sibling = sibling_codes(statement, c.sentence) or other_place(statement, c.sentence)
    checks.append(Check("entities", "n/a" if not claim.entities else "fail" if missing else "pass",
                        f"not mentioned: {', '.join(missing)}" if missing else
                        f"mentioned: {', '.join(claim.entities)}" if claim.entities else "the claim names nothing"))
    # Numbers are compared within the sentence itself: its neighbours are candidates of their own, and the
    # evidence shown must be the sentence that states the number. Several numbers of one kind are bound to
    # their contexts over the sentence and its neighbours (a claim often joins two sentences' figures).
    numbers, number_detail = bound, bound_detail
    c.bound = bound != "n/a" or misnamed is not None
    if numbers == "n/a" and misnamed:
        claimed, given = misnamed
        numbers, number_detail = "fail", f"the claim says {claimed.text!r}, the passage says {given.text!r}"
    elif numbers == "n/a":
        numbers, number_detail = compare_numbers(quantities, said)
        if numbers == "pass":
            # the sentence states the claim's figure, but beside it the figure's own context has another value:
            # "Moore's Law … about 100 times. We … by a million times." for "Moore's Law … a million times"
            rebound, rebound_detail = bound_numbers(statement, c.window, alone=True)
            if rebound == "fail":
                numbers, number_detail = rebound, rebound_detail
    checks.append(Check("numbers", numbers, number_detail))
    conflict = polarity(statement, c.sentence)
    checks.append(Check("negation", "fail" if conflict else "pass", conflict.reason if conflict else "same polarity"))
    swapped = swapped_roles(statement, c.window, claim.things) if len(claim.things) > 1 and not missing else None
    # "X kept A but cut B" said the other way round: one thing, its two objects on each other's side
    swapped = swapped or (None if missing else swapped_sides(statement, c.window))
    # "R1 is better than o3-mini" against "o3-mini is better than R1"
    swapped = swapped or swapped_comparison(statement, c.sentence, claim.things)
    checks.append(Check("roles", "fail" if swapped else "n/a", swapped or "no roles to compare"))
    reversed_ = reversed_order(statement, around or c.passage.chunk.text)
    checks.append(Check("order", "fail" if reversed_ else "n/a", reversed_ or "no order to compare"))
    return _Findings(checks, topical, missing, sibling, numbers, conflict, swapped, reversed_,
                     other_version=other)


def _label(claim: _Claim, c: Candidate, f: _Findings, config: ClaimConfig) -> tuple[Label, str, Check | None]:
    """The label and the check that decided it: the first rule that applies, in this order (the tests pin it):
    not about the claim at all (similarity, names), then what contradicts it (a figure, roles, an order, a
    negation), then what rules support out, then what supports it. A check whose finding the rule revises is
    returned with the label."""
    if not f.topical:
        return "unrelated", "similarity", None
    if f.missing:
        return "unrelated", "entities", None
    if f.numbers == "fail":
        return "contradicted", "numbers", None
    if f.swapped:
        return "contradicted", "roles", None
    if f.reversed_:
        return "contradicted", "order", None
    if f.conflict and (c.sentence_similarity >= config.polarity or f.numbers == "pass"):
        # the claim's own figure, negated ("It definitely doesn't have $500 billion"), is about the claim however
        # the rest is worded, and never backs it
        return "contradicted", "negation", None
    if any(q.required for q in claim.quantities) and f.numbers != "pass":
        return "unrelated", "numbers", None
    if f.sibling:  # only support is ruled out: "2,000 H100s" against "2,000 H800s" still contradicts
        return "unrelated", "entities", Check("entities", "fail", f.sibling)
    if claim.comparison and f.numbers != "pass" and not compares(c.window):
        # "DeepSeek has more GPUs than OpenAI": a sentence on the topic that compares nothing does not back it
        return "unrelated", "roles", Check("roles", "fail",
                                           "the claim compares two things; the passage compares nothing")
    how = "numbers" if f.numbers == "pass" else "similarity" if _worded_alike(claim, c, config) else None
    if how and f.other_version:
        # what would back the claim, said of another version: "We're at CUDA 13.2" against "… at CUDA 12"
        claimed, said = f.other_version
        return "contradicted", "entities", Check("entities", "fail", f"the claim says {claimed!r}, the passage says "
                                                                    f"{said!r}")
    unsaid = [v for v in claim.versions if not says(c.window, v)]
    if how == "similarity" and unsaid:
        # "NVIDIA is going to keep CUDA around" says nothing of the claim's "CUDA 12"
        return "unrelated", "entities", Check("entities", "fail", f"not mentioned: {', '.join(unsaid)}")
    return ("supported", how, None) if how else ("unrelated", "similarity", None)


def _worded_alike(claim: _Claim, c: Candidate, config: ClaimConfig) -> bool:
    """Whether the sentence says the claim in words close enough to back it: similar and sharing enough of its
    words (a long claim, a summary's, over the sentence and its neighbours), or sharing most of them."""
    return (c.sentence_similarity >= config.support and (
        c.sentence_coverage >= config.support_sentence_coverage
        or (claim.long and c.coverage >= config.support_sentence_coverage))) or (
        c.sentence_coverage >= config.support_coverage and c.sentence_similarity >= config.support_floor)
