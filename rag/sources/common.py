"""Pieces every source parser shares: transcript validation, speaker labels, JSON loading."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rag.errors import SourceError
from rag.models import Segment, Transcript
from rag.sources.text import read_text
from rag.timecodes import format_clock_precise as clock  # "0:01:02.500": what the file says


def check_transcript(transcript: Transcript, items: str | None = None) -> Transcript:
    """Reject transcripts no stage can use: no segments, negative times, ends before starts, times going back.

    Overlapping cues (an end after the next start) are normal in captions and are accepted. `items` names
    the list the segments came from (e.g. "segments" in JSON) so that errors can say `segments[12]` where
    the format has no useful line numbers.
    """
    check_segments(transcript.path, transcript.segments, items)
    return transcript


def check_segments(path: Path, segments: Iterable[Segment], items: str | None = None) -> tuple[int, int]:
    """`check_transcript`'s rules over segments read one at a time; returns (segments, words)."""
    prev = None
    count = words = 0
    ends_early: SourceError | None = None
    for i, seg in enumerate(segments):
        where = f"{items}[{i}]: " if items else ""
        if (t := min(seg.start, seg.end if seg.end is not None else seg.start)) < 0:
            raise SourceError(path, f"{where}negative time {t}: expected seconds >= 0", seg.line)
        if prev is not None and seg.start < prev:
            raise SourceError(
                path, f"{where}time goes backwards: {clock(seg.start)} after {clock(prev)}", seg.line
            )
        prev = seg.start
        # Reported only once all starts are known to be in order (at the end): formats whose end is the next
        # start would otherwise report a turn that comes back in time as the previous turn ending early.
        if ends_early is None and seg.end is not None and seg.end < seg.start:
            ends_early = SourceError(
                path, f"{where}segment ends before it starts: {clock(seg.end)} < {clock(seg.start)}", seg.line
            )
        count += 1
        words += len(seg.text.split())
    if not count:
        raise SourceError(path, "empty transcript: no timed segments")
    if ends_early is not None:
        raise ends_early
    return count, words


class StreamedSegments(Sequence[Segment]):
    """A transcript's segments read from its file on every pass, never all in memory (a very large file).

    Made by one full pass that checks them (`check_segments`) and keeps their count, word count, first and last;
    indexing anything else reads up to it.
    """

    def __init__(self, path: Path, read: Callable[[], Iterator[Segment]], items: str | None = None):
        self.path = path
        self._read = read
        self._first: Segment | None = None
        self._last: Segment | None = None

        def noted() -> Iterator[Segment]:
            for seg in read():
                if self._first is None:
                    self._first = seg
                self._last = seg
                yield seg

        self._len, self.words = check_segments(path, noted(), items)

    def __iter__(self) -> Iterator[Segment]:
        return self._read()

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return list(itertools.islice(self._read(), *i.indices(self._len)))
        n = i + self._len if i < 0 else i
        if not 0 <= n < self._len:
            raise IndexError(i)
        if n == 0:
            return self._first
        if n == self._len - 1:
            return self._last
        return next(itertools.islice(self._read(), n, None))


# A leading label naming the speaker: "Lex Fridman: ...", "[Lex Fridman] ...", "<v Lex Fridman> ...".
# Names are 1-4 capitalised words so that "So here's the thing: ..." is not taken for a label.
_NAME = r"[A-Z][\w.'\-]*(?: [A-Z][\w.'\-]*){0,3}"
_COLON_LABEL = re.compile(rf"^({_NAME}):\s+(\S.*)$", re.S)
_BRACKET_LABEL = re.compile(r"^\[([^\[\]]{1,40})\]:?\s+(\S.*)$", re.S)
_VOICE_LABEL = re.compile(r"^<v(?:\.[\w-]+)*\s+([^>]+)>\s*(.*)$", re.S)


def split_speaker_label(text: str, *, brackets: bool = False) -> tuple[str | None, str]:
    """Split a leading `Name:` label (and, with `brackets`, `[Name]` or `<v Name>`) off a cue's text."""
    patterns = (_COLON_LABEL, _BRACKET_LABEL, _VOICE_LABEL) if brackets else (_COLON_LABEL,)
    for pattern in patterns:
        m = pattern.match(text)
        if m:
            return m.group(1).strip(), m.group(2).strip()
    return None, text


def load_json(path: Path) -> Any:
    """Read a JSON file; a syntax error becomes a `SourceError` with its line."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            path, f"not valid JSON ({exc.msg} at column {exc.colno}): expected a JSON object", exc.lineno
        ) from exc


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem pydantic found, as 'chapters[2].startTime: expected a valid number, got "1:00"'."""
    err = exc.errors()[0]
    where = ""
    for part in err["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    if err["type"] == "missing":
        return f"{where}: missing, expected a value"
    if err["type"] in ("model_type", "dict_type"):
        msg = "expected a JSON object"  # pydantic would name our private model class
    else:
        msg = err["msg"].replace("Input should be ", "expected ", 1)
    got = repr(err["input"])
    return f"{where or 'top level'}: {msg}, got {got if len(got) <= 60 else got[:57] + '...'}"
