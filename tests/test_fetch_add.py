"""`add` of transcript pages and bare transcripts, served by a real HTTP server on 127.0.0.1 (and read from local
files): what ends up in data/fetched and in the index, what a failure says, and that it leaves nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.fetch import Adder, AddOptions
from rag.fetch.folder import read_provenance
from tests.conftest import SHARED_CORPUS, shared_episode
from tests.fetch_data import BREAD, episode, json3, lex_page, pc20_json, srt, timed_text, vtt
from tests.fetch_server import FetchServer, Route

PAGE_CHAPTERS = [(0.0, "Introduction"), (15.0, "Starters")]


@pytest.fixture
def server():
    with FetchServer() as s:
        yield s


def add(assistant, *sources, **options):
    with Adder(assistant) as adder:
        return adder.add(list(sources), AddOptions(**options))


def fetched(assistant) -> Path:
    return assistant.settings.fetched_dir()


def test_a_transcript_page_becomes_an_episode_with_its_metadata_and_chapters(assistant, server):
    page = lex_page(BREAD, title="Sourdough at Home", number=612, guests=["Ana Silva", "Ben Ortiz"],
                    published="2026-05-01", video_id="abcDEF12345", chapters=PAGE_CHAPTERS)
    url = server.file("/sourdough-transcript/", page, "text/html; charset=UTF-8")
    report = add(assistant, url)
    assert report.ok, report.failed
    [added] = report.added
    assert (added.episode_id, added.kind, added.status, added.transcript) == ("lex-fridman-612", "page", "new", "html")
    record = assistant.index.records()["lex-fridman-612"]
    meta = record.meta
    assert (meta.title, meta.podcast, meta.number, meta.host, meta.guests, meta.published) == (
        "Sourdough at Home", "Lex Fridman Podcast", 612, "Lex Fridman", ["Ana Silva", "Ben Ortiz"], "2026-05-01")
    assert meta.video_url == "https://youtube.com/watch?v=abcDEF12345" and meta.transcript_url == url
    assert [c.title for c in record.chapters] == ["Introduction", "Starters"]
    folder = fetched(assistant) / "lex-fridman-612"
    assert sorted(p.name for p in folder.iterdir()) == [".fetch", "episode.json", "transcript.html"]
    assert (folder / "transcript.html").read_text() == page  # byte for byte
    files = {f["name"]: f for f in read_provenance(folder)["files"]}
    assert files["transcript.html"]["url"] == url and files["transcript.html"]["etag"]
    assert files["transcript.html"]["sha256"] and files["transcript.html"]["fetched_at"]
    hits = assistant.search("how old is the sourdough starter", 3)
    assert hits[0].chunk.episode_id == "lex-fridman-612" and hits[0].chunk.speakers


def test_adding_the_same_page_again_downloads_nothing(assistant, server):
    url = server.file("/p/", lex_page(BREAD, title="T", number=7, guests=["Ana Silva"], published="2026-01-01",
                                      video_id="v"), "text/html")
    assert add(assistant, url).added[0].status == "new"
    again = add(assistant, url)
    assert again.added[0].status == "unchanged"
    assert server.downloads("/p/") == 1 and server.hits[-1].status == 304


@pytest.mark.parametrize("name, body, kind, fmt", [
    ("/talk.vtt", vtt(BREAD), "text/vtt", "vtt"),
    ("/talk.srt", srt(BREAD), "text/plain", "srt"),  # SubRip served as text/plain
    ("/talk", pc20_json(BREAD), "application/octet-stream", "json"),
    ("/talk.txt", timed_text(BREAD), "text/html", "text"),  # the server lies about the type
])
def test_a_bare_transcript_url_is_recognised_by_its_content(assistant, server, name, body, kind, fmt):
    url = server.file(name, body, kind)
    report = add(assistant, url, episode_id="bread-1")
    assert report.ok, report.failed
    assert report.added[0].transcript == fmt and "bread-1" in assistant.index.records()


def test_youtube_json3_captions_become_a_transcript_with_speakers(assistant, tmp_path):
    path = tmp_path / "captions.en.json3"
    path.write_text(json3(BREAD))
    report = add(assistant, str(path))
    assert report.ok, report.failed
    record = assistant.index.records()["captions-en"]
    assert record.transcript_format == "json"
    assert set(assistant.search("rye flour every morning", 1)[0].chunk.speakers) == {"Ana Silva", "Ben Ortiz"}


def test_a_local_transcript_is_copied_so_the_original_may_move(assistant, tmp_path):
    original = tmp_path / "my talk.srt"
    original.write_text(srt(episode("focaccia")))
    report = add(assistant, str(original))
    assert report.ok and report.added[0].episode_id == "my-talk"
    original.unlink()
    folder = fetched(assistant) / "my-talk"
    assert (folder / "transcript.srt").is_file()
    assert read_provenance(folder)["files"][0]["path"] == str(original)


@pytest.mark.parametrize("route, message", [
    (Route(b"gone", "text/plain", 404), "HTTP 404 Not Found"),
    (Route(b"<html><body><h1>My blog</h1><p>Nothing to see.</p></body></html>", "text/html"),
     "not a transcript page: no lexfridman.com-style transcript"),
    (Route(b"\x00\x01\x02\x03" * 100, "text/vtt"), "found binary data"),
    (Route(b"Just some notes about bread.\nNo times here.\n", "text/plain"), "unrecognised line"),
    (Route(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>',
           "application/rss+xml"), "an Atom feed"),
    (Route(b'{"hello": "world"}', "application/json"), "found JSON"),
])
def test_each_failure_is_one_line_and_leaves_nothing_behind(assistant, server, route, message):
    url = server.route("/thing", route)
    report = add(assistant, url)
    assert not report.added and len(report.failed) == 1
    assert report.failed[0].startswith(url) and message in report.failed[0] and "\n" not in report.failed[0]
    assert assistant.index.records() == {}
    root = fetched(assistant)
    assert not root.exists() or [p.name for p in root.iterdir()] == []


def test_a_missing_file_a_bad_scheme_and_several_sources_at_once(assistant, server, tmp_path):
    good = server.file("/a.vtt", vtt(BREAD), "text/vtt")
    report = add(assistant, "no/such/file.vtt", "ftp://example.org/x.vtt", good)
    assert [a.episode_id for a in report.added] == ["a"]
    assert report.failed[0] == "no/such/file.vtt: no such file (a web address starts with https://)"
    assert "expected an http:// or https:// URL" in report.failed[1]
    assert not report.offline


def test_a_machine_without_network_gets_told_once(assistant):
    report = add(assistant, "http://127.0.0.1:9/a-transcript", "http://127.0.0.1:9/b-transcript")
    assert report.offline and all("cannot connect" in f for f in report.failed)


def test_the_id_option_names_one_episode(assistant, server):
    a, b = server.file("/a.vtt", vtt(BREAD), "text/vtt"), server.file("/b.vtt", vtt(BREAD), "text/vtt")
    report = add(assistant, a, b, episode_id="x")
    assert not report.added and "names one episode" in report.failed[0]


def test_a_failed_ingest_keeps_the_previous_version(assistant, server, monkeypatch):
    url = server.file("/e.vtt", vtt(BREAD), "text/vtt")
    add(assistant, url, episode_id="e")
    server.file("/e.vtt", vtt(episode("baguettes")), "text/vtt")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(assistant, "ingest", broken)
    with pytest.raises(RuntimeError):
        add(assistant, url, episode_id="e")
    folder = fetched(assistant) / "e"
    assert "sourdough" in (folder / "transcript.vtt").read_text()
    assert [p.name for p in fetched(assistant).iterdir() if p.name.startswith(".new")] == []


@pytest.mark.slow
@pytest.mark.usefixtures("corpus_embedded")  # the pages' sentences' vectors are cached by then
@pytest.mark.parametrize("name", ["lex-fridman-491", "lex-fridman-494"])
def test_the_real_lexfridman_pages_give_the_corpus_metadata(assistant, name):
    """The shared corpus's episode.json files were read from these pages by hand: `add` must agree."""
    folder = shared_episode(name)
    with FetchServer() as server:
        expected = json.loads((folder / "episode.json").read_text())
        path = "/" + expected["transcript_url"].split("lexfridman.com/")[1]
        server.file(path, (folder / "transcript.html").read_bytes(), "text/html; charset=UTF-8")
        settings = assistant.settings.model_copy(update={"fetch_mirrors": f"https://lexfridman.com={server.url('')}"})
        assistant.settings = settings
        report = add(assistant, expected["transcript_url"])
    assert report.ok, report.failed
    meta = assistant.index.records()[name].meta
    for key in ("podcast", "number", "title", "host", "guests", "published", "video_url", "transcript_url"):
        assert getattr(meta, key) == expected[key], key
    assert len(assistant.index.records()[name].chapters) > 5


def test_shared_corpus_is_never_copied_into_the_repository():
    assert SHARED_CORPUS.name == "corpus"
    repo = Path(__file__).resolve().parents[1]
    assert not any(p.name == "transcript.html" for p in (repo / "data").rglob("*"))


@pytest.mark.parametrize("bad", ["../../etc", "a/b", ".hidden", "x" * 81, "new\nline"])
def test_an_id_given_with_the_option_follows_the_id_rule(assistant, server, bad):
    url = server.file("/a.vtt", vtt(BREAD), "text/vtt")
    report = add(assistant, url, episode_id=bad)
    assert not report.added and "is not allowed" in report.failed[0]
    root = fetched(assistant)
    assert not root.exists() or [p.name for p in root.iterdir()] == []
    assert not (root.parent / "etc").exists()
