"""WebVTT captions (`<v Speaker>` voice spans) -> Transcript, read with webvtt-py."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.vtt import WebVTTCueBlock

from rag.errors import SourceError
from rag.models import Segment, Transcript
from rag.sources.common import StreamedSegments, check_transcript, split_speaker_label
from rag.sources.text import iter_lines, read_text

EXPECTED_TIMING = "HH:MM:SS.mmm --> HH:MM:SS.mmm"
_NON_CUE_BLOCKS = ("NOTE", "STYLE", "REGION")
_TIME_LIKE = re.compile(r"\d+:\d\d")


# Larger files are read a batch of cues at a time, on every pass, never whole (a 5-hour episode's VTT is < 1 MB; a
# 70 MB file of a million cues took 2.3 GB read whole).
STREAM_ABOVE_BYTES = 8 * 1024 * 1024
_BATCH_CUES = 2000


def parse_vtt(path: Path | str) -> Transcript:
    """Read a WebVTT file: one segment per cue, speaker from its `<v Name>` span or a leading `Name:`."""
    path = Path(path)
    try:
        large = path.stat().st_size > STREAM_ABOVE_BYTES
    except OSError:
        large = False  # read_text says why it cannot be read
    if large:
        return Transcript(path, "vtt", StreamedSegments(path, lambda: _segments(path, iter_lines(path))))
    return check_transcript(Transcript(path, "vtt", list(_segments(path, iter(read_text(path).split("\n"))))))


def _segments(path: Path, lines: Iterator[str]) -> Iterator[Segment]:
    """The cues of the file's lines, parsed a batch of whole cue blocks at a time."""
    batch: list[str] = []
    first = 1  # the file's line number of batch[0]
    blocks = 0
    blank = True
    for number, line in enumerate(lines, start=1):
        batch.append(line)
        if line.strip():
            blocks += blank
            blank = False
            continue
        blank = True
        if blocks > _BATCH_CUES:
            yield from _batch_segments(path, batch, first)
            batch, first, blocks = [], number + 1, 0
    if batch or first == 1:
        yield from _batch_segments(path, batch, first)


def _batch_segments(path: Path, batch: list[str], first: int) -> Iterator[Segment]:
    # Batches after the first get a header of their own, two lines that are not the file's.
    header = [] if first == 1 else ["WEBVTT", ""]
    offset = first - 1 - len(header)
    text = "\n".join([*header, *batch])
    try:
        captions = webvtt.from_string(text).captions
    except MalformedFileError as exc:
        raise SourceError(path, "not a WebVTT file: expected 'WEBVTT' on the first line", 1) from exc
    except MalformedCaptionError as exc:  # not expected outside strict mode, but never let it escape raw
        raise SourceError(path, f"malformed cue: {exc}") from exc

    timing_lines = _timing_lines(path, text, offset)
    # webvtt-py skips cue blocks it cannot read without saying so; _timing_lines already rejected
    # malformed timings, so a count mismatch is something else (e.g. "-->" inside cue text).
    lines: list[int | None] = list(timing_lines)
    if len(lines) != len(captions):
        lines = [None] * len(captions)

    for cap, line in zip(captions, lines):
        speaker = cap.voice
        body = " ".join(part.strip() for part in cap.text.splitlines() if part.strip())
        body = html.unescape(body)
        if speaker is None:
            speaker, body = split_speaker_label(body)
        else:
            speaker = html.unescape(speaker).strip()
        yield Segment(
            start=cap.start_time.in_milliseconds() / 1000,
            end=cap.end_time.in_milliseconds() / 1000,
            speaker=speaker,
            text=body,
            line=line,
        )


def _timing_lines(path: Path, text: str, offset: int = 0) -> list[int]:
    """Line numbers of the cue timing lines (`offset` added: `text` starts after that many lines of the file); a
    cue block whose timing cannot be read is an error here."""
    found = []
    block: list[tuple[int, str]] = []
    in_header = True
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        if line.strip():
            block.append((number, line))
            continue
        if not block:
            continue
        if in_header:
            in_header = False  # the WEBVTT line and its metadata
        elif not block[0][1].startswith(_NON_CUE_BLOCKS):
            found.append(_check_cue_block(path, [(n + offset, ln) for n, ln in block]))
        block = []
    return found


def _check_cue_block(path: Path, block: list[tuple[int, str]]) -> int:
    # The timing line is the first line of a cue block, or the second after an identifier.
    for number, line in block[:2]:
        if "-->" in line:
            if not _readable_timing(line):
                raise SourceError(
                    path, f"malformed cue timing {line.strip()!r}: expected {EXPECTED_TIMING}", number
                )
            return number
    # Name the line that was meant as the timing line: the one with a time in it, else the first.
    number, line = next(((n, text) for n, text in block[:2] if _TIME_LIKE.search(text)), block[0])
    raise SourceError(
        path, f"cue without a timing line, found {line.strip()!r}: expected {EXPECTED_TIMING}", number
    )


def _readable_timing(line: str) -> bool:
    """Whether webvtt-py reads the timing line; it skips unreadable cues silently, so ask it up front."""
    m = WebVTTCueBlock.CUE_TIMINGS_PATTERN.match(line)
    if not m:
        return False
    try:
        webvtt.Caption(m.group(1), m.group(2))
    except MalformedCaptionError:
        return False
    return True
