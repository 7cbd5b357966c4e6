"""parse_plaintext: both line forms, continuation lines, chapters, and errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.sources.plaintext import parse_plaintext
from tests.conftest import source_error, source_file


def _write(tmp_path: Path, text: str) -> Path:
    return source_file(tmp_path, "transcript.txt", text)


def test_speaker_first_lines_with_continuations_and_chapters(tmp_path):
    path = _write(tmp_path, """## Introduction

Lex Fridman (00:00:00) The following is a conversation
that goes on over two lines.
Dylan Patel (01:05) Thanks for having me.

Chapter 2: Export controls
Nathan Lambert [1:02:03] Bracketed time.
""")
    t = parse_plaintext(path)
    assert t.format == "text"
    assert [(s.start, s.end, s.speaker, s.text, s.line) for s in t.segments] == [
        (0.0, 65.0, "Lex Fridman", "The following is a conversation that goes on over two lines.", 3),
        (65.0, 3723.0, "Dylan Patel", "Thanks for having me.", 5),
        (3723.0, None, "Nathan Lambert", "Bracketed time.", 8),
    ]
    assert [(c.start, c.title) for c in t.chapters] == [(0.0, "Introduction"), (3723.0, "Export controls")]


def test_time_first_lines(tmp_path):
    text = "[00:00:05] Lex Fridman: Hello.\n[00:10] Just text, no speaker.\n(0:12) Dylan Patel: Hi.\n"
    path = _write(tmp_path, text)
    t = parse_plaintext(path)
    assert [(s.start, s.speaker, s.text) for s in t.segments] == [
        (5.0, "Lex Fridman", "Hello."),
        (10.0, None, "Just text, no speaker."),
        (12.0, "Dylan Patel", "Hi."),
    ]


def test_first_line_matching_neither_form(tmp_path):
    path = _write(tmp_path, "\nTranscript of episode 459\nLex Fridman (00:00:00) Hello.\n")
    assert source_error(parse_plaintext, path) == (
        f"{path}:2: unrecognised line 'Transcript of episode 459': "
        "expected 'Speaker Name (hh:mm:ss) text' or '[hh:mm:ss] Speaker: text'"
    )


def test_time_going_backwards_names_the_line(tmp_path):
    path = _write(tmp_path, "Lex Fridman (00:10:00) a\nDylan Patel (00:09:59) b\n")
    assert source_error(parse_plaintext, path) == f"{path}:2: time goes backwards: 0:09:59 after 0:10:00"


def test_unreadable_time(tmp_path):
    path = _write(tmp_path, "Lex Fridman (00:00:00) a\nDylan Patel (00:75:00) b\n")
    with pytest.raises(SourceError, match=r"transcript.txt:2: unreadable time '00:75:00': expected hh:mm:ss"):
        parse_plaintext(path)


def test_chapters_only_is_an_empty_transcript(tmp_path):
    with pytest.raises(SourceError, match="empty transcript: no timed segments"):
        parse_plaintext(_write(tmp_path, "## Introduction\n"))
