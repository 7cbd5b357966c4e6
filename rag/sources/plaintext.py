"""Plain-text transcripts with a timestamp per speaker turn -> Transcript."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rag.errors import SourceError
from rag.models import Chapter, Segment, Transcript
from rag.sources.common import check_transcript, split_speaker_label
from rag.sources.text import read_text
from rag.timecodes import CLOCK, parse_clock

EXPECTED_LINE = "'Speaker Name (hh:mm:ss) text' or '[hh:mm:ss] Speaker: text'"

# "Lex Fridman (00:01:02) text": a capitalised name of at most six words, then the time in () or [].
_NAME_FIRST = re.compile(rf"^([A-Z][^\s()\[\]:]*(?:\s+[^\s()\[\]:]+){{0,5}})\s*[(\[]({CLOCK})[)\]]\s*(.*)$")
# "[00:01:02] Lex Fridman: text", the speaker label optional.
_TIME_FIRST = re.compile(rf"^[\[(]({CLOCK})[\])]\s*(.*)$")
_CHAPTER = re.compile(r"^(?:#{1,6}\s+|Chapter\s+\d+\s*[:.\-–—]\s*)(\S.*)$", re.I)


@dataclass
class _Turn:
    start: float
    speaker: str | None
    text: str
    line: int


def parse_plaintext(path: Path | str) -> Transcript:
    """Read turns `Speaker Name (hh:mm:ss) text` or `[hh:mm:ss] Speaker: text` (also mm:ss).

    Lines without a timestamp continue the previous turn; `## Title` and `Chapter N: Title` lines
    start a chapter at the next turn. A turn ends where the next one starts.
    """
    path = Path(path)
    turns: list[_Turn] = []
    chapters: list[Chapter] = []
    pending_titles: list[str] = []
    for number, raw in enumerate(read_text(path).split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if chapter := _CHAPTER.match(line):
            pending_titles.append(chapter.group(1).strip())
            continue
        if (match := _match_turn(line)) is not None:
            label, speaker, text = match
            start = parse_clock(label)
            if start is None:
                raise SourceError(path, f"unreadable time {label!r}: expected hh:mm:ss or mm:ss", number)
            chapters.extend(Chapter(start=start, title=t) for t in pending_titles)
            pending_titles = []
            turns.append(_Turn(start, speaker, text, number))
        elif turns:
            turns[-1].text = f"{turns[-1].text} {line}".strip()
        else:
            raise SourceError(path, f"unrecognised line {line[:60]!r}: expected {EXPECTED_LINE}", number)

    segments = [
        Segment(
            start=t.start,
            end=turns[i + 1].start if i + 1 < len(turns) else None,
            speaker=t.speaker,
            text=t.text,
            line=t.line,
        )
        for i, t in enumerate(turns)
    ]
    return check_transcript(Transcript(path=path, format="text", segments=segments, chapters=chapters))


def _match_turn(line: str) -> tuple[str, str | None, str] | None:
    """(time label, speaker, text) if the line starts a turn."""
    if m := _TIME_FIRST.match(line):
        return (m.group(1), *split_speaker_label(m.group(2)))
    if m := _NAME_FIRST.match(line):
        return m.group(2), m.group(1).strip(), m.group(3).strip()
    return None
