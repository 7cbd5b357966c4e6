"""parse_episode_json: optional fields, strict types, errors that name line or field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.sources.metadata import parse_episode_json
from tests.conftest import source_error, source_file


def _write(folder: Path, content: str) -> Path:
    return source_file(folder, "episode.json", content)


def test_fields_are_read(tmp_path):
    data = {"id": "lex-7", "number": 7, "title": "Chips", "guests": ["Dylan Patel", " "], "extra": {"x": 1}}
    meta = parse_episode_json(_write(tmp_path / "folder", json.dumps(data)))
    assert (meta.id, meta.number, meta.title, meta.host) == ("lex-7", 7, "Chips", None)
    assert meta.guests == ["Dylan Patel"]


def test_missing_id_takes_the_folder_name(tmp_path):
    meta = parse_episode_json(_write(tmp_path / "lex-fridman-8", '{"title": "T", "guests": null}'))
    assert (meta.id, meta.guests) == ("lex-fridman-8", [])


def test_not_json_names_the_line(tmp_path):
    path = _write(tmp_path, '{\n  "id": "x",\n  "title": Chips\n}\n')
    with pytest.raises(SourceError) as err:
        parse_episode_json(path)
    assert err.value.line == 3
    assert str(err.value) == (
        f"{path}:3: not valid JSON (Expecting value at column 12): expected a JSON object"
    )


def test_not_an_object(tmp_path):
    with pytest.raises(SourceError, match="found a JSON list: expected a JSON object"):
        parse_episode_json(_write(tmp_path, '["lex-7"]'))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"number": "459"}, "number: expected a valid integer, got '459'"),
        ({"number": 4.5}, "number: expected a valid integer, got 4.5"),
        ({"guests": "Dylan Patel"}, "guests: expected a valid list, got 'Dylan Patel'"),
        ({"guests": ["Dylan Patel", 3]}, "guests[1]: expected a valid string, got 3"),
        ({"title": ["Chips"]}, "title: expected a valid string, got ['Chips']"),
    ],
)
def test_wrong_types_name_the_field(tmp_path, data, message):
    path = _write(tmp_path, json.dumps(data))
    assert source_error(parse_episode_json, path) == f"{path}: {message}"
