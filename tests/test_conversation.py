"""Follow-up questions without an LLM: the previous question's subject is carried over into the query."""

import pytest

from rag.conversation import carry_over, condense, is_follow_up, subject
from rag.models import Turn

GPU_TURN = Turn("How many GPUs does SemiAnalysis think DeepSeek has?", "Dylan Patel: “... closer to 50,000 GPUs.” [1]")


@pytest.mark.parametrize("question, expected", [
    ("and what did Nathan think about that?", True),
    ("Why?", True),
    ("What about export controls?", True),
    ("What does he mean by it?", True),
    ("How does multi-head latent attention save memory?", False),
    ("What is the best recipe for sourdough bread?", False),
])
def test_follow_ups_are_recognised(question, expected):
    assert is_follow_up(question) is expected


def test_subject_keeps_names_and_topics_not_question_words():
    assert subject("How many GPUs does SemiAnalysis think DeepSeek has?") == ["GPUs", "SemiAnalysis", "DeepSeek"]
    assert subject("What did Nathan say about export controls?") == ["Nathan", "export", "controls"]


def test_carry_over_appends_the_earlier_subject_to_a_follow_up_only():
    assert carry_over("and what did Nathan think about that?", [GPU_TURN]) == (
        "and what did Nathan think about that? GPUs SemiAnalysis DeepSeek")
    standalone = "How does multi-head latent attention save memory?"
    assert carry_over(standalone, [GPU_TURN]) == standalone
    assert carry_over("and what did Nathan think about that?", []) == "and what did Nathan think about that?"


def test_a_chain_of_follow_ups_keeps_the_first_subject():
    history = [GPU_TURN, Turn("and what did Nathan think about that?", "...")]
    assert carry_over("Why?", history) == "Why? GPUs SemiAnalysis DeepSeek Nathan"


def test_condense_without_an_llm_is_the_carry_over():
    assert condense("and what did Nathan think about that?", [GPU_TURN]) == (
        "and what did Nathan think about that? GPUs SemiAnalysis DeepSeek")
    assert condense("anything", []) == "anything"


@pytest.mark.slow
def test_follow_up_retrieves_passages_about_the_earlier_subject(corpus_assistant):
    """On the real corpus, offline: the follow-up finds the GPU discussion; the same words alone do not."""
    follow_up = "and what did Nathan think about that?"
    alone = corpus_assistant.search(follow_up, k=5)
    assert not any("GPU" in p.chunk.text for p in alone[:3])  # the control: this test can fail

    answer = corpus_assistant.ask(GPU_TURN.question)
    query = condense(follow_up, [Turn(GPU_TURN.question, answer.answer)])
    hits = corpus_assistant.search(query, k=5)
    assert sum("GPU" in p.chunk.text for p in hits) >= 3
    assert any("Nathan Lambert" in p.chunk.speakers and "GPU" in p.chunk.text for p in hits)
    assert hits[0].chunk.episode_id == "lex-fridman-459"

    followed = corpus_assistant.ask(follow_up, history=[Turn(GPU_TURN.question, answer.answer)])
    assert not followed.abstained and any("GPU" in c.passage.chunk.text for c in followed.citations)
