""""Add from a URL" in a real browser: paste a feed's URL into the Library tab, the newest item is fetched from a
127.0.0.1 server and indexed, and it appears in the library and in the Chat tab's episode filter."""

from __future__ import annotations

import pytest

from tests.browser import chromium, screenshot, serve
from tests.caches import TEST_CACHE
from tests.conftest import share_models
from tests.fetch_data import episode, rss, vtt
from tests.fetch_server import FetchServer

pytestmark = pytest.mark.browser

TIMEOUT = 90_000  # ms: fetching, embedding and indexing on a busy 2-core machine


def test_a_feed_pasted_into_the_library_tab_is_fetched_and_indexed(tmp_path, embedder):
    from rag.assistant import Assistant
    from rag.settings import Settings

    # The app may not fetch from this machine's own network unless told: the test server is on 127.0.0.1.
    settings = Settings(index=tmp_path / "index", cache=TEST_CACHE, fetch_allow_private=True, _env_file=None)
    assistant = Assistant(settings)
    share_models(assistant, embedder)
    with FetchServer() as site:
        for n, topic in ((1, "pretzels"), (2, "kites made of bread dough")):
            site.file(f"/{n}.vtt", vtt(episode(topic)), "text/vtt")
        feed = site.file("/feed.xml", rss([
            {"guid": f"g{n}", "title": f"Episode {n}", "number": n, "date": f"Tue, 0{n} May 2026 10:00:00 GMT",
             "transcripts": [(site.url(f"/{n}.vtt"), "text/vtt")]} for n in (1, 2)], title="Odd Bakes"))
        with serve(assistant) as url, chromium(tmp_path / "profile") as context:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT)
            page.goto(url)
            page.get_by_role("tab", name="Library").click()
            page.fill("#add-url input", feed)
            page.click("#add-url-button")
            status = page.locator("#add-url-status")
            status.get_by_text("New: odd-bakes-2").wait_for()
            assert "added the latest 1 of 2 items" in status.inner_text()
            page.locator("#library", has_text="Episode 2").wait_for()
            screenshot(page, "ui-add-url.png")

            page.get_by_role("tab", name="Chat").click()
            page.locator("#filter-episode input").click()
            page.locator("[role=option]", has_text="Episode 2").wait_for()
        assert site.downloads("/2.vtt") == 1 and site.downloads("/1.vtt") == 0
