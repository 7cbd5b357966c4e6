"""A claim check and a summary check as rows and sentences, for the terminal, the web app and exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.presentation.labels import source_label, verdict_name
from rag.text import clip

if TYPE_CHECKING:
    from rag.claims import ClaimCheck
    from rag.models import Citation
    from rag.summary_check import QuoteCheck, SummaryReport

CLAIM_CHARS = 300  # a longer claim is shortened where it is repeated above its verdict


# -- a claim ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    """One piece of evidence: '[n] 0:57:36 · Dylan Patel · chapter', what the judge said of it, the sentence."""

    n: int
    where: str  # time · speaker · chapter
    episode: str
    tag: str | None  # the judge's label for this piece ("supported", "contradicted", ...)
    quote: str
    url: str | None


@dataclass(frozen=True)
class ClaimView:
    claim: str  # shortened to CLAIM_CHARS
    verdict: str  # "supported", "contradicted", "misattributed", "not_found"
    verdict_name: str  # "Supported", ...
    decided_by: str  # "speaker · offline"
    explanation: str
    notice: str | None
    evidence: list[EvidenceRow]
    closest: list[EvidenceRow]  # with "not found": what came nearest


def _evidence(c: Citation, tag: str | None = None) -> EvidenceRow:
    chunk = c.passage.chunk
    return EvidenceRow(c.n, source_label(chunk, c.start, c.speaker), chunk.episode_id, tag, c.quote, c.url)


def claim_view(check: ClaimCheck) -> ClaimView:
    return ClaimView(
        claim=clip(check.claim, CLAIM_CHARS),
        verdict=check.verdict,
        verdict_name=verdict_name(check.verdict),
        decided_by=f"{check.decided_by} · {check.mode}",
        explanation=check.explanation,
        notice=check.notice,
        evidence=[_evidence(c, label) for c, label in zip(check.evidence, check.labels)],
        closest=[_evidence(c) for c in check.closest],
    )


# -- a summary --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteRow:
    text: str
    summary_time: str  # the labels the summary cites: "13:43; 14:02"
    transcript_time: str  # where the quote is: "0:03:49 (cited ≈ 0:05:35)"
    url: str | None
    speaker: str  # who says it in the transcript ("–" when unknown)
    speaker_match: bool | None  # True: the person the summary names; False: someone else; None: cannot tell
    named: str  # whom the summary credits
    verdict: str  # "verbatim", "paraphrase · outlier", "not found"


@dataclass(frozen=True)
class CitedTimeRow:
    label: str  # as the summary writes it: "13:43"
    transcript_time: str
    url: str | None
    speaker: str
    sentence: str


@dataclass(frozen=True)
class SectionRows:
    label: str
    quotes: list[QuoteRow]
    cited: list[CitedTimeRow]


@dataclass(frozen=True)
class StatementRow:
    text: str
    verdict: str
    verdict_name: str
    why: str


@dataclass(frozen=True)
class SummaryView:
    episode_id: str
    summary_path: str
    clock: str  # the clock offset, described
    quotes: str  # the counts: "22 — 10 verbatim, ..."
    sections: list[SectionRows]  # sections with quotes or cited times, in order
    statements: str | None  # "1 of 3 backed by the transcript", None when statements were not checked
    unbacked: list[StatementRow]


def _quote_row(q: QuoteCheck) -> QuoteRow:
    return QuoteRow(q.text, "; ".join(q.labels), q.transcript_clock(), q.url, q.speaker or "–", q.speaker_match,
                    ", ".join(q.named_speakers), q.kind.replace("_", " ") + (" · outlier" if q.outlier else ""))


def summary_view(report: SummaryReport) -> SummaryView:
    counts = report.counts()
    sections = []
    for label in report.sections:
        quotes = [_quote_row(q) for q in report.quotes if q.section == label]
        cited = [CitedTimeRow(t.label, t.transcript_clock(), t.url, t.speaker or "", t.sentence or "")
                 for t in report.cited_times if t.section == label]
        if quotes or cited:
            sections.append(SectionRows(label, quotes, cited))
    return SummaryView(
        episode_id=report.episode_id,
        summary_path=report.summary_path,
        clock=report.offset.describe(),
        quotes=(f"{counts['quotes']} — {counts['verbatim']} verbatim, {counts['paraphrase']} paraphrase, "
                f"{counts['not_found']} not found; said by the person the summary names: {counts['speaker_match']}, "
                f"by someone else: {counts['speaker_mismatch']}; cited time right: {counts['time_ok']}"),
        sections=sections,
        statements=(f"{counts['statements_backed']} of {counts['statements']} backed by the transcript"
                    if report.statements else None),
        unbacked=[StatementRow(s.text, s.check.verdict, verdict_name(s.check.verdict), s.check.explanation)
                  for s in report.unbacked],
    )
