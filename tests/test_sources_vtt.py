"""parse_vtt: voice spans, entities, labels, and errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_episode

from rag.errors import SourceError
from rag.sources.vtt import parse_vtt


GOOD = """WEBVTT

NOTE a comment block, not a cue

1
00:00:00.000 --> 00:00:04.000
<v Lex Fridman>The R&amp;D of &lt;chips&gt;,
across two lines.</v>

2
00:00:03.500 --> 00:00:06.000 align:start
<v.loud Dylan Patel>Overlaps the cue before: normal in captions.</v>

00:00:06.000 --> 00:00:07.000
Nathan Lambert: no voice span, a label instead

4
00:00:07.000 --> 00:00:09.500
<i>no speaker at all</i>
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "transcript.vtt"
    path.write_text(text, encoding="utf-8")
    return path


def test_cues_become_segments(tmp_path):
    t = parse_vtt(_write(tmp_path, GOOD))
    assert t.format == "vtt"
    assert [(s.start, s.end, s.speaker, s.line) for s in t.segments] == [
        (0.0, 4.0, "Lex Fridman", 6),
        (3.5, 6.0, "Dylan Patel", 11),
        (6.0, 7.0, "Nathan Lambert", 14),
        (7.0, 9.5, None, 18),
    ]
    assert [s.text for s in t.segments] == [
        "The R&D of <chips>, across two lines.",
        "Overlaps the cue before: normal in captions.",
        "no voice span, a label instead",
        "no speaker at all",
    ]


def test_malformed_timing_line_is_named(tmp_path):
    path = _write(tmp_path, GOOD.replace("00:00:06.000 --> 00:00:07.000", "00:00:06,000 --> 00:00:07.000"))
    with pytest.raises(SourceError) as err:
        parse_vtt(path)
    assert err.value.line == 14
    assert str(err.value) == (
        f"{path}:14: malformed cue timing '00:00:06,000 --> 00:00:07.000': "
        "expected HH:MM:SS.mmm --> HH:MM:SS.mmm"
    )


def test_out_of_range_timestamp_is_named(tmp_path):
    path = _write(tmp_path, GOOD.replace("00:00:07.000 --> 00:00:09.500", "00:00:07.000 --> 00:00:75.000"))
    with pytest.raises(SourceError, match=r"transcript.vtt:18: malformed cue timing '00:00:07.000 --> 00:00"):
        parse_vtt(path)


def test_cue_without_timing_line_is_named(tmp_path):
    path = _write(tmp_path, GOOD.replace("00:00:06.000 --> 00:00:07.000", "00:00:06.000 00:00:07.000"))
    with pytest.raises(SourceError, match=r"transcript.vtt:14: cue without a timing line.*expected HH:MM"):
        parse_vtt(path)


def test_missing_header(tmp_path):
    path = _write(tmp_path, GOOD.replace("WEBVTT", "WEBVTX", 1))
    with pytest.raises(SourceError, match=r"transcript.vtt:1: not a WebVTT file: expected 'WEBVTT'"):
        parse_vtt(path)


def test_time_going_backwards_names_the_cue(tmp_path):
    path = _write(tmp_path, GOOD.replace("00:00:07.000 --> 00:00:09.500", "00:00:02.000 --> 00:00:09.500"))
    with pytest.raises(SourceError) as err:
        parse_vtt(path)
    assert str(err.value) == f"{path}:18: time goes backwards: 0:00:02 after 0:00:06"


def test_header_only_is_an_empty_transcript(tmp_path):
    path = _write(tmp_path, "WEBVTT\n\nNOTE nothing here\n")
    with pytest.raises(SourceError, match=r"transcript.vtt: empty transcript: no timed segments"):
        parse_vtt(path)


def test_shared_corpus_459():
    path = shared_episode("lex-fridman-459") / "transcript.vtt"
    t = parse_vtt(path)
    assert len(t.segments) == 3625
    assert {s.speaker for s in t.segments} == {"Lex Fridman", "Dylan Patel", "Nathan Lambert"}
    assert t.segments[-1].start == 18366.0  # 5:06:06
    assert not any("&amp;" in s.text or "<v" in s.text for s in t.segments)
    assert any("R&D" in s.text for s in t.segments)
