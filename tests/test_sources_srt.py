"""parse_srt: labels, missing cue numbers, and errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.sources.srt import parse_srt
from tests.conftest import source_error, source_file

GOOD = """1
00:00:01,000 --> 00:00:02,500
Lex Fridman: Hello there.

00:00:02,500 --> 00:00:04,000
[Dylan Patel] <i>No cue number</i> above,
and R&amp;D on two lines.

3
00:00:05,000 --> 00:00:06,000
<v Nathan Lambert>A voice span.</v>

4
00:00:06,000 --> 00:00:07,000
Nobody labelled this one.
"""


def _write(tmp_path: Path, text: str) -> Path:
    return source_file(tmp_path, "captions.srt", text)


def test_cues_become_segments(tmp_path):
    t = parse_srt(_write(tmp_path, GOOD))
    assert t.format == "srt"
    assert [(s.start, s.end, s.speaker, s.line) for s in t.segments] == [
        (1.0, 2.5, "Lex Fridman", 2),
        (2.5, 4.0, "Dylan Patel", 5),
        (5.0, 6.0, "Nathan Lambert", 10),
        (6.0, 7.0, None, 14),
    ]
    assert t.segments[1].text == "No cue number above, and R&D on two lines."
    assert t.segments[2].text == "A voice span."


def test_unreadable_timing_is_named(tmp_path):
    path = _write(tmp_path, GOOD.replace("00:00:05,000 --> 00:00:06,000", "00:00:05,000 -> 00:00:06,000"))
    assert source_error(parse_srt, path) == (
        f"{path}:10: unreadable cue timing '00:00:05,000 -> 00:00:06,000': "
        "expected HH:MM:SS,mmm --> HH:MM:SS,mmm"
    )


def test_time_going_backwards_names_the_cue(tmp_path):
    path = _write(tmp_path, GOOD.replace("00:00:06,000 --> 00:00:07,000", "00:00:03,000 --> 00:00:07,000"))
    with pytest.raises(SourceError, match=r"captions.srt:14: time goes backwards: 0:00:03 after 0:00:05"):
        parse_srt(path)


def test_text_without_cues_is_an_error(tmp_path):
    path = _write(tmp_path, "just some words\nno cues at all\n")
    with pytest.raises(SourceError, match=r"captions.srt:1: unreadable cue 'just some words'"):
        parse_srt(path)
