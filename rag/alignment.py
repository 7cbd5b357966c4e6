"""Where a summary's quotes are in the transcript, and how far the summary's clock is off: used by ingest (to
store the offset) and by the summary check (rag/summary_check.py).

Quotes in summaries are often ASR-style paraphrases ("Deep Seq V3 is...") with "..." elisions, so each fragment
between elisions is located on its own by fuzzy matching (rapidfuzz's partial-ratio alignment against the whole
normalised transcript) and classed verbatim / paraphrase / not found by its score. A quote's fragments are looked
for near each other: the longest well-matched one anchors the quote.

Summaries are often timed on another release of the audio (with ads inserted), so their clock runs ahead of the
transcript's. The offset (summary time minus transcript time) is estimated from the quotes whose anchor matched
reliably: the median, with quotes further than max(3 scaled MADs, a floor) from it reported as outliers. With the
offset known, each cited time can be shown on both clocks, and weakly matched quotes are looked for again near
where their cited time says they should be.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz

from rag.models import Summary, SummaryParagraph, TranscriptSentence
from rag.timecodes import format_clock, video_link

# (the paragraphs of a summary section, the position of a quote among them) -> whom the summary credits for it
Credited = Callable[[Sequence[SummaryParagraph], int], tuple[str, ...]]

MatchKind = Literal["verbatim", "paraphrase", "not_found"]


@dataclass(frozen=True)
class MatchConfig:
    verbatim: float = 90.0  # rapidfuzz partial ratio (0-100) from which a fragment counts as verbatim
    paraphrase: float = 75.0  # ... as a paraphrase, for fragments of 8 words or more
    short_paraphrase: float = 82.0  # ... for fragments of 5-7 words (short ones match by chance more easily)
    tiny_words: int = 4  # fragments of this many words or fewer must be verbatim to count as found
    anchor_words: int = 6  # a fragment this long, matched verbatim, is reliable enough to time the clock offset
    neighbourhood: float = 240.0  # seconds around a quote's anchor where its other fragments are looked for
    near_cited: float = 300.0  # seconds around a cited time (offset removed) where a weak quote is looked for again
    outlier_mads: float = 3.0
    outlier_floor: float = 60.0  # seconds: offsets this close to the median are never outliers
    time_tolerance: float = 90.0  # a cited time (offset removed) this close to the quote's place is right


@dataclass
class FragmentMatch:
    """Where one fragment of a quote (the text between two '...') is in the transcript."""

    text: str
    kind: MatchKind
    score: float  # 0-100
    sentence: int | None  # index into the transcript sentences
    start: float | None
    speaker: str | None
    chapter: str | None
    matched: str  # the transcript text it aligned with

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class QuoteCheck:
    section: str
    line: int | None
    text: str
    summary_times: tuple[float, ...]  # on the summary's clock
    labels: tuple[str, ...]
    named_speakers: tuple[str, ...]  # whom the summary credits (the paragraph before the quote)
    fragments: list[FragmentMatch]
    kind: MatchKind = "not_found"
    start: float | None = None  # where the quote is, on the transcript's clock
    speaker: str | None = None
    chapter: str | None = None
    url: str | None = None
    offset: float | None = None  # this quote's own summary time minus transcript time
    outlier: bool = False  # its offset is far from the median
    time_ok: bool | None = None  # its cited time, shifted by the estimated offset, lands on it
    expected_start: float | None = None  # its cited time on the transcript's clock (offset removed)
    located_by_time: bool = False  # found only when looked for near its cited time

    @property
    def speaker_match(self) -> bool | None:
        if not self.named_speakers or not self.speaker or self.kind == "not_found":
            return None
        return self.speaker in self.named_speakers

    def transcript_clock(self) -> str:
        """'0:03:49', with where the cited time points when that is elsewhere: '1:03:56 (cited ≈ 1:05:35)'."""
        text = format_clock(self.start) if self.start is not None else "–"
        if self.time_ok is False and self.expected_start is not None:
            text += f" (cited ≈ {format_clock(self.expected_start)})"
        return text

    @property
    def anchor(self) -> FragmentMatch | None:
        found = [f for f in self.fragments if f.kind != "not_found"]
        return max(found, key=lambda f: (f.kind == "verbatim", f.words, f.score)) if found else None

    def to_json(self) -> dict:
        return {
            "section": self.section, "line": self.line, "quote": self.text,
            "summary_times": list(self.summary_times), "labels": list(self.labels),
            "summary_clock": [format_clock(t) for t in self.summary_times],
            "match": self.kind, "transcript_start": self.start,
            "transcript_clock": format_clock(self.start) if self.start is not None else None,
            "speaker": self.speaker, "chapter": self.chapter, "named_speakers": list(self.named_speakers),
            "speaker_match": self.speaker_match, "offset": self.offset, "outlier": self.outlier,
            "expected_transcript_start": self.expected_start, "time_ok": self.time_ok,
            "located_by_time": self.located_by_time, "url": self.url,
            "fragments": [
                {"text": f.text, "match": f.kind, "score": round(f.score, 1), "transcript_start": f.start,
                 "speaker": f.speaker, "matched": f.matched}
                for f in self.fragments
            ],
        }


@dataclass
class ClockOffset:
    """Summary clock minus transcript clock, from the reliably matched quotes."""

    seconds: float | None
    mad: float | None  # median absolute deviation of the quotes' offsets
    used: int  # quotes it is based on
    outliers: list[QuoteCheck] = field(default_factory=list)

    def describe(self) -> str:
        if self.seconds is None:
            return "clock offset unknown (no quote matched reliably)"
        sign = "ahead of" if self.seconds >= 0 else "behind"
        text = (f"the summary's clock runs {format_clock(abs(self.seconds))} {sign} the transcript's "
                f"(median of {self.used} quotes, MAD {self.mad:.0f} s)")
        if self.outliers:
            text += f"; {len(self.outliers)} outlier{'s' if len(self.outliers) != 1 else ''}: " + ", ".join(
                f"[{'; '.join(q.labels)}] off by {format_clock(abs(q.offset - self.seconds))}" for q in self.outliers)
        return text

    def to_json(self) -> dict:
        return {"seconds": self.seconds, "clock": format_clock(abs(self.seconds)) if self.seconds is not None else None,
                "mad": self.mad, "quotes_used": self.used,
                "outliers": [{"labels": list(q.labels), "quote": q.text, "offset": q.offset} for q in self.outliers]}


def normalise(text: str) -> str:
    """Lower case, curly quotes straightened, anything but letters, digits and apostrophes made a space."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return " ".join(re.sub(r"[^a-z0-9']+", " ", text).split())


def quote_fragments(text: str) -> list[str]:
    """The pieces of a quote between its elisions ('...', '…'), without quotation marks or editorial
    [insertions]; pieces of fewer than 3 words are dropped unless nothing longer is left."""
    text = re.sub(r"\[[^\]]*\]", " ", text).strip().strip("\"“”„«»").strip()
    pieces = [re.sub(r"\s+([.,;:!?])", r"\1", " ".join(p.split())).strip(" ,;:\"“”")
              for p in re.split(r"\.\.\.|…", text)]
    pieces = [p for p in pieces if normalise(p)]
    long = [p for p in pieces if len(normalise(p).split()) >= 3]
    return long or pieces


class TranscriptText:
    """The whole transcript as one normalised string, with a map back to its sentences."""

    def __init__(self, sentences: Sequence[TranscriptSentence]):
        self.sentences = list(sentences)
        self.offsets: list[int] = []
        parts: list[str] = []
        pos = 0
        for s in self.sentences:
            self.offsets.append(pos)
            n = normalise(s.text)
            parts.append(n)
            pos += len(n) + 1
        self.text = " ".join(parts)
        self.starts = [s.start if s.start is not None else -1.0 for s in self.sentences]

    def sentence_at(self, char: int) -> int:
        return max(0, bisect.bisect_right(self.offsets, char) - 1)

    def index_at_time(self, t: float) -> int:
        return max(0, min(len(self.sentences) - 1, bisect.bisect_right(self.starts, t) - 1))

    def span(self, t0: float, t1: float) -> tuple[int, int]:
        """Character range of the sentences starting between t0 and t1."""
        lo = bisect.bisect_left(self.starts, t0)
        hi = bisect.bisect_right(self.starts, t1)
        if lo >= len(self.sentences):
            return len(self.text), len(self.text)
        end = self.offsets[hi] if hi < len(self.offsets) else len(self.text)
        return self.offsets[lo], end

    def locate(self, fragment: str, window: tuple[int, int] | None = None) -> tuple[float, int, str]:
        """(score 0-100, sentence index, matched text) of the best place for `fragment`, optionally within a
        character window."""
        needle = normalise(fragment)
        lo, hi = window or (0, len(self.text))
        hay = self.text[lo:hi]
        if not needle or not hay:
            return 0.0, 0, ""
        m = fuzz.partial_ratio_alignment(needle, hay)
        start, end = lo + m.dest_start, lo + m.dest_end
        i = self.sentence_at(start)
        # The aligned window can begin with the last letters of the previous sentence ("load export controls"):
        # credit the sentence where the matched words begin.
        nxt = self.offsets[i + 1] if i + 1 < len(self.offsets) else None
        if nxt is not None and nxt < end and nxt - start <= max(8, 0.2 * len(needle)):
            i, start = i + 1, nxt
        return m.score, i, self.text[start:end].strip()


def _classify(score: float, words: int, cfg: MatchConfig) -> MatchKind:
    if score >= cfg.verbatim:
        return "verbatim"
    if words <= cfg.tiny_words:
        return "not_found"
    threshold = cfg.paraphrase if words >= 8 else cfg.short_paraphrase
    return "paraphrase" if score >= threshold else "not_found"


def _fragment(text: TranscriptText, fragment: str, cfg: MatchConfig,
              window: tuple[int, int] | None = None) -> FragmentMatch:
    score, i, matched = text.locate(fragment, window)
    kind = _classify(score, len(normalise(fragment).split()), cfg)
    s = text.sentences[i] if text.sentences else None
    return FragmentMatch(fragment, kind, score, i, s.start if s else None, s.speaker if s else None,
                         s.chapter if s else None, matched)


def _place(quote: QuoteCheck, text: TranscriptText, cfg: MatchConfig) -> None:
    """Set the quote's place, speaker and kind from its fragments (anchor = the most reliable one); fragments
    found far from the anchor are looked for again in its neighbourhood."""
    anchor = quote.anchor
    if anchor is None or anchor.start is None:
        quote.kind = "not_found"
        quote.start = quote.speaker = quote.chapter = None
        return
    near = text.span(anchor.start - cfg.neighbourhood, anchor.start + cfg.neighbourhood)
    for k, f in enumerate(quote.fragments):
        if f is anchor or (f.start is not None and abs(f.start - anchor.start) <= cfg.neighbourhood
                           and f.kind != "not_found"):
            continue
        local = _fragment(text, f.text, cfg, near)
        if local.kind != "not_found" or f.kind == "not_found":
            quote.fragments[k] = local
    kinds = [f.kind for f in quote.fragments]
    quote.kind = "verbatim" if all(k == "verbatim" for k in kinds) else "paraphrase"
    # The quote starts where its first fragment (in the summary's order) is, if that one was found near the anchor.
    first = next((f for f in quote.fragments if f.kind != "not_found" and f.start is not None
                  and abs(f.start - anchor.start) <= cfg.neighbourhood), anchor)
    quote.start, quote.speaker, quote.chapter = first.start, first.speaker, first.chapter


def _reliable(q: QuoteCheck, cfg: MatchConfig) -> bool:
    a = q.anchor
    return a is not None and a.kind == "verbatim" and a.words >= cfg.anchor_words


def estimate_offset(quotes: Sequence[QuoteCheck], cfg: MatchConfig | None = None) -> ClockOffset:
    """Median of (cited time - transcript time) over reliably matched quotes; outliers are the matched quotes
    further than max(`outlier_mads` scaled MADs, `outlier_floor`) from it."""
    cfg = cfg or MatchConfig()
    for q in quotes:
        q.offset = ((q.summary_times[0] - q.start)
                    if q.summary_times and q.start is not None and q.kind != "not_found" else None)
    base = [q.offset for q in quotes if q.offset is not None and _reliable(q, cfg)]
    if not base:
        return ClockOffset(None, None, 0)
    median = statistics.median(base)
    mad = statistics.median(abs(o - median) for o in base)
    limit = max(cfg.outlier_mads * 1.4826 * mad, cfg.outlier_floor)
    outliers = []
    for q in quotes:
        q.outlier = q.offset is not None and abs(q.offset - median) > limit
        if q.outlier:
            outliers.append(q)
    return ClockOffset(median, mad, len(base), outliers)


def check_quotes(summary: Summary, sentences: Sequence[TranscriptSentence], credited: Credited | None = None,
                 video_url: str | None = None, cfg: MatchConfig | None = None) -> tuple[list[QuoteCheck], ClockOffset]:
    """Locate every quote of the summary in the transcript and estimate the clock offset; `credited` says whom
    the summary credits for each quote (nobody without it).

    Two passes: every quote is matched against the whole transcript, the offset is estimated from the reliable
    ones, then quotes that are not reliable are looked for again near their cited time (offset removed) and kept
    there when they match at least as well. Finally each quote's cited time is compared with where it is.
    """
    cfg = cfg or MatchConfig()
    text = TranscriptText(sentences)
    quotes: list[QuoteCheck] = []
    for section in summary.sections:
        for i, para in enumerate(section.paragraphs):
            if para.kind != "quote":
                continue
            q = QuoteCheck(section.label, para.line, para.text, para.times, para.labels,
                           credited(section.paragraphs, i) if credited else (),
                           [_fragment(text, f, cfg) for f in quote_fragments(para.text)])
            _place(q, text, cfg)
            quotes.append(q)
    offset = estimate_offset(quotes, cfg)
    if offset.seconds is not None:
        for q in quotes:
            if _reliable(q, cfg) or not q.summary_times:
                continue
            expected = q.summary_times[0] - offset.seconds
            window = text.span(expected - cfg.near_cited, expected + cfg.near_cited)
            again = QuoteCheck(q.section, q.line, q.text, q.summary_times, q.labels, q.named_speakers,
                               [_fragment(text, f.text, cfg, window) for f in q.fragments])
            _place(again, text, cfg)
            if again.kind != "not_found" and _match_strength(again) >= _match_strength(q):
                q.fragments, q.kind, q.start, q.speaker, q.chapter = (
                    again.fragments, again.kind, again.start, again.speaker, again.chapter)
                q.located_by_time = True
        offset = estimate_offset(quotes, cfg)
    for q in quotes:
        if offset.seconds is not None and q.summary_times:
            q.expected_start = max(0.0, q.summary_times[0] - offset.seconds)
            if q.start is not None and q.kind != "not_found":
                q.time_ok = abs(q.expected_start - q.start) <= cfg.time_tolerance
        q.url = video_link(video_url, q.start) if q.start is not None and q.kind != "not_found" else None
    return quotes, offset


def _match_strength(q: QuoteCheck) -> float:
    """Matched words weighted by score: how much of the quote was found, and how well."""
    return sum(f.words * f.score for f in q.fragments if f.kind != "not_found")


def summary_offset(summary: Summary | None, sentences: Sequence[TranscriptSentence]) -> float | None:
    """The summary's clock offset (summary minus transcript, seconds), or None when it cannot be estimated."""
    if summary is None or not sentences:
        return None
    return check_quotes(summary, sentences)[1].seconds
