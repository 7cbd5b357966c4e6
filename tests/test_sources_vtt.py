"""parse_vtt: voice spans, entities, labels, and errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.sources.vtt import parse_vtt
from tests.conftest import shared_episode, source_error, source_file

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
    return source_file(tmp_path, "transcript.vtt", text)


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
    assert source_error(parse_vtt, path) == f"{path}:18: time goes backwards: 0:00:02 after 0:00:06"


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


def _vtt_of(cues: int) -> str:
    lines = ["WEBVTT", ""]
    for i in range(cues):
        start, end = i * 1500, i * 1500 + 1400
        clock = [f"{t // 3600000:02d}:{t // 60000 % 60:02d}:{t // 1000 % 60:02d}.{t % 1000:03d}" for t in (start, end)]
        who = "Ann Lee" if i // 40 % 2 == 0 else "Bob Stone"
        lines += [str(i + 1), f"{clock[0]} --> {clock[1]}", f"<v {who}>Bees {i % 50} make honey.</v>", ""]
    return "\n".join(lines)


def test_a_large_file_is_read_in_passes_with_the_same_segments_and_errors(tmp_path, monkeypatch):
    import rag.sources.vtt as vtt
    from rag.sources.common import StreamedSegments

    path = tmp_path / "t.vtt"
    path.write_text(_vtt_of(5000))
    whole = parse_vtt(path)
    monkeypatch.setattr(vtt, "STREAM_ABOVE_BYTES", 1000)
    monkeypatch.setattr(vtt, "_BATCH_CUES", 300)
    streamed = parse_vtt(path)
    assert isinstance(streamed.segments, StreamedSegments) and isinstance(whole.segments, list)
    assert list(streamed.segments) == whole.segments and len(streamed.segments) == 5000
    assert streamed.segments[-1] == whole.segments[-1] and streamed.segments[1234] == whole.segments[1234]
    # an error deep in the file is found before anything uses the transcript, with its line
    path.write_text(_vtt_of(5000).replace("02:04:58.500 --> 02:04:59.900", "02:04:58.500 --> 00:00:01.000"))
    with pytest.raises(SourceError, match=r"t.vtt:20000: segment ends before it starts") as streamed_error:
        parse_vtt(path)
    monkeypatch.undo()
    with pytest.raises(SourceError) as whole_error:
        parse_vtt(path)
    assert str(streamed_error.value) == str(whole_error.value)


@pytest.mark.slow
def test_a_million_cue_file_is_chunked_in_memory_bounded_by_the_chunk_window(tmp_path):
    """Before: the whole file, its cues and its sentences were held at once (a 70 MB file of a million cues took
    2.3 GB). 200,000 cues (14 MB) must chunk within a few MB more than the interpreter needs anyway."""
    import subprocess
    import sys

    path = tmp_path / "t.vtt"
    path.write_text(_vtt_of(200_000))
    code = ("import sys; from rag.chunking import iter_chunks; from rag.models import Episode, EpisodeMeta; "
            "from rag.sources.vtt import parse_vtt; from tools.memory import peak_rss_mb; "
            "base = peak_rss_mb(); "
            "n = sum(1 for _ in iter_chunks(Episode(EpisodeMeta('big'), parse_vtt(sys.argv[1])))); "
            "print(n, peak_rss_mb() - base)")
    root = Path(__file__).resolve().parents[1]
    n, grew_mb = map(int, subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                                         check=True, cwd=root).stdout.split())
    assert n == 6667 and grew_mb < 40, f"{grew_mb} MB more for {n} chunks"
