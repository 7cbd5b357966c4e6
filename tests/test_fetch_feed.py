"""Podcast feeds: reading them (both Podcasting 2.0 namespace URIs, several transcripts per item, persons, episode
numbers, 5,000 items, hostile XML), and adding their items from a real HTTP server: the richest transcript wins
whatever the feed declares, chapters come along, and an item without transcript or audio is one clear line."""

from __future__ import annotations

import tracemalloc

import pytest

from rag.fetch import Adder, AddOptions
from rag.fetch.errors import FetchError
from rag.fetch.feed import parse_feed
from rag.fetch.folder import read_provenance
from tests.fetch_data import (
    BREAD,
    NEW_NS,
    OLD_NS,
    chapters_json,
    episode,
    lex_page,
    pc20_json,
    rss,
    srt,
    timed_text,
    untimed_text,
    vtt,
)
from tests.fetch_server import FetchServer


@pytest.fixture
def server():
    with FetchServer() as s:
        yield s


def write(tmp_path, text: str, name: str = "feed.xml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("ns", [NEW_NS, OLD_NS])
def test_every_transcript_tag_of_an_item_is_read_under_either_namespace(tmp_path, ns):
    feed = parse_feed(write(tmp_path, rss([{
        "guid": "g1", "title": "Sourdough", "number": 12, "date": "Tue, 05 May 2026 10:00:00 GMT",
        "duration": "1:02:03", "enclosure": "https://cdn.example/12.mp3",
        "transcripts": [("https://x/12.json", "application/json"), ("https://x/12.vtt", "text/vtt"),
                        ("https://x/12.srt", "application/x-subrip"), ("https://x/12.html", "text/html")],
        "chapters": "https://x/12-chapters.json", "persons": [("Ana Silva", "host"), ("Ben Ortiz", "guest")],
    }], ns=ns, persons=[("Ana Silva", "host")])), "https://bread.example/feed")
    [item] = feed.items
    assert feed.title == "Bread Talk" and feed.author == "Ana Silva" and feed.persons[0].name == "Ana Silva"
    assert [t.url for t in item.transcripts] == ["https://x/12.json", "https://x/12.vtt", "https://x/12.srt",
                                                 "https://x/12.html"]
    assert (item.guid, item.title, item.number, item.published, item.duration) == (
        "g1", "Sourdough", 12, "2026-05-05", 3723.0)
    assert item.enclosure == "https://cdn.example/12.mp3" and item.chapters == "https://x/12-chapters.json"
    assert [(p.name, p.role) for p in item.persons] == [("Ana Silva", "host"), ("Ben Ortiz", "guest")]


def test_numbers_guids_and_choosing_items(tmp_path):
    items = [{"guid": f"g{n}", "title": f"Ep {n}", "number": n, "episode_tag": "podcast" if n % 2 else "itunes",
              "date": f"Tue, {n:02d} May 2026 10:00:00 GMT"} for n in range(1, 6)]
    items.append({"title": "No guid", "enclosure": "https://cdn.example/x.mp3"})
    feed = parse_feed(write(tmp_path, rss(items)), "u")
    assert feed.items[-1].guid == "https://cdn.example/x.mp3"  # no <guid>: the enclosure stands in
    assert [i.guid for i in feed.select(latest=2)] == ["g5", "g4"]
    assert [i.guid for i in feed.select()] == ["g5"]
    assert [i.guid for i in feed.select(episode="3")] == ["g3"] and feed.select(episode="#3")[0].guid == "g3"
    assert [i.guid for i in feed.select(episode="g2")] == ["g2"]
    with pytest.raises(FetchError, match=r"no item with guid or number '99' \(the feed has 6 items, numbered 1-5\)"):
        feed.select(episode="99")


def test_a_feed_of_5000_items_is_read_in_bounded_memory(tmp_path):
    notes = "<p>" + "Long show notes. " * 200 + "</p>"  # ~3.4 KB of description per item: a ~20 MB feed
    items = [{"guid": f"g{n}", "title": f"Episode {n}", "number": n, "date": "Tue, 05 May 2026 10:00:00 GMT",
              "transcripts": [(f"https://x/{n}.vtt", "text/vtt"), (f"https://x/{n}.json", "application/json")]}
             for n in range(5000)]
    text = rss(items).replace("Show notes with <b>HTML</b>.", notes)
    path = write(tmp_path, text)
    assert path.stat().st_size > 15_000_000
    tracemalloc.start()
    feed = parse_feed(path, "u")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(feed.items) == 5000 and len(feed.items[4999].transcripts) == 2
    assert peak < 15_000_000, f"peak {peak / 1e6:.1f} MB for a {path.stat().st_size / 1e6:.0f} MB feed"


@pytest.mark.parametrize("text, message", [
    ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
     "<rss><channel><title>&b;</title></channel></rss>", "DTD or entity declaration"),
    ("<html><body>Not a feed</body></html>", "not a podcast feed: the document is <html>, expected <rss>"),
    ("<rss><channel><title>Empty</title></channel></rss>", "the feed has no items"),
    ("<rss><channel><item><title>Broken", "not a readable feed: no element found"),
])
def test_hostile_or_wrong_xml_is_one_line(tmp_path, text, message):
    with pytest.raises(FetchError) as err:
        parse_feed(write(tmp_path, text), "https://bread.example/feed")
    assert str(err.value).startswith("https://bread.example/feed: ") and message in str(err.value)


