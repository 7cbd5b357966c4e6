"""The claim checker's records: verdicts, candidate sentences and the checks run on them, judgments, the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from rag.errors import PodragError
from rag.models import Citation, Passage
from rag.timecodes import format_clock

Verdict = Literal["supported", "contradicted", "misattributed", "not_found"]
Label = Literal["supported", "contradicted", "unrelated"]
Outcome = Literal["pass", "fail", "n/a"]
VERDICTS: tuple[Verdict, ...] = ("supported", "contradicted", "misattributed", "not_found")

MAX_CLAIM_CHARS = 1000


class ClaimError(PodragError):
    """A claim that cannot be checked as given (empty, too long)."""


@dataclass(frozen=True)
class Check:
    """One heuristic's finding about a candidate passage."""

    name: str  # "similarity", "entities", "numbers", "negation", "roles", "order", "speaker", "llm"
    outcome: Outcome
    detail: str


@dataclass
class Candidate:
    """A sentence of a retrieved passage (with its neighbours as context), judged against the claim."""

    passage: Passage
    index: int  # of the sentence in the passage's chunk
    sentence: str
    window: str  # the sentence with one neighbour each side
    start: float | None
    end: float | None
    speaker: str | None
    similarity: float = 0.0  # cosine, claim vs the sentence or its window (the higher)
    sentence_similarity: float = 0.0  # cosine, claim vs the sentence alone
    coverage: float = 0.0  # share of the claim's content words the window contains
    sentence_coverage: float = 0.0  # ... the sentence alone contains
    score: float = 0.0  # how close to the claim overall: ranks candidates and weighs support against contradiction
    # To the point: its window states every figure of the claim, each in a context (rag/claims/binding.py), or the
    # sentence gives the claim's figure to another named thing ('10,000 A100' for '10,000 H100s')
    bound: bool = False
    label: Label = "unrelated"
    checks: list[Check] = field(default_factory=list)
    decided_by: str = ""
    reason: str = ""

    def where(self) -> str:
        return f"{self.speaker or 'someone'} at {format_clock(self.start)}"


@dataclass(frozen=True)
class Judgment:
    """What a judge (offline heuristics or an LLM) says about one candidate."""

    index: int  # position in the candidate list given to the judge
    label: Label
    reason: str = ""


class Judge(Protocol):
    """Anything that labels candidates: `judge(statement, candidates) -> one Judgment per candidate judged`."""

    name: str

    def __call__(self, statement: str, candidates: Sequence[Candidate]) -> list[Judgment]: ...


@dataclass
class ClaimCheck:
    claim: str
    verdict: Verdict
    explanation: str
    decided_by: str  # the check that decided: "numbers", "speaker", "negation", "similarity", "llm", ...
    evidence: list[Citation]
    labels: list[Label]  # one per evidence item: what the judge said about it
    named_speakers: tuple[str, ...] = ()
    statement: str = ""
    mode: str = "offline"  # "offline" or "llm: MODEL"
    notice: str | None = None  # e.g. why the LLM judge fell back to the offline checks
    closest: list[Citation] = field(default_factory=list)  # with `not_found`: what came nearest, to look at
    candidates: list[Candidate] = field(default_factory=list)  # everything judged, best first

    def to_json(self) -> dict:
        evidence = []
        for c, label in zip(self.evidence, self.labels):
            item = c.to_json()
            item["label"] = label
            evidence.append(item)
        out = {
            "claim": self.claim,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "decided_by": self.decided_by,
            "named_speakers": list(self.named_speakers),
            "statement": self.statement,
            "evidence": evidence,
            "mode": self.mode,
        }
        if self.closest:
            out["closest"] = [c.to_json() for c in self.closest]
        if self.notice:
            out["notice"] = self.notice
        return out
