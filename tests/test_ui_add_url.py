"""The Library tab's "Add from a URL", as the app runs it: guarded (no address on the server's own network unless
PODRAG_FETCH_ALLOW_PRIVATE, no local paths), one line per result, the library table refreshed."""

from __future__ import annotations

import pytest

from tests.fetch_data import BREAD, lex_page, rss, vtt
from tests.fetch_server import FetchServer
from ui.add_url import add_from_url


@pytest.fixture
def server():
    with FetchServer() as s:
        yield s


def test_the_app_refuses_its_own_network_by_default(assistant, server):
    url = server.file("/p/", lex_page(BREAD, title="T", number=3, guests=["Ana Silva"], published="2026-01-01",
                                      video_id="v"), "text/html")
    html, changed = add_from_url(assistant, url)
    assert not changed and "127.0.0.1 is on this machine&#39;s own or private network" in html
    assert server.hits == [] and assistant.index.records() == {}


@pytest.mark.parametrize("source", ["/etc/passwd", "data/fetched", "file:///etc/passwd"])
def test_the_app_takes_urls_only(assistant, source):
    html, changed = add_from_url(assistant, source)
    assert not changed and "Not added" in html and "http" in html


def test_with_private_addresses_allowed_a_page_and_a_feed_are_added(assistant, server):
    """The test setting that lets the app reach this 127.0.0.1 server, stated explicitly."""
    assistant.settings = assistant.settings.model_copy(update={"fetch_allow_private": True})
    page = server.file("/p/", lex_page(BREAD, title="Sourdough", number=3, guests=["Ana Silva"],
                                       published="2026-01-01", video_id="v"), "text/html")
    html, changed = add_from_url(assistant, page)
    assert changed and "New: lex-fridman-3 — Sourdough" in html
    for n in (1, 2, 3):
        server.file(f"/{n}.vtt", vtt(BREAD), "text/vtt")
    feed = server.file("/feed.xml", rss([{"guid": f"g{n}", "title": f"Ep {n}", "number": n,
                                          "date": f"Tue, 0{n} May 2026 10:00:00 GMT",
                                          "transcripts": [(server.url(f"/{n}.vtt"), "text/vtt")]} for n in (1, 2, 3)]))
    html, changed = add_from_url(assistant, feed, latest=2)
    assert changed and "New: bread-talk-3" in html and "New: bread-talk-2" in html
    assert "added the latest 2 of 3 items" in html
    html, changed = add_from_url(assistant, page)
    assert not changed and "Unchanged: lex-fridman-3" in html


def test_an_empty_url_says_what_to_paste(assistant):
    html, changed = add_from_url(assistant, "  ")
    assert not changed and "paste the URL" in html



def test_a_video_whose_host_resolves_to_a_private_address_is_refused_before_yt_dlp_runs(assistant):
    """yt-dlp makes its own connections, so the app checks the host first: here DNS answers with a private address
    (as a hostile or misconfigured resolver would), and nothing is fetched."""
    from rag.fetch import Adder, AddOptions

    with Adder(assistant, guarded=True, resolver=lambda host, port: ["10.0.0.7"]) as adder:
        report = adder.add(["https://www.youtube.com/watch?v=_1f-o0nqpEI"], AddOptions())
    assert report.failed == ["https://www.youtube.com/watch?v=_1f-o0nqpEI: www.youtube.com resolves to 10.0.0.7, "
                             "which is on this machine's own or private network: not fetched "
                             "(PODRAG_FETCH_ALLOW_PRIVATE=true allows it)"]
