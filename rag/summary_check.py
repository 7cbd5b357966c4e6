"""Verify a published episode summary against the transcript: the report (its types and its JSON and CSV export).

Quotes are located and the summary's clock offset estimated by rag/alignment.py; who the summary credits for a
quote is read from the paragraph before it (rag.claims' attribution patterns); cited times are shown on the
transcript's clock; the summary's plain statements are checked as claims (rag.claims) against the transcript alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.alignment import ClockOffset, Credited, MatchConfig, QuoteCheck, TranscriptText, check_quotes
from rag.chunking import split_sentences
from rag.claims import ClaimCheck, find_attribution
from rag.models import Summary, SummaryParagraph, TranscriptSentence
from rag.timecodes import format_clock, is_clock, video_link


@dataclass
class CitedTime:
    """A time a text paragraph (not a quote) cites, with what the transcript has there."""

    section: str
    label: str
    summary_time: float
    transcript_time: float | None  # offset removed (None while the offset is unknown)
    chapter: str | None
    sentence: str | None  # what is being said at that moment
    speaker: str | None
    url: str | None

    def transcript_clock(self) -> str:
        if self.transcript_time is not None:
            return format_clock(self.transcript_time)
        return f"{format_clock(self.summary_time)} (the summary's clock: offset unknown)"

    def to_json(self) -> dict:
        return {"section": self.section, "label": self.label, "summary_time": self.summary_time,
                "transcript_time": self.transcript_time, "chapter": self.chapter, "sentence": self.sentence,
                "speaker": self.speaker, "url": self.url}


@dataclass
class StatementCheck:
    section: str
    text: str
    check: ClaimCheck

    @property
    def backed(self) -> bool:
        return self.check.verdict == "supported"

    def to_json(self) -> dict:
        return {"section": self.section, "statement": self.text, "backed": self.backed, **self.check.to_json()}


@dataclass
class SummaryReport:
    episode_id: str
    summary_path: str
    sections: list[str]  # labels, in order
    quotes: list[QuoteCheck]
    offset: ClockOffset
    cited_times: list[CitedTime] = field(default_factory=list)
    statements: list[StatementCheck] = field(default_factory=list)

    @property
    def unbacked(self) -> list[StatementCheck]:
        """The summary's plain statements that no transcript passage backs."""
        return [s for s in self.statements if not s.backed]

    def counts(self) -> dict[str, int]:
        out = {"quotes": len(self.quotes)}
        for kind in ("verbatim", "paraphrase", "not_found"):
            out[kind] = sum(q.kind == kind for q in self.quotes)
        out["speaker_match"] = sum(q.speaker_match is True for q in self.quotes)
        out["speaker_mismatch"] = sum(q.speaker_match is False for q in self.quotes)
        out["time_ok"] = sum(q.time_ok is True for q in self.quotes)
        out["statements"] = len(self.statements)
        out["statements_backed"] = sum(s.backed for s in self.statements)
        return out

    def to_json(self) -> dict:
        return {
            "episode_id": self.episode_id, "summary": self.summary_path, "counts": self.counts(),
            "offset": self.offset.to_json(),
            "sections": [
                {"section": label, "quotes": [q.to_json() for q in self.quotes if q.section == label],
                 "cited_times": [t.to_json() for t in self.cited_times if t.section == label],
                 "statements": [s.to_json() for s in self.statements if s.section == label]}
                for label in self.sections
            ],
        }

    def csv_rows(self) -> list[dict]:
        """One row per quote (and per statement), flat, for spreadsheets."""
        rows = []
        for q in self.quotes:
            rows.append({
                "kind": "quote", "section": q.section, "text": q.text, "verdict": q.kind,
                "summary_time": "; ".join(q.labels),
                "transcript_time": format_clock(q.start) if q.start is not None else "",
                "expected_transcript_time": format_clock(q.expected_start) if q.expected_start is not None else "",
                "time_ok": _flag(q.time_ok), "speaker": q.speaker or "", "named_speakers": "; ".join(q.named_speakers),
                "speaker_match": _flag(q.speaker_match), "chapter": q.chapter or "", "url": q.url or "",
            })
        for s in self.statements:
            first = s.check.evidence[0] if s.check.evidence else None
            rows.append({
                "kind": "statement", "section": s.section, "text": s.text, "verdict": s.check.verdict,
                "summary_time": "",
                "transcript_time": format_clock(first.start) if first and first.start is not None else "",
                "expected_transcript_time": "", "time_ok": "", "speaker": (first.speaker or "") if first else "",
                "named_speakers": "; ".join(s.check.named_speakers), "speaker_match": "",
                "chapter": (first.passage.chunk.chapter or "") if first else "",
                "url": (first.url or "") if first else "",
            })
        return rows

    def to_csv(self) -> str:
        buf = io.StringIO()
        rows = self.csv_rows()
        fields = list(rows[0]) if rows else ["kind", "section", "text", "verdict"]
        writer = csv.DictWriter(buf, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def named_speakers(paragraphs: Sequence[SummaryParagraph], index: int,
                   variants: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Whom the summary credits for the quote at `index`: the speakers its preceding text paragraph attributes
    ('Nathan Lambert emphasizes ...', 'Dylan and Nathan discuss ...')."""
    for para in reversed(paragraphs[:index]):
        if para.kind != "text":
            continue
        names: list[str] = []
        for sentence in split_sentences(para.text):
            names += find_attribution(sentence, variants).speakers
        return tuple(dict.fromkeys(names))
    return ()


def credited_by(variants: dict[str, tuple[str, ...]]) -> Credited:
    """`named_speakers` with these name variants, for `check_quotes`."""
    return lambda paragraphs, index: named_speakers(paragraphs, index, variants)


def cited_times(summary: Summary, sentences: Sequence[TranscriptSentence], offset: float | None,
                video_url: str | None = None) -> list[CitedTime]:
    """The times that text paragraphs cite, each shown with what the transcript has at that moment."""
    text = TranscriptText(sentences)
    out = []
    for section in summary.sections:
        for para in section.paragraphs:
            if para.kind != "text":
                continue
            for t, label in zip(para.times, [lb for lb in para.labels if is_clock(lb)]):
                moment = t - offset if offset is not None else t
                s = text.sentences[text.index_at_time(moment)] if text.sentences else None
                out.append(CitedTime(section.label, label, t, moment if offset is not None else None,
                                     s.chapter if s else None, s.text if s else None, s.speaker if s else None,
                                     video_link(video_url, moment)))
    return out


def statements(summary: Summary) -> list[tuple[str, str]]:
    """(section label, sentence) for every sentence of the summary's text paragraphs (its plain statements)."""
    out = []
    for section in summary.sections:
        for para in section.paragraphs:
            if para.kind == "text":
                out += [(section.label, s) for s in split_sentences(para.text) if len(s.split()) >= 4]
    return out


def verify_summary(episode_id: str, summary: Summary, sentences: Sequence[TranscriptSentence],
                   variants: dict[str, tuple[str, ...]] | None = None, video_url: str | None = None,
                   check_claim: Callable[[str], ClaimCheck] | None = None,
                   cfg: MatchConfig | None = None) -> SummaryReport:
    """The full report: quotes located and timed, the clock offset, cited times, and (when `check_claim` is
    given) every plain statement checked against the transcript."""
    quotes, offset = check_quotes(summary, sentences, credited_by(variants or {}), video_url, cfg)
    checked = [StatementCheck(label, s, check_claim(s)) for label, s in statements(summary)] if check_claim else []
    return SummaryReport(
        episode_id, str(summary.path), list(dict.fromkeys(s.label for s in summary.sections)), quotes, offset,
        cited_times(summary, sentences, offset.seconds, video_url), checked,
    )
