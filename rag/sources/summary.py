"""Episode summaries (.txt / .md) -> Summary: numbered sections, sub-headings, quotes and cited times."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from rag.errors import SourceError
from rag.models import Summary, SummaryParagraph, SummarySection
from rag.sources.text import read_text
from rag.timecodes import CLOCK, parse_clock

NO_CONTENT = (
    "no summary content: expected numbered sections ('1. Title') or markdown headings, "
    "each followed by paragraphs"
)

_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+\S")
_MARKDOWN = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_BOLD = re.compile(r"^(?:\*\*|__)(.+?)(?:\*\*|__):?$")
_BULLET = re.compile(r"^[-*•]\s+")
_META = re.compile(r"^[A-Z][A-Za-z ]{0,24}:\s+\S")  # "Host: Lex Fridman", "Release Date: ..."
_QUOTES = ('"', "“", "„", "«")
_SENTENCE_END = (".", "!", "?", "…", '"', "”", "»", ")", ";", ",")

# "([13:43])", "([Final Words])", "([1:02:03]; [1:05:00])"; or a bare "[13:43]" / "(13:43)".
# A bare bracket that is not a time, like the editorial "[open]" inside a quote, is text.
_REFERENCE = re.compile(
    rf"\(\s*(?P<group>\[[^\[\]]+\](?:\s*[,;]?\s*\[[^\[\]]+\])*)\s*\)"
    rf"|\[(?P<bracket>{CLOCK})\]"
    rf"|\((?P<paren>{CLOCK})\)"
)
_LABEL = re.compile(r"\[([^\[\]]+)\]")


def parse_summary(path: Path | str) -> Summary:
    """Read a summary: the lines before the first section are its title and details (Host:, Guests:, ...).

    Sections start at `N. Title` lines or markdown headings; short heading-like lines inside a section
    (or lines ending in ':') start a sub-section with the same title. Lines opening with a quotation
    mark are quotes. Cited times such as `([13:43])`, `[1:02:03]` or `(12:34)` move from the text to
    `times` (minutes may exceed 59) and `labels`; non-time labels such as `[Final Words]` go to
    `labels` only. Text after the last section stays in it.
    """
    path = Path(path)
    title: str | None = None
    sections: list[SummarySection] = []
    # Markdown level of section headings; deeper headings (any, under plain `N.` sections) are sub-headings.
    top_level: int | None = None
    current: SummarySection | None = None
    preamble: SummarySection | None = None  # prose between the title and the first section

    for number, raw in enumerate(read_text(path).split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        md = _MARKDOWN.match(line)
        heading = md.group(2) if md else line
        level = len(md.group(1)) if md else None
        if (_NUMBERED.match(heading) and _is_heading_like(heading)) or (
            level is not None
            and title is not None
            and (level <= top_level if top_level is not None else current is preamble)
        ):
            if level is not None and top_level is None:
                top_level = level
            current = SummarySection(title=heading, heading=None, paragraphs=[], line=number)
            sections.append(current)
        elif current is None and title is None:
            title = _BOLD.sub(r"\1", heading)
        elif current is None and _META.match(line):
            continue
        elif current is not None and (sub := _sub_heading(line, md)):
            current = SummarySection(title=current.title, heading=sub, paragraphs=[], line=number)
            sections.append(current)
        else:
            if current is None:  # keep prose before the first section, under the summary's title
                current = preamble = SummarySection(title or path.stem, None, [], line=number)
                sections.append(current)
            _add_paragraph(current, line, number)

    sections = [s for s in sections if s.paragraphs]
    if not sections:
        raise SourceError(path, NO_CONTENT)
    return Summary(path=path, title=title, sections=sections)


def _is_heading_like(line: str) -> bool:
    """Short, no closing punctuation, not a quote; or ending in ':' (e.g. 'Final Thought from X:')."""
    if line.startswith(_QUOTES) or _BULLET.match(line) or _REFERENCE.search(line):
        return False  # headings neither quote nor cite times
    words = len(line.split())
    if line.endswith(":"):
        return words <= 12
    return words <= 10 and not line.endswith(_SENTENCE_END)


def _sub_heading(line: str, md: re.Match[str] | None) -> str | None:
    if md:
        return md.group(2)
    if bold := _BOLD.match(line):
        return bold.group(1).strip()
    if _is_heading_like(line):
        return line.removesuffix(":").strip()
    return None


def _add_paragraph(section: SummarySection, line: str, number: int) -> None:
    text = _BULLET.sub("", line)
    kind = "quote" if text.startswith(_QUOTES) else "text"
    times: list[float] = []
    labels: list[str] = []

    def take(m: re.Match[str]) -> str:
        found = (_LABEL.findall(m.group("group")) if m.group("group")
                 else [m.group("bracket") or m.group("paren")])
        for label in found:
            label = label.strip()
            labels.append(label)
            if (t := parse_clock(label)) is not None:
                times.append(t)
        return " "

    text = _REFERENCE.sub(take, text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(text.split()))
    if not text and section.paragraphs:  # a reference on a line of its own belongs to the paragraph above
        last = section.paragraphs[-1]
        section.paragraphs[-1] = replace(
            last, times=last.times + tuple(times), labels=last.labels + tuple(labels)
        )
        return
    if text:
        section.paragraphs.append(SummaryParagraph(text, kind, tuple(times), tuple(labels), number))
