"""The verdict from labelled candidates: who said the supporting sentence against who the claim names, support
against contradiction, and the explanation a person reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.claims.records import Candidate, Verdict
from rag.text import clip
from rag.timecodes import format_clock


def speaker_matches(named: Sequence[str], speaker: str | None) -> bool | None:
    """Whether a sentence's speaker is one the claim names; None when the claim names nobody or the speaker is
    unknown."""
    if not named or not speaker:
        return None
    return speaker in named


@dataclass
class Decision:
    verdict: Verdict
    evidence: list[Candidate]  # the candidates the verdict rests on, best first
    decided_by: str
    explanation: str


def decide(named: Sequence[str], candidates: list[Candidate], contradiction_margin: float = 0.15) -> Decision:
    """The verdict from labelled candidates: support by the named speaker (or anyone, when the claim names
    nobody) > support by someone else only (misattributed) > contradiction > not found; except that a
    contradiction much closer to the claim (by `contradiction_margin` in score) than any support wins, and one by
    the named speaker wins over support by someone else unless that support is closer by the margin."""
    supported = [c for c in candidates if c.label == "supported"]
    contradicted = [c for c in candidates if c.label == "contradicted"]
    if supported and contradicted and (
            max(c.score for c in contradicted) >= max(c.score for c in supported) + contradiction_margin):
        supported = []
    by_named = [c for c in supported if speaker_matches(named, c.speaker) is not False]
    # Said by someone else only, while the person the claim names says otherwise ('ran it for 13 years' against
    # Lex's 'vanished for three years'): the contradiction wins unless the other's words are much closer.
    theirs = [c for c in contradicted if speaker_matches(named, c.speaker)]
    if supported and not by_named and theirs and (
            max(c.score for c in supported) < max(c.score for c in theirs) + contradiction_margin):
        supported = []
    if by_named:
        best = by_named[0]
        who = f"{best.speaker} said it" if named else f"{best.speaker or 'someone'} said it"
        return Decision("supported", by_named + [c for c in supported if c not in by_named], best.decided_by,
                        f"Supported: {who} at {format_clock(best.start)} — “{_clip(best.sentence)}” "
                        f"({_because(best)}).")
    if supported:
        best = supported[0]
        return Decision("misattributed", supported, "speaker",
                        f"Misattributed: the claim names {' and '.join(named)}, but {best.speaker or 'someone else'} "
                        f"said it at {format_clock(best.start)} — “{_clip(best.sentence)}” ({_because(best)}).")
    if contradicted:
        # what the person the claim names said is the better evidence against it, and a window that states all
        # the claim's figures is more to the point than one stray number
        contradicted.sort(key=lambda c: (speaker_matches(named, c.speaker) is False, not c.bound))
        best = contradicted[0]
        return Decision("contradicted", contradicted, best.decided_by,
                        f"Contradicted: {best.where()} — “{_clip(best.sentence)}”; {best.reason}.")
    if not candidates:
        return Decision("not_found", [], "retrieval", "Not found: no transcript passage matched the claim.")
    closest = candidates[0]
    return Decision("not_found", [], closest.decided_by,
                    f"Not found: no passage backs it. The closest, {closest.where()} (“{_clip(closest.sentence)}”), "
                    f"was ruled out by the {closest.decided_by} check: {closest.reason}.")


def _because(c: Candidate) -> str:
    if c.decided_by == "llm":
        return f"LLM: {c.reason}" if c.reason else "judged by the LLM"
    sim = next((ch.detail for ch in c.checks if ch.name == "similarity"), "")
    if c.decided_by == "numbers":
        return f"{c.reason}; {sim}"
    return sim


def _clip(text: str, n: int = 160) -> str:
    return clip(text, n)
