"""detect_kind, discover and load_episode: the entry points the rest of the app uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import SourceError
from rag.sources import detect, detect_kind, discover, load_episode
from tests.conftest import shared_episode

VTT = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\n<v Lex Fridman>Hello.</v>\n"
SUMMARY = "Episode summary\n1. Introduction\nA paragraph about chips.\n"


def _files(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content)
    return folder


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("episode.json", "metadata"),
        ("chapters.json", "chapters"),
        ("summary.txt", "summary"),
        ("summary.md", "summary"),
        ("transcript.vtt", "transcript"),
        ("captions.SRT", "transcript"),
        ("page.htm", "transcript"),
        ("notes.txt", "transcript"),
        (".DS_Store", "ignored"),
        ("episode.mp3", "ignored"),
        ("cover.webp", "ignored"),
    ],
)
def test_detect_kind_by_name(name, kind):
    assert detect_kind(Path(name)) == kind


def test_detect_other_json_by_content(tmp_path):
    (tmp_path / "a.json").write_text('{"segments": []}')
    (tmp_path / "b.json").write_text('{"version": "1.2.0", "chapters": []}')
    (tmp_path / "c.json").write_text('{"hello": 1}')
    assert detect_kind(tmp_path / "a.json") == "transcript"
    assert detect(tmp_path / "b.json").kind == "chapters"
    with pytest.raises(SourceError, match=r"c.json: unknown JSON: expected Podcasting 2.0 chapters"):
        detect_kind(tmp_path / "c.json")


def test_unknown_format():
    with pytest.raises(SourceError) as err:
        detect_kind(Path("ep/notes.docx"))
    assert str(err.value).startswith("ep/notes.docx: unknown format: expected one of episode.json, chapters")


def test_two_folders_make_one_episode(tmp_path):
    local = tmp_path / "data" / "episodes" / "lex-7"
    shared = tmp_path / "shared" / "corpus" / "lex-7"
    local_meta = {"id": "lex-7", "title": "Local title"}
    _files(local, **{"episode.json": json.dumps(local_meta), "summary.txt": SUMMARY})
    meta = {"id": "lex-7", "title": "Shared title", "number": 7, "guests": ["Dylan Patel"]}
    _files(shared, **{"episode.json": json.dumps(meta), "summary.txt": SUMMARY, "transcript.vtt": VTT})
    (shared / "audio.mp3").write_bytes(b"\x00\x01")

    sources, errors = discover([tmp_path / "data" / "episodes", tmp_path / "shared" / "corpus"])
    assert errors == []
    assert [(s.id, s.folders) for s in sources] == [("lex-7", [local, shared])]

    episode = load_episode(sources[0])
    meta = episode.meta
    # The first folder's title wins; the second fills what the first left out.
    assert (meta.title, meta.number, meta.guests) == ("Local title", 7, ["Dylan Patel"])
    assert episode.transcript is not None and len(episode.transcript.segments) == 1
    # The two summaries are identical copies: read once, from the first folder.
    assert episode.summary is not None and episode.summary.path == local / "summary.txt"
    names = sorted(p.name for p in episode.files)
    assert names == ["episode.json", "episode.json", "summary.txt", "transcript.vtt"]


def test_folder_name_is_the_id_without_episode_json(tmp_path):
    _files(tmp_path / "a" / "lex-8", **{"summary.txt": SUMMARY})
    _files(tmp_path / "b" / "lex-8", **{"transcript.vtt": VTT})
    sources, _ = discover([tmp_path / "a", tmp_path / "b"])
    assert [s.id for s in sources] == ["lex-8"]
    episode = load_episode(sources[0])
    assert episode.id == "lex-8" and episode.summary and episode.transcript


def test_two_different_transcripts_for_one_id(tmp_path):
    a = _files(tmp_path / "a" / "lex-9", **{"transcript.vtt": VTT})
    b = _files(tmp_path / "b" / "lex-9", **{"transcript.vtt": VTT.replace("Hello.", "Goodbye.")})
    sources, _ = discover([tmp_path / "a", tmp_path / "b"])
    with pytest.raises(SourceError) as err:
        load_episode(sources[0])
    message = str(err.value)
    assert "two different transcripts for episode lex-9" in message
    assert str(a / "transcript.vtt") in message and str(b / "transcript.vtt") in message


def test_one_broken_episode_does_not_stop_the_others(tmp_path):
    _files(tmp_path / "lex-1", **{"episode.json": "{not json", "transcript.vtt": VTT})
    _files(tmp_path / "lex-2", **{"transcript.vtt": VTT})
    sources, errors = discover([tmp_path, tmp_path / "missing"])
    assert [s.id for s in sources] == ["lex-1", "lex-2"]
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'missing'}: no such file or directory: "
        "expected an episode folder or a folder of episode folders"
    ]
    with pytest.raises(SourceError, match=r"lex-1/episode.json:1: not valid JSON"):
        load_episode(sources[0])
    assert load_episode(sources[1]).transcript is not None


def test_unknown_file_in_an_episode_folder_fails_that_episode(tmp_path):
    folder = _files(tmp_path / "lex-3", **{"transcript.vtt": VTT, "notes.docx": "x"})
    sources, _ = discover([tmp_path])
    with pytest.raises(SourceError, match=rf"{folder / 'notes.docx'}: unknown format"):
        load_episode(sources[0])


def test_chapters_json_wins_over_transcript_chapters(tmp_path):
    text = "## Intro\nLex Fridman (00:00:00) Hello.\n"
    chapters = {"chapters": [{"startTime": 0, "title": "From chapters.json"}]}
    _files(tmp_path / "lex-4", **{"transcript.txt": text})
    only_transcript = load_episode(discover([tmp_path / "lex-4"])[0][0])
    assert [c.title for c in only_transcript.chapters] == ["Intro"]
    (tmp_path / "lex-4" / "chapters.json").write_text(json.dumps(chapters))
    both = load_episode(discover([tmp_path / "lex-4"])[0][0])
    assert [c.title for c in both.chapters] == ["From chapters.json"]


def test_shared_corpus():
    corpus = shared_episode("lex-fridman-459").parent
    sources, errors = discover([corpus])
    assert errors == []
    assert [s.id for s in sources] == ["lex-fridman-459", "lex-fridman-491", "lex-fridman-494"]
    episodes = [load_episode(s) for s in sources]
    assert [len(e.transcript.segments) for e in episodes] == [3625, 779, 398]
    assert [len(e.chapters) for e in episodes] == [25, 21, 21]
    assert episodes[0].summary is not None and episodes[0].meta.guests == ["Dylan Patel", "Nathan Lambert"]


def test_readme_beside_episode_folders_is_not_an_episode(tmp_path):
    _files(tmp_path, **{"README.md": "# corpus"})
    _files(tmp_path / "lex-5", **{"transcript.vtt": VTT})
    sources, _ = discover([tmp_path])
    assert [s.id for s in sources] == ["lex-5"]


def test_stray_file_beside_episode_folders_does_not_hide_them(tmp_path):
    _files(tmp_path, **{"notes.txt": "my notes"})
    _files(tmp_path / "lex-5", **{"transcript.vtt": VTT})
    sources, _ = discover([tmp_path])
    assert [s.id for s in sources] == [tmp_path.name, "lex-5"]
    with pytest.raises(SourceError, match=r"notes.txt:1: unrecognised line 'my notes'"):
        load_episode(sources[0])
