"""The scripted OpenAI-compatible test server behaves as documented, seen through the real `openai` client."""

import openai
import pytest

from tests.openai_server import Reply


def client(server, key="k"):
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0, timeout=5)


def test_replies_in_order_streamed_or_not_and_requests_are_recorded(openai_server):
    openai_server.reply("first", Reply("second reply", pieces=["sec", "ond ", "reply"]))
    c = client(openai_server)
    done = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q1"}])
    assert done.choices[0].message.content == "first" and done.model == "m"
    chunks = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "q2"}], stream=True)
    assert [ch.choices[0].delta.content for ch in chunks if ch.choices[0].delta.content] == ["sec", "ond ", "reply"]
    assert [r.text() for r in openai_server.chat_requests] == ["q1", "q2"] and openai_server.pending == 0
    assert c.models.list().data[0].id == "scripted-model"


def test_an_empty_queue_answers_500_saying_so(openai_server):
    with pytest.raises(openai.InternalServerError, match="no scripted reply left"):
        client(openai_server).chat.completions.create(model="m", messages=[])


def test_api_key_and_error_replies(openai_server):
    openai_server.api_key = "right"
    with pytest.raises(openai.AuthenticationError):
        client(openai_server, "wrong").chat.completions.create(model="m", messages=[])
    openai_server.reply(Reply.error(429, "slow down", retry_after=3))
    with pytest.raises(openai.RateLimitError) as err:
        client(openai_server, "right").chat.completions.create(model="m", messages=[])
    assert err.value.response.headers["retry-after"] == "3"
