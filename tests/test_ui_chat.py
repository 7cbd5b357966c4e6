"""ui/chat_tab.py: what the chat shows while an answer streams, when it is done, and when asking fails."""

import html
import re
import time

from rag.assistant import Assistant
from rag.settings import Settings
from tests.caches import TEST_CACHE
from tests.conftest import share_models
from tools.net import free_port
from ui import chat_tab


class TokenStream(Assistant):
    """The real answer, delivered the way an LLM streams it: small pieces with a leading space, over time."""

    def ask_stream(self, question, filters=None, history=()):
        events = list(Assistant.ask_stream(self, question, filters, history))
        for piece in re.findall(r"\s*\S+", events[-1].answer):
            time.sleep(0.02)
            yield piece
        yield events[-1]


def test_partial_text_streams_at_word_boundaries_then_the_cited_answer(tiny_assistant, monkeypatch):
    monkeypatch.setattr(chat_tab, "STREAM_INTERVAL", 0.05)
    assistant = TokenStream(tiny_assistant.settings)
    share_models(assistant, tiny_assistant.embedder)
    updates = list(chat_tab.stream_turn(assistant, "How many GPUs does DeepSeek have?", None, []))

    first, *middle, last = updates
    assert first[1] is None and first[0][0]["content"] == "How many GPUs does DeepSeek have?"
    assert first[0][1]["content"].startswith('<div class="answer streaming">')
    partial = [m[1]["content"] for m, turn in middle]
    assert len(partial) >= 2 and all(turn is None for _, turn in middle)
    texts = [html.unescape(re.sub(r"<[^>]+>|▌", "", p.replace("<br>", "\n"))) for p in partial]
    assert all(a in b for a, b in zip(texts, texts[1:]))  # it only grows
    final_text = last[1].answer.answer
    for t in texts:
        assert final_text.startswith(t)
        assert final_text[len(t) : len(t) + 1] in (" ", "\n", "")  # never half a word

    messages, turn = last
    assert turn.answer and turn.sources and turn.sources[0].chunk.episode_id == "tiny-459"
    assert 'class="cite-chip" href="#cite-0-0"' in messages[1]["content"]
    assert "streaming" not in messages[1]["content"]


def test_follow_ups_keep_earlier_turns_and_number_their_chips(tiny_assistant):
    _, first = list(chat_tab.stream_turn(tiny_assistant, "How many GPUs does DeepSeek have?", None, []))[-1]
    messages, second = list(chat_tab.stream_turn(tiny_assistant, "How long is the fermentation?", None, [first]))[-1]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert 'href="#cite-1-0"' in messages[3]["content"] and 'href="#cite-0-0"' in messages[1]["content"]
    assert second.sources[0].chunk.episode_id == "tiny-500"


def test_an_unreachable_index_is_an_error_message_not_a_crash(embedder, tmp_path):
    settings = Settings(index=tmp_path / "i", cache=TEST_CACHE, chroma_url=f"http://127.0.0.1:{free_port()}",
                        _env_file=None)
    assistant = Assistant(settings)
    share_models(assistant, embedder)
    messages, turn = list(chat_tab.stream_turn(assistant, "anything?", None, []))[-1]
    assert turn.answer is None and turn.sources == []
    assert "Something went wrong" in messages[1]["content"]
    assert f"cannot open the Chroma index at {settings.chroma_url}" in messages[1]["content"]


def test_asking_an_empty_library_says_how_to_add_episodes(embedder, tmp_path):
    """A new user's first question, before any episode is added: the chat says the library is empty and how to
    fill it, as the CLI does, not "the episodes don't seem to cover this"."""
    assistant = Assistant(Settings(index=tmp_path / "i", cache=TEST_CACHE, _env_file=None))
    share_models(assistant, embedder)
    messages, turn = list(chat_tab.stream_turn(assistant, "How many GPUs does DeepSeek have?", None, []))[-1]
    assert turn.answer is None and turn.sources == []
    text = html.unescape(messages[1]["content"])
    assert f"The library at {assistant.index.location} is empty: add episodes first" in text and "Library tab" in text
    assert "Something went wrong" not in text and "cover" not in text
