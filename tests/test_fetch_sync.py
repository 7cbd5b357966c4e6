"""`sync`: added feeds are re-read with conditional GETs; new items are added, changed transcripts re-ingested,
and nothing is downloaded twice (a real server on 127.0.0.1 counts every body it sends)."""

from __future__ import annotations

import pytest

from rag.fetch import Adder, AddOptions
from rag.fetch.sync import sync_feeds
from tests.fetch_data import episode, rss, vtt
from tests.fetch_server import FetchServer


@pytest.fixture
def server():
    with FetchServer() as s:
        yield s


def publish(server, items: list[tuple[int, str]]) -> str:
    for n, topic in items:
        server.file(f"/{n}.vtt", vtt(episode(topic)), "text/vtt")
    return server.file("/feed.xml", rss([
        {"guid": f"ep{n}", "title": f"Episode {n}", "number": n, "date": f"Tue, {n:02d} May 2026 10:00:00 GMT",
         "transcripts": [(server.url(f"/{n}.vtt"), "text/vtt")]} for n, _ in items]), "application/rss+xml")


def sync(assistant):
    with Adder(assistant) as adder:
        return sync_feeds(adder)


def test_sync_fetches_new_items_and_changed_transcripts_and_nothing_twice(assistant, server):
    url = publish(server, [(1, "pretzels"), (2, "bagels")])
    with Adder(assistant) as adder:
        first = adder.add([url], AddOptions())
    assert [a.episode_id for a in first.added] == ["bread-talk-2"]  # the latest only
    assert server.downloads("/1.vtt") == 0 and server.downloads("/2.vtt") == 1

    quiet = sync(assistant)  # nothing changed: the feed and the transcript answer 304
    assert quiet.ok and [a.status for a in quiet.added] == ["unchanged"]
    assert server.downloads("/feed.xml") == 1 and server.downloads("/2.vtt") == 1
    assert [h.status for h in server.hits[-2:]] == [304, 304]

    publish(server, [(1, "pretzels"), (2, "bagels"), (3, "croissants")])  # a new episode
    grown = sync(assistant)
    assert {(a.episode_id, a.status) for a in grown.added} == {("bread-talk-2", "unchanged"), ("bread-talk-3", "new")}
    assert server.downloads("/1.vtt") == 0  # seen when the feed was added, not chosen: never fetched
    assert server.downloads("/3.vtt") == 1 and server.downloads("/2.vtt") == 1
    assert assistant.search("croissants", 1)[0].chunk.episode_id == "bread-talk-3"

    server.file("/2.vtt", vtt(episode("brioche")), "text/vtt")  # a corrected transcript, same URL, same feed
    fixed = sync(assistant)
    assert {(a.episode_id, a.status) for a in fixed.added} == {("bread-talk-2", "updated"),
                                                               ("bread-talk-3", "unchanged")}
    assert server.downloads("/2.vtt") == 2 and server.downloads("/3.vtt") == 1
    assert server.downloads("/feed.xml") == 2  # read anew only when it changed
    hit = assistant.search("brioche", 1)[0]
    assert hit.chunk.episode_id == "bread-talk-2" and "brioche" in hit.chunk.text
    assert not any("bagels" in p.chunk.text for p in assistant.search("bagels", 5, None)
                   if p.chunk.episode_id == "bread-talk-2")


def test_a_feed_that_fails_is_one_line_and_the_others_still_sync(assistant, server):
    good = publish(server, [(1, "pretzels")])
    with FetchServer() as other:
        gone = publish(other, [(5, "scones")])
        with Adder(assistant) as adder:
            assert adder.add([good], AddOptions()).ok and adder.add([gone], AddOptions()).ok
    publish(server, [(1, "pretzels"), (2, "bagels")])
    report = sync(assistant)  # the second server is gone
    assert len(report.failed) == 1 and report.failed[0].startswith(gone) and "cannot connect" in report.failed[0]
    assert ("bread-talk-2", "new") in {(a.episode_id, a.status) for a in report.added}


def test_sync_with_no_feeds_does_nothing(assistant):
    report = sync(assistant)
    assert report.ok and not report.added


def test_an_item_whose_transcript_is_not_out_yet_is_tried_again(assistant, server, monkeypatch):
    from rag.fetch import audio

    monkeypatch.setattr(audio, "available", lambda: False)
    url = publish(server, [(1, "pretzels")])
    with Adder(assistant) as adder:
        assert adder.add([url], AddOptions()).ok
    # Episode 2 is announced before its transcript is online.
    publish(server, [(1, "pretzels"), (2, "bagels")])
    server.routes.pop("/2.vtt")
    early = sync(assistant)
    assert (len(early.failed) == 1 and "HTTP 404 Not Found" in early.failed[0]
            and 'item #2 "Episode 2"' in early.failed[0])
    server.file("/2.vtt", vtt(episode("bagels")), "text/vtt")
    later = sync(assistant)
    assert later.ok and ("bread-talk-2", "new") in {(a.episode_id, a.status) for a in later.added}


def test_a_local_feed_file_is_synced_from_anywhere(assistant, server, tmp_path, monkeypatch):
    from tests.fetch_data import rss as make_rss

    server.file("/1.vtt", vtt(episode("pretzels")), "text/vtt")
    feed = tmp_path / "feeds" / "show.xml"
    feed.parent.mkdir()
    feed.write_text(make_rss([{"guid": "ep1", "title": "Episode 1", "number": 1,
                               "transcripts": [(server.url("/1.vtt"), "text/vtt")]}]))
    monkeypatch.chdir(tmp_path / "feeds")
    with Adder(assistant) as adder:
        assert adder.add(["show.xml"], AddOptions()).ok
    server.file("/2.vtt", vtt(episode("bagels")), "text/vtt")
    feed.write_text(make_rss([{"guid": f"ep{n}", "title": f"Episode {n}", "number": n,
                               "transcripts": [(server.url(f"/{n}.vtt"), "text/vtt")]} for n in (1, 2)]))
    monkeypatch.chdir(tmp_path)
    report = sync(assistant)
    assert report.ok and ("bread-talk-2", "new") in {(a.episode_id, a.status) for a in report.added}
