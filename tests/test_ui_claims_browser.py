"""The "Check a claim" tab in a real browser: a claim gets a verdict badge and evidence cited to the second."""

from __future__ import annotations

import pytest

from tests.browser import chromium, screenshot, serve
from tests.caches import TEST_CACHE
from tests.conftest import share_models, write_tiny_corpus

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def url(tmp_path_factory, real_embedder):
    from rag.assistant import Assistant
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("claims-ui")
    assistant = Assistant(Settings(index=root / "index", cache=TEST_CACHE, _env_file=None))
    share_models(assistant, real_embedder)
    assert assistant.ingest([write_tiny_corpus(root / "corpus")]).ok
    with serve(assistant) as address:
        yield address


def check(page, claim: str) -> str:
    """The verdict for `claim`: waits until the result names this claim (not the previous one) with its badge."""
    page.get_by_role("tab", name="Check a claim").click()
    page.fill("#claim-box textarea", claim)
    page.click("#claim-check")
    page.wait_for_function(
        "(claim) => { const r = document.querySelector('#claim-result .podrag-claim');"
        " return r && r.innerText.includes(claim) && document.querySelector('#claim-result .podrag-badge'); }",
        arg=claim)
    return page.inner_text("#claim-result")


def test_claims_get_verdicts_with_timed_evidence(url, tmp_path):
    with chromium(tmp_path / "profile") as context:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url)
        result = check(page, "Dylan Patel says DeepSeek has about 50,000 GPUs")
        assert "supported" in result.lower() and "0:00:15" in result and "Dylan Patel" in result
        screenshot(page, "ui-claim-supported.png")
        result = check(page, "Nathan Lambert says DeepSeek has about 50,000 GPUs")
        assert "misattributed" in result.lower()
