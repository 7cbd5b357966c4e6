"""parse_lexfridman_html: segments, chapters in document order, and pages without a transcript."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.sources.lexfridman_html import parse_lexfridman_html
from tests.conftest import shared_episode, source_error, source_file


def _segment(name: str, clock: str, seconds: int, text: str) -> str:
    return f"""
        <div class="ts-segment">
            <span class="ts-name">{name}</span>
            <span class="ts-timestamp"><a href="https://youtu.be/x?a=1&#038;t={seconds}">({clock})</a> </span>
            <span class="ts-text">{text}</span>
        </div>"""


def _page(*parts: str) -> str:
    body = "".join(parts)
    return f"<html><head><title>t</title></head><body>\n<div class='entry'>{body}\n</div></body></html>"


def _write(tmp_path: Path, html: str) -> Path:
    return source_file(tmp_path, "transcript.html", html)


def test_segments_and_chapters(tmp_path):
    html = _page(
        '<h2 id="chapter0_introduction"><span id="introduction">Introduction</span></h2>',
        _segment("Lex Fridman", "00:00:00", 0, "I&#8217;m here &amp; ready."),
        _segment("Jensen Huang", "00:00:31", 31, "Hello."),
        '<h2 id="chapter1_gpus"><span id="gpus">GPUs &#038; racks</span></h2>',
        _segment("Lex Fridman", "01:02:03", 3723, "Next."),
    )
    t = parse_lexfridman_html(_write(tmp_path, html))
    assert t.format == "html"
    assert [(s.start, s.end, s.speaker, s.text) for s in t.segments] == [
        (0.0, 31.0, "Lex Fridman", "I\u2019m here & ready."),
        (31.0, 3723.0, "Jensen Huang", "Hello."),
        (3723.0, None, "Lex Fridman", "Next."),
    ]
    assert [(c.start, c.title) for c in t.chapters] == [(0.0, "Introduction"), (3723.0, "GPUs & racks")]
    assert [s.line for s in t.segments] == [3, 8, 13]


def test_unreadable_timestamp_names_its_line(tmp_path):
    bad = _segment("Lex Fridman", "soon", 0, "x").replace("&#038;t=0", "")
    path = _write(tmp_path, _page(_segment("Lex Fridman", "00:00:01", 1, "ok"), bad))
    assert source_error(parse_lexfridman_html, path) == (
        f"{path}:8: unreadable segment timestamp 'soon': expected (hh:mm:ss)")


def test_unreadable_label_falls_back_to_the_link_time(tmp_path):
    path = _write(tmp_path, _page(_segment("Lex Fridman", "soon", 95, "x")))
    assert parse_lexfridman_html(path).segments[0].start == 95.0


def test_page_without_transcript(tmp_path):
    path = _write(tmp_path, "<html><body><h1>Lex Fridman Podcast</h1><p>No transcript.</p></body></html>")
    assert source_error(parse_lexfridman_html, path) == (
        f"{path}: no transcript segments found: expected lexfridman.com markup "
        "(div.ts-segment with .ts-name, .ts-timestamp, .ts-text)"
    )


def test_time_going_backwards(tmp_path):
    path = _write(tmp_path, _page(_segment("A", "00:10:00", 600, "x"), _segment("B", "00:09:00", 540, "y")))
    with pytest.raises(SourceError, match=r"transcript.html:8: time goes backwards: 0:09:00 after 0:10:00"):
        parse_lexfridman_html(path)


def _corpus_page(episode: str) -> Path:
    path = shared_episode(episode) / "transcript.html"
    return path


def test_shared_corpus_491():
    t = parse_lexfridman_html(_corpus_page("lex-fridman-491"))
    assert len(t.segments) == 779
    assert len(t.chapters) == 21
    assert (t.chapters[0].title, t.chapters[0].start) == ("Episode highlight", 0.0)
    assert (t.chapters[1].title, t.chapters[1].start) == ("Introduction", 90.0)
    assert {s.speaker for s in t.segments} == {"Lex Fridman", "Peter Steinberger"}
    assert "\u201cI\u2019m not a robot\u201d" in t.segments[0].text  # entities decoded


def test_shared_corpus_494():
    t = parse_lexfridman_html(_corpus_page("lex-fridman-494"))
    assert len(t.segments) == 398
    assert len(t.chapters) == 21
    assert all(s.line for s in t.segments)
