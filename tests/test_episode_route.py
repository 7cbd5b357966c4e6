"""The episode a question names (rag/episode_route.py) and the answers it routes (Assistant.route)."""

from __future__ import annotations

import pytest

from rag.episode_route import named_episode, without_episode_name
from rag.models import EpisodeMeta, Filters

EPISODES = {
    "lex-fridman-459": EpisodeMeta("lex-fridman-459", number=459, guests=["Dylan Patel", "Nathan Lambert"],
                                   title="DeepSeek, China, OpenAI, NVIDIA, xAI, TSMC, Stargate, and AI Megaclusters"),
    "lex-fridman-491": EpisodeMeta("lex-fridman-491", number=491, guests=["Peter Steinberger"],
                                   title="OpenClaw: The Viral AI Agent that Broke the Internet - Peter Steinberger"),
    "lex-fridman-494": EpisodeMeta("lex-fridman-494", number=494, guests=["Jensen Huang"],
                                   title="Jensen Huang: NVIDIA - The $4 Trillion Company & the AI Revolution"),
}


@pytest.mark.parametrize("question, episode", [
    ("Whose words does Lex leave listeners with at the end of the DeepSeek episode?", "lex-fridman-459"),
    ("In the Jensen Huang conversation, who suggests asking a chatbot?", "lex-fridman-494"),  # a guest
    ("What closing quote does Lex use for the OpenClaw episode?", "lex-fridman-491"),
    ("What happens in episode 491?", "lex-fridman-491"),
    ("What did Lex say in #494 about power?", "lex-fridman-494"),
    ("What did they say in the NVIDIA episode?", None),  # two titles say NVIDIA: no guess
    ("What did they say in the Mistral episode?", None),  # no title does
    ("What did they say in the whole episode?", None),  # no name before the noun
    ("How many GPUs does DeepSeek have?", None),  # a name, but no episode named
    ("What is said in episode 12?", None),
])
def test_a_question_names_an_episode_by_its_title_a_guest_or_its_number(question, episode):
    assert named_episode(question, EPISODES) == episode


def test_the_name_of_an_indexed_episode_only_points_and_need_not_be_said():
    assert without_episode_name("Whose words end the DeepSeek episode?", EPISODES) == "Whose words end the episode?"
    assert without_episode_name("In the Jensen Huang conversation, who mentions TSMC?", EPISODES) == (
        "In the conversation, who mentions TSMC?")
    # a name no indexed episode has is what the question asks about: the library may lack it
    assert without_episode_name("What did Lex ask in the Sam Altman interview?", EPISODES) == (
        "What did Lex ask in the Sam Altman interview?")
    assert without_episode_name("Whose words end the DeepSeek episode?", {}) == "Whose words end the DeepSeek episode?"


def test_an_episode_that_is_not_in_the_library_is_still_asked_about():
    from rag.moment_rank import question_terms

    named = question_terms("What did Lex ask in the Sam Altman interview?", {}, 10, [], episodes=EPISODES).names
    assert "altman" in named
    assert question_terms("Whose words end the DeepSeek episode?", {}, 10, [], episodes=EPISODES).names == ()


def test_the_named_episode_is_the_filter_unless_the_question_already_has_one(tiny_assistant):
    question = "What is the secret of the Bread episode?"
    assert tiny_assistant.route(question) == Filters(episode_ids=("tiny-500",))
    assert tiny_assistant.route(question, Filters(speaker="Ana Silva")) == Filters(("tiny-500",), "Ana Silva")
    chosen = Filters(episode_ids=("tiny-459",))
    assert tiny_assistant.route(question, chosen) is chosen  # the user's own choice stands
    assert tiny_assistant.route("What is the secret of fermentation?") is None
    # asked of the other episode, the bakery's fermentation is not what answers: nothing from it is quoted or listed
    answer = tiny_assistant.ask("What is the secret of the cold fermentation, in the Tiny DeepSeek episode?")
    def episodes(a):  # of what an answer quotes, or lists as the closest when it refuses
        return {c.passage.chunk.episode_id for c in a.citations} | {p.chunk.episode_id for p in a.closest}

    assert episodes(answer) == {"tiny-459"}
    assert "tiny-500" in episodes(tiny_assistant.ask("What is the secret of the cold fermentation?"))
