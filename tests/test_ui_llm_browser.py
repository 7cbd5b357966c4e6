"""The chat with an LLM behind it, in a real browser: the answer streams from a real local OpenAI-compatible
server, names the model, and shows what the citation checks found (an invented [9] is gone and reported)."""

from __future__ import annotations

import pytest

from tests.browser import chromium, screenshot, serve
from tests.caches import TEST_CACHE
from tests.conftest import share_models, write_tiny_corpus
from tests.openai_server import Reply

pytestmark = pytest.mark.browser

REPLY = ("SemiAnalysis believes DeepSeek has closer to 50,000 GPUs [1]. "
         "The paper itself only mentions the final training run [9].")


def test_llm_answer_streams_with_model_name_checked_citations(tmp_path, embedder, openai_server):
    from rag.assistant import Assistant
    from rag.settings import Settings

    settings = Settings(index=tmp_path / "index", cache=TEST_CACHE, _env_file=None,
                        llm_base_url=openai_server.base_url, llm_timeout=30.0,
                        llm_rerank=False)  # the answer call is scripted
    assistant = Assistant(settings)
    share_models(assistant, embedder)
    assert assistant.ingest([write_tiny_corpus(tmp_path / "corpus")]).ok
    openai_server.reply(Reply(REPLY, piece_delay=0.05))
    with serve(assistant) as url, chromium(tmp_path / "profile") as context:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url)
        assert "LLM:" in page.inner_text("#mode")  # before the first answer it names the server
        page.fill("#question textarea", "How many GPUs does DeepSeek have?")
        page.keyboard.press("Enter")
        page.wait_for_selector("#chat .answer-meta")
        answer = page.locator("#chat .message-content").last.inner_text()
        screenshot(page, "ui-llm-answer.png")
    assert "closer to 50,000 GPUs [1]" in answer
    assert "[9]" not in answer.split("removed citation")[0]  # gone from the answer text
    assert "removed citation [9]" in answer
    assert "scripted-model" in answer
    request = openai_server.chat_requests[-1]
    assert request.json["stream"] is True
