"""The app in a real browser: ask, read the cited answer, open a source, rate it, add an episode, and check that
markup inside a transcript never runs. The app runs in this process over a small real index."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.browser import chromium, screenshot, serve
from tests.caches import TEST_CACHE
from tests.conftest import share_models, write_tiny_corpus

pytestmark = pytest.mark.browser

TIMEOUT = 60_000  # ms: the first answer may wait for a busy 2-core machine

XSS_TRANSCRIPT = """\
Mallory Evil (00:00:00) Hello <script>window.__pwned = 1</script> and welcome to the rocket show.
Mallory Evil (00:00:05) The rocket launch code is <img src=x onerror="window.__pwned=2"> seven seven four.
Mallory Evil (00:00:12) The rocket launch code is also at [click here](javascript:window.__pwned=3) \
and ![pic](https://evil.example/p.png) for the launch.
"""
# </script> too: the title travels in the page's inline JSON config (dropdown choices), which must stay inert.
XSS_TITLE = 'Rocket <img src=x onerror="window.__pwned=4"> </script><script>window.__pwned=5</script> show'


@pytest.fixture(scope="module")
def app(tmp_path_factory, real_embedder):
    """The app over the two tiny episodes plus one whose transcript and title are full of markup."""
    from rag.assistant import Assistant
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("ui")
    corpus = write_tiny_corpus(root / "corpus")
    xss = corpus / "xss-1"
    xss.mkdir()
    (xss / "transcript.txt").write_text(XSS_TRANSCRIPT)
    (xss / "episode.json").write_text(json.dumps({"id": "xss-1", "title": XSS_TITLE,
                                                  "video_url": "https://www.youtube.com/watch?v=xss"}))
    settings = Settings(index=root / "index", cache=TEST_CACHE, _env_file=None)
    assistant = Assistant(settings)
    share_models(assistant, real_embedder)
    report = assistant.ingest([corpus])
    assert report.ok, report.failed
    with serve(assistant) as url:
        yield url, assistant


@pytest.fixture
def page(app, tmp_path):
    with chromium(tmp_path / "profile") as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(app[0])
        page.wait_for_selector("#question textarea")
        yield page


def ask(page, question: str):
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat .answer-meta")  # the final answer (not the streaming one) has arrived
    return page.locator("#chat .message-content").last


def test_ask_read_the_cited_answer_and_open_the_moment(page, app):
    assert "offline (extractive)" in page.inner_text("#mode")
    answer = ask(page, "How many GPUs does DeepSeek really have?")
    assert "50,000 GPUs" in answer.inner_text()
    chips = page.locator("#chat a.cite-chip")
    labels = chips.all_inner_texts()
    moment = [label for label in labels if re.fullmatch(r"\[\d\] 0:00:15 · Dylan Patel", label)]
    assert moment, labels  # the transcript moment, cited to the second with its speaker
    screenshot(page, "ui-chat-answer.png")

    chips.filter(has_text=moment[0]).click()
    panel = page.locator("#source-panel")
    panel.locator(".src-turns").wait_for()
    assert panel.locator(".src-head").text_content() == f"Source {moment[0].split()[0]}"
    text = panel.inner_text()
    assert "Tiny DeepSeek talk" in text and "Dylan Patel · 0:00:15" in text
    # the turns around it: Lex asks, then the cited turn, marked
    heads = panel.locator(".turn-head").all_inner_texts()
    assert heads[0].startswith("Lex Fridman") and heads[1].startswith("▶ Dylan Patel"), heads
    assert panel.locator(".turn.cited .turn-head").first.inner_text().startswith("▶ Dylan Patel")
    assert "50,000 GPUs" in " ".join(panel.locator("mark").all_inner_texts())  # every sentence the quote holds
    assert panel.locator("a.watch").get_attribute("href") == "https://www.youtube.com/watch?v=abc123&t=15"
    assert panel.locator("a.listen").get_attribute("href") == "https://media.example/tiny.mp3#t=15"
    assert panel.locator("a.watch").get_attribute("target") == "_blank"
    screenshot(page, "ui-chat-source.png")

    # phone width: the source panel moves below the chat instead of squeezing beside it
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    chat, side = page.locator("#chat").bounding_box(), panel.bounding_box()
    assert side["y"] >= chat["y"] + chat["height"] and side["width"] > 300
    screenshot(page, "ui-chat-phone.png")


def test_an_example_question_is_asked_with_one_click(page):
    example = page.locator("#examples button", has_text="What do they say about").first
    example.wait_for()  # the examples come from the index when the page loads, not with the page
    text = example.inner_text()
    example.click()
    page.wait_for_selector("#chat .answer-meta")
    assert page.locator("#chat [data-testid=user]").first.inner_text() == text


def test_filters_restrict_the_answer_to_an_episode(page):
    page.locator("#filter-episode input").click()
    page.locator("[role=option]", has_text="Bread").click()
    answer = ask(page, "How many GPUs does DeepSeek really have?")
    # the bread episode never mentions GPUs: an abstention, shown as information, not as an error
    assert page.locator("#chat .answer.abstained").count() == 1
    assert page.locator("#chat .podrag-error").count() == 0
    assert "Closest moments" in answer.inner_text()


def test_thumbs_up_is_stored_with_the_question_and_citations(page, app):
    from rag.feedback import FeedbackStore

    store = FeedbackStore(app[1].settings.feedback_path())
    before = len(store.entries())
    ask(page, "How long is the sourdough fermentation?")
    page.locator("#chat button[aria-label='Like']").last.click()
    deadline = time.monotonic() + 20
    while len(store.entries()) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    entry = store.entries()[-1]
    assert entry.rating == "up" and entry.question == "How long is the sourdough fermentation?"
    assert entry.citations and entry.citations[0]["episode_id"] == "tiny-500"


def _set_file(page, component: str, path) -> None:
    page.locator(f"#{component} input[type=file]").set_input_files(str(path))
    page.locator(f'#{component} td.filename[aria-label="{path.name}"]').wait_for()
    page.locator(f"#{component} a.download-link").wait_for()  # the server has the file


def _fill(page, elem_id: str, value: str) -> None:
    page.locator(f"#{elem_id} textarea, #{elem_id} input").first.fill(value)


def test_upload_an_episode_and_find_it_in_the_filter(page, tmp_path):
    page.get_by_role("tab", name="Library").click()
    page.locator("#library table").wait_for()
    vtt = tmp_path / "kites.vtt"
    vtt.write_text("WEBVTT\n\n1\n00:00:02.000 --> 00:00:09.000\n<v Kim Lee>We fly kites on the windy beach "
                   "every autumn, with lines of ninety metres.</v>\n")
    _set_file(page, "upload-transcript", vtt)
    _fill(page, "form-title", "Kite flying")
    _fill(page, "form-guests", "Kim Lee")
    page.click("#add-episode")
    status = page.locator("#upload-status")
    status.get_by_text("Added kite-flying").wait_for()
    assert "1 new" in status.inner_text()
    assert "Kite flying" in page.inner_text("#library") and "Kim Lee" in page.inner_text("#library")
    screenshot(page, "ui-library.png")

    page.get_by_role("tab", name="Chat").click()
    page.locator("#filter-episode input").click()
    page.locator("[role=option]", has_text="Kite flying").wait_for()
    page.locator("[role=option]", has_text="Kite flying").click()
    page.locator("#filter-speaker input").click()
    page.locator("[role=option]", has_text="Kim Lee").wait_for()
    page.keyboard.press("Escape")
    ask(page, "How long are the kite lines?")
    assert "ninety metres" in page.locator("#chat .message-content").last.inner_text()

    # The claim checker's episode choices follow the library too.
    page.get_by_role("tab", name="Check a claim").click()
    page.locator("#claim-episode input").click()
    page.locator("[role=option]", has_text="kite-flying").wait_for()


def test_rejected_uploads_say_why(page, tmp_path):
    page.get_by_role("tab", name="Library").click()
    bad = tmp_path / "broken.vtt"
    bad.write_text("WEBVTT\n\n1\n00:00:09.000 --> 00:00:02.000\n<v A>Backwards.</v>\n")
    _set_file(page, "upload-transcript", bad)
    _fill(page, "form-id", "../../etc/passwd")
    page.click("#add-episode")
    status = page.locator("#upload-status")
    status.get_by_text("is not allowed").wait_for()
    assert "Not added: episode id '../../etc/passwd' is not allowed" in status.inner_text()

    _fill(page, "form-id", "broken-1")
    page.click("#add-episode")
    status.get_by_text("transcript.vtt").wait_for()
    assert re.search(r"Not added: transcript\.vtt:\d+: ", status.inner_text())  # no server folders
    assert "broken-1" not in page.inner_text("#library")


def test_markup_in_a_transcript_is_shown_as_text_and_never_runs(page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    answer = ask(page, "What is the rocket launch code?")
    shown = answer.inner_text()
    assert '<img src=x onerror="window.__pwned=2">' in shown or "[click here](javascript:" in shown, shown
    page.locator("#chat a.cite-chip").first.click()
    page.locator("#source-panel .src-turns").wait_for()
    panel = page.inner_text("#source-panel")
    assert "<script>window.__pwned = 1</script>" in panel or '<img src=x onerror="window.__pwned=2">' in panel
    assert XSS_TITLE in panel  # the episode title, as the characters it is

    page.get_by_role("tab", name="Library").click()
    assert XSS_TITLE in page.inner_text("#library")
    page.get_by_role("tab", name="Chat").click()
    page.locator("#filter-episode input").click()
    page.locator("[role=option]", has_text="Rocket <img").wait_for()
    page.keyboard.press("Escape")

    time.sleep(0.5)  # give any injected handler (onerror fires asynchronously) the chance to run
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    injected = page.evaluate("""() => ({
        imgs: document.querySelectorAll('#chat img, #source-panel img, #library img, img[src="x"]').length,
        evil: document.querySelectorAll('img[src*="evil.example"], a[href*="evil.example"]').length,
        js: document.querySelectorAll('a[href^="javascript"], [onerror], [onmouseover]').length,
        // the page's own config (JSON data) carries the title; no other script may mention it
        scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')
                                             && !s.textContent.startsWith('window.gradio_config =')).length,
    })""")
    assert injected == {"imgs": 0, "evil": 0, "js": 0, "scripts": 0}
    screenshot(page, "ui-markup-inert.png")


def test_a_reload_shows_episodes_added_elsewhere_in_the_library(page, app, tmp_path):
    """Another session or `podcast-rag ingest` adds an episode: a reload of the page lists it."""
    page.get_by_role("tab", name="Library").click()
    page.locator("#library table").wait_for()
    assert "Lantern festival" not in page.inner_text("#library")
    folder = tmp_path / "lanterns-1"
    folder.mkdir()
    (folder / "episode.json").write_text(json.dumps({"id": "lanterns-1", "title": "Lantern festival"}))
    (folder / "transcript.vtt").write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:05.000\n<v Mei Chen>Paper lanterns "
                                           "float down the river at dusk.</v>\n")
    assert app[1].ingest([folder]).ok
    page.reload()
    page.get_by_role("tab", name="Library").click()
    page.locator("#library", has_text="Lantern festival").wait_for()
