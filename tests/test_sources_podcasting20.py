"""Podcasting 2.0 JSON transcripts and chapters: types checked, errors name the item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.sources.podcasting20 import parse_json_chapters, parse_json_transcript
from tests.conftest import shared_episode, source_error


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_transcript_segments_are_kept_as_given(tmp_path):
    path = _write(tmp_path, "t.json", {"version": "1.0.0", "segments": [
        {"speaker": "Lex Fridman", "startTime": 0, "endTime": 0.4, "body": "Hello"},
        {"speaker": "Lex Fridman", "startTime": 0.4, "endTime": 0.9, "body": "there."},
        {"startTime": 1.5, "body": "No speaker, no end."},
    ]})
    t = parse_json_transcript(path)
    assert t.format == "json"
    assert [(s.start, s.end, s.speaker, s.text) for s in t.segments] == [
        (0.0, 0.4, "Lex Fridman", "Hello"),
        (0.4, 0.9, "Lex Fridman", "there."),
        (1.5, None, None, "No speaker, no end."),
    ]


def test_transcript_wrong_type_names_the_item(tmp_path):
    segments = [{"startTime": 0, "body": "a"}, {"startTime": "0:05", "body": "b"}]
    path = _write(tmp_path, "t.json", {"segments": segments})
    assert source_error(parse_json_transcript, path) == (
        f"{path}: segments[1].startTime: expected a valid number, got '0:05' (Podcasting 2.0 transcript)"
    )


def test_transcript_going_backwards_names_the_item(tmp_path):
    segments = [{"startTime": 9, "body": "a"}, {"startTime": 3, "body": "b"}]
    path = _write(tmp_path, "t.json", {"segments": segments})
    with pytest.raises(SourceError, match=r"t.json: segments\[1\]: time goes backwards: 0:00:03 after"):
        parse_json_transcript(path)


def test_empty_segments(tmp_path):
    with pytest.raises(SourceError, match="empty transcript: no timed segments"):
        parse_json_transcript(_write(tmp_path, "t.json", {"segments": []}))


def test_chapters(tmp_path):
    path = _write(tmp_path, "chapters.json", {"version": "1.2.0", "chapters": [
        {"startTime": 0, "title": "Introduction"},
        {"startTime": 213.5, "title": " DeepSeek ", "img": "x.png"},
    ]})
    chapters = parse_json_chapters(path)
    assert [(c.start, c.title) for c in chapters] == [(0.0, "Introduction"), (213.5, "DeepSeek")]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"startTime": -3, "title": "x"},
            "chapters[1].startTime: expected greater than or equal to 0, got -3",
        ),
        ({"startTime": 30, "title": 7}, "chapters[1].title: expected a valid string, got 7"),
        ({"title": "x"}, "chapters[1].startTime: missing, expected a value"),
        ({"startTime": True, "title": "x"}, "chapters[1].startTime: expected a valid number, got True"),
    ],
)
def test_chapters_bad_item(tmp_path, item, message):
    path = _write(tmp_path, "chapters.json", {"chapters": [{"startTime": 0, "title": "ok"}, item]})
    assert source_error(parse_json_chapters, path) == f"{path}: {message} (Podcasting 2.0 chapters)"


def test_chapters_out_of_order(tmp_path):
    chapters = [{"startTime": 60, "title": "b"}, {"startTime": 0, "title": "a"}]
    path = _write(tmp_path, "chapters.json", {"chapters": chapters})
    with pytest.raises(SourceError, match=r"chapters\[1\].startTime: 0:00:00 is before the previous chapter"):
        parse_json_chapters(path)


def test_chapters_not_json_names_the_line(tmp_path):
    path = tmp_path / "chapters.json"
    path.write_text('{"chapters": [\n  {"startTime": 0, "title": "a"},\n]}\n')
    with pytest.raises(SourceError, match=r"chapters.json:3: not valid JSON \(.*\): expected a JSON object"):
        parse_json_chapters(path)


def test_shared_corpus_459_chapters():
    path = shared_episode("lex-fridman-459") / "chapters.json"
    chapters = parse_json_chapters(path)
    assert len(chapters) == 25
    assert (chapters[0].start, chapters[0].title) == (0.0, "Introduction")


def test_item_that_is_not_an_object(tmp_path):
    path = _write(tmp_path, "t.json", {"segments": ["Hello there, this is a long string of words " * 3]})
    with pytest.raises(SourceError) as err:
        parse_json_transcript(path)
    message = str(err.value)
    assert message.startswith(f"{path}: segments[0]: expected a JSON object, got 'Hello there")
    assert message.endswith("... (Podcasting 2.0 transcript)")  # long input cut short