def serve_episode(server, n: int, cues, formats: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """Serve one episode's transcripts; `formats` maps a path suffix to (body, content type). Returns
    (url, declared type) pairs for the feed, declared as the dict's keys say after '|'."""
    links = []
    for key, (body, served_as) in formats.items():
        suffix, _, declared = key.partition("|")
        links.append((server.file(f"/{n}{suffix}", body, served_as), declared))
    return links


def add(assistant, source, **options):
    with Adder(assistant) as adder:
        return adder.add([source], AddOptions(**options))


def test_the_richest_transcript_wins_whatever_the_feed_declares(assistant, server):
    links = serve_episode(server, 1, BREAD, {
        ".json|application/json": (pc20_json(BREAD, speakers=False), "application/json"),  # timed, no speakers
        ".txt|text/plain": (untimed_text(BREAD), "text/plain"),  # not usable: no times
        ".srt|text/vtt": (srt(BREAD), "text/plain"),  # declared VTT, served as text, really SubRip with speakers
        ".html|text/html": ("<html><body><p>Transcript coming soon</p></body></html>", "text/html"),
    })
    url = server.file("/feed.xml", rss([{"guid": "bread-1", "title": "Sourdough", "number": 1,
                                         "transcripts": links, "persons": [("Ben Ortiz", "guest")]}],
                                       persons=[("Ana Silva", "host")]), "application/rss+xml")
    report = add(assistant, url)
    assert report.ok, report.failed
    [added] = report.added
    assert (added.episode_id, added.kind, added.transcript) == ("bread-talk-1", "feed", "srt")
    folder = assistant.settings.fetched_dir() / "bread-talk-1"
    assert sorted(p.name for p in folder.iterdir()) == [".fetch", "episode.json", "transcript.srt"]
    provenance = read_provenance(folder)
    transcript = next(f for f in provenance["files"] if f["name"] == "transcript.srt")
    assert transcript["url"].endswith("/1.srt") and transcript["declared_type"] == "text/vtt"
    assert any("not usable" in n or "unrecognised line" in n for n in provenance["notes"])
    meta = assistant.index.records()["bread-talk-1"].meta
    assert (meta.podcast, meta.number, meta.host, meta.guests) == ("Bread Talk", 1, "Ana Silva", ["Ben Ortiz"])
    hit = assistant.search("rye flour every morning", 1)[0]
    assert hit.chunk.episode_id == "bread-talk-1" and "Ana Silva" in hit.chunk.speakers


@pytest.mark.parametrize("ns", [NEW_NS, OLD_NS])
def test_timed_with_speakers_beats_timed_without_in_any_format(assistant, server, ns):
    links = serve_episode(server, 2, BREAD, {
        ".vtt|text/vtt": (vtt(BREAD).replace("<v Ana Silva>", "").replace("<v Ben Ortiz>", ""), "text/vtt"),
        ".txt|text/plain": (timed_text(BREAD), "text/plain"),  # "Speaker (hh:mm:ss) text": speakers
        ".json|application/json": (pc20_json(BREAD, speakers=False), "application/json"),
    })
    url = server.file("/feed.xml", rss([{"guid": "b2", "title": "Rye", "number": 2, "transcripts": links}], ns=ns))
    report = add(assistant, url)
    assert report.ok and report.added[0].transcript == "text"


def test_chapters_come_with_the_item_and_a_broken_chapters_file_is_only_a_note(assistant, server):
    links = serve_episode(server, 3, BREAD, {".vtt|text/vtt": (vtt(BREAD), "text/vtt")})
    good = server.file("/3-chapters.json", chapters_json([(0, "Hello"), (15, "Starters")]), "application/json")
    links4 = serve_episode(server, 4, episode("rye"), {".vtt|text/vtt": (vtt(episode("rye")), "text/vtt")})
    bad = server.file("/4-chapters.json", "<html>oops</html>", "application/json")
    url = server.file("/feed.xml", rss([
        {"guid": "c3", "title": "Three", "number": 3, "transcripts": links, "chapters": good,
         "date": "Tue, 05 May 2026 10:00:00 GMT"},
        {"guid": "c4", "title": "Four", "number": 4, "transcripts": links4, "chapters": bad,
         "date": "Tue, 12 May 2026 10:00:00 GMT"}]))
    report = add(assistant, url, latest=2)
    assert report.ok, report.failed
    records = assistant.index.records()
    assert [c.title for c in records["bread-talk-3"].chapters] == ["Hello", "Starters"]
    four = next(a for a in report.added if a.episode_id == "bread-talk-4")
    assert any("chapters not used" in n and "not Podcasting 2.0 chapters" in n for n in four.notes)


def test_a_feed_page_served_with_a_lexfridman_style_transcript(assistant, server):
    page = lex_page(BREAD, title="Bread", number=5, guests=["Ben Ortiz"], published="2026-01-01", video_id="v")
    links = serve_episode(server, 5, BREAD, {".html|text/html": (page, "text/html")})
    url = server.file("/feed.xml", rss([{"guid": "h5", "title": "Five", "number": 5, "transcripts": links}]))
    report = add(assistant, url)
    assert report.ok and report.added[0].transcript == "html"


def test_items_without_a_usable_transcript_or_audio_fail_one_line_each(assistant, server, monkeypatch):
    from rag.fetch import audio

    monkeypatch.setattr(audio, "available", lambda: False)  # as without the [audio] extra
    dead = server.url("/missing.vtt")
    url = server.file("/feed.xml", rss([
        {"guid": "a", "title": "Nothing at all", "number": 1, "date": "Tue, 05 May 2026 10:00:00 GMT"},
        {"guid": "b", "title": "Dead link", "number": 2, "transcripts": [(dead, "text/vtt")],
         "date": "Tue, 12 May 2026 10:00:00 GMT"},
        {"guid": "c", "title": "Audio only", "number": 3, "enclosure": server.url("/3.mp3"),
         "date": "Tue, 19 May 2026 10:00:00 GMT"},
    ]))
    report = add(assistant, url, latest=3)
    assert not report.added and len(report.failed) == 3
    by_item = {line.split('"')[1]: line for line in report.failed}
    assert by_item["Nothing at all"] == f'{url}: item #1 "Nothing at all": has no transcript and no audio enclosure'
    assert f"{dead}: HTTP 404 Not Found" in by_item["Dead link"] and "no audio enclosure" in by_item["Dead link"]
    assert "its audio can be transcribed after pip install 'podcast-rag[audio]'" in by_item["Audio only"]
    assert assistant.index.records() == {}


def test_a_local_feed_file_and_picking_an_item_by_number(assistant, server, tmp_path):
    links = {n: serve_episode(server, n, episode(t), {".vtt|text/vtt": (vtt(episode(t)), "text/vtt")})
             for n, t in ((7, "pretzels"), (8, "bagels"))}
    path = write(tmp_path, rss([{"guid": f"n{n}", "title": f"Ep {n}", "number": n, "transcripts": links[n]}
                                for n in (7, 8)]))
    report = add(assistant, str(path), episode="7")
    assert [a.episode_id for a in report.added] == ["bread-talk-7"]
    assert not report.notes  # an explicit pick: no "latest 1 of 2" note
    assert assistant.search("pretzels", 1)[0].chunk.episode_id == "bread-talk-7"
