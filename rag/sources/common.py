"""Pieces every source parser shares: transcript validation, speaker labels, JSON loading."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rag.errors import SourceError
from rag.models import Transcript
from rag.sources.text import read_text
from rag.timecodes import format_clock_precise as clock  # "0:01:02.500": what the file says


def check_transcript(transcript: Transcript, items: str | None = None) -> Transcript:
    """Reject transcripts no stage can use: no segments, negative times, ends before starts, times going back.

    Overlapping cues (an end after the next start) are normal in captions and are accepted. `items` names
    the list the segments came from (e.g. "segments" in JSON) so that errors can say `segments[12]` where
    the format has no useful line numbers.
    """
    path = transcript.path
    if not transcript.segments:
        raise SourceError(path, "empty transcript: no timed segments")
    prev = None
    for i, seg in enumerate(transcript.segments):
        where = f"{items}[{i}]: " if items else ""
        if (t := min(seg.start, seg.end if seg.end is not None else seg.start)) < 0:
            raise SourceError(path, f"{where}negative time {t}: expected seconds >= 0", seg.line)
        if prev is not None and seg.start < prev:
            raise SourceError(
                path, f"{where}time goes backwards: {clock(seg.start)} after {clock(prev)}", seg.line
            )
        prev = seg.start
    # Only once the starts are in order: formats whose end is the next start would otherwise
    # report a turn that comes back in time as the previous turn ending early.
    for i, seg in enumerate(transcript.segments):
        if seg.end is not None and seg.end < seg.start:
            where = f"{items}[{i}]: " if items else ""
            raise SourceError(
                path, f"{where}segment ends before it starts: {clock(seg.end)} < {clock(seg.start)}", seg.line
            )
    return transcript


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
