"""SubRip captions -> Transcript, read with the `srt` library."""

from __future__ import annotations

import html
import re
from pathlib import Path

import srt

from rag.errors import SourceError
from rag.models import Segment, Transcript
from rag.sources.common import check_transcript, split_speaker_label
from rag.sources.text import read_text

EXPECTED_TIMING = "HH:MM:SS,mmm --> HH:MM:SS,mmm"
EXPECTED_BLOCK = f"a cue number (optional), then '{EXPECTED_TIMING}', then the text"
# The srt library's own timing syntax, used only to find the line of each cue for messages.
_TIMING_LINE = re.compile(r"^\s*[0-9]+:[0-9]+:[0-9]+[,.:]?[0-9]* *-[ -] *> *[0-9]+:[0-9]+:[0-9]+")
_TIME_LIKE = re.compile(r"->|\d+:\d\d:\d\d")
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def parse_srt(path: Path | str) -> Transcript:
    """Read an SRT file: one segment per cue; speaker from a leading `Name:`, `[Name]` or `<v Name>` label.

    Cues without a number are accepted (the srt library reads them); anything else it cannot read is an error.
    """
    path = Path(path)
    text = read_text(path)
    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as exc:
        raise _unreadable(path, text, exc) from exc
    except srt.TimestampParseError as exc:
        raise SourceError(path, f"unreadable cue timing ({exc}): expected HH:MM:SS,mmm") from exc

    timing_lines = [n for n, line in enumerate(text.split("\n"), start=1) if _TIMING_LINE.match(line)]
    lines: list[int | None] = list(timing_lines)
    if len(lines) != len(subtitles):  # e.g. "-->" inside a cue's text: no line numbers rather than wrong ones
        lines = [None] * len(subtitles)

    segments = []
    for sub, line in zip(subtitles, lines):
        content = " ".join(part.strip() for part in sub.content.splitlines() if part.strip())
        speaker, content = split_speaker_label(content, brackets=True)
        content = html.unescape(_TAG.sub("", content)).strip()
        segments.append(
            Segment(
                start=sub.start.total_seconds(),
                end=sub.end.total_seconds(),
                speaker=speaker,
                text=content,
                line=line,
            )
        )
    return check_transcript(Transcript(path=path, format="srt", segments=segments))


def _unreadable(path: Path, text: str, exc: srt.SRTParseError) -> SourceError:
    """Point at the timing line inside the text the library could not read, or else at its first line."""
    first = text.count("\n", 0, exc.expected_start) + 1
    lines = exc.unmatched_content.split("\n")
    for i, line in enumerate(lines):
        if _TIME_LIKE.search(line):
            return SourceError(
                path, f"unreadable cue timing {line.strip()!r}: expected {EXPECTED_TIMING}", first + i
            )
    i = next((i for i, line in enumerate(lines) if line.strip()), 0)
    return SourceError(path, f"unreadable cue {lines[i].strip()!r}: expected {EXPECTED_BLOCK}", first + i)
