"""The ranker's signals that need no index, and how names asked about are found near a moment."""

from __future__ import annotations

import numpy as np
import pytest

from rag.moment_rank import (
    FEATURES,
    INTERCEPT,
    WEIGHTS,
    WITHOUT_MOMENT_MODEL,
    ChunkSignal,
    features,
    question_terms,
    ranking,
    score,
)
from rag.moments import build_moments
from tests.test_moments import bag_of_words, sentence


def test_each_signal_lands_in_its_column_and_a_moment_outside_the_passages_gets_no_passage_signals():
    sents = [sentence("Taiwan makes the chips at TSMC in Hsinchu.", 0, chapter="Chips"),
             sentence("Cold fermentation of the dough takes thirty six hours.", 100, chapter="Bread")]
    m = build_moments("ep", sents, bag_of_words)
    query = bag_of_words(["Who makes the chips in Taiwan?"])[0]
    terms = question_terms("Who makes the chips in Taiwan?", {"chip": 1, "taiwan": 1}, 10, ["Dylan Patel"])
    rows = features(m, [0, 1], query, terms, [ChunkSignal(rank=1, cosine=0.7, bm25=0.4), None])
    first = dict(zip(FEATURES, rows[0].tolist()))
    assert first["window"] == pytest.approx(float(m.moment_vectors[0] @ query))
    assert first["around"] == 1.0  # every focus term is said within a minute of it
    assert (first["chunk_rank"], first["chunk_cosine"], first["bm25"]) == pytest.approx((0.5, 0.7, 0.4))
    second = dict(zip(FEATURES, rows[1].tolist()))
    assert second["chunk_rank"] == second["chunk_cosine"] == second["bm25"] == 0.0 and second["around"] < 1.0


def test_the_moment_model_scores_moments_by_its_own_vectors_and_without_it_the_old_ranker_applies():
    sents = [sentence("Taiwan makes the chips at TSMC in Hsinchu.", 0, chapter="Chips"),
             sentence("Cold fermentation of the dough takes thirty six hours.", 100, chapter="Bread")]
    # a second "model" that sees the words reversed: the deep column must come from it, not from the first
    reversed_words = lambda texts: bag_of_words([" ".join(reversed(t.split())) for t in texts])  # noqa: E731
    m = build_moments("ep", sents, bag_of_words, deep_embed=reversed_words)
    q = "Who makes the chips in Taiwan?"
    terms = question_terms(q, {"chip": 1, "taiwan": 1}, 10, [])
    deep_query = reversed_words([q])[0]
    rows = features(m, [0, 1], bag_of_words([q])[0], terms, [None, None], deep_query)
    assert rows[:, FEATURES.index("deep")] == pytest.approx(m.deep_vectors @ deep_query)
    assert rows[0, FEATURES.index("deep")] > rows[1, FEATURES.index("deep")] > -1
    without = features(build_moments("ep", sents, bag_of_words), [0, 1], bag_of_words([q])[0], terms, [None, None])
    assert not without[:, FEATURES.index("deep")].any()
    assert ranking(False) is WITHOUT_MOMENT_MODEL and WITHOUT_MOMENT_MODEL.weights["deep"] == 0.0
    assert ranking(True).weights["deep"] > 0


def test_the_score_is_the_weights_over_the_signals():
    rows = np.array([[WEIGHTS[f] for f in FEATURES]], dtype=np.float32) * 0 + 1.0
    assert score(rows)[0] == pytest.approx(sum(WEIGHTS.values()) + INTERCEPT, rel=1e-5)


def test_a_place_asked_about_by_another_name_is_said():
    """"Beijing" in a question is said when the guests say "the Chinese government"; "Moscow" is not."""
    from rag.moment_rank import place_alternatives, question_terms
    from rag.moments import build_moments as build

    sents = [sentence("The Chinese government could ask for the data.", 0, chapter="Data"),
             sentence("Nobody else mentioned a city.", 20, chapter="Data")]
    m = build("ep", sents, bag_of_words)
    lo, hi = m.spans([0], 90.0)
    for question, said in (("Could Beijing get my files?", True), ("Could Moscow get my files?", False),
                           ("Did Washington notice?", False)):  # 'us' is a pronoun: no evidence of America
        terms = question_terms(question, {"chines": 1, "china": 1}, 10, [])
        (name,) = terms.names  # the place: the one capitalised word after the first
        assert terms.said(name, m, lo, hi) is said, question
    assert place_alternatives("Could Beijing get my files?")["beij"][0] == ("china",)
    # a place no passage names in any of its ways is unknown to the index; one named another way is not
    assert question_terms("Could Beijing get it?", {"chines": 3}, 10, []).unknown == ()
    assert question_terms("Could Moscow get it?", {"chines": 3}, 10, []).unknown == ("moscow",)


def test_a_place_asked_about_is_said_where_a_place_inside_it_is():
    """"Tennessee" is said where the guests say "Memphis", "South Asia" where they say "India" (a place of two words
    is not a name that must be said as written); neither is said by a place outside it."""
    from rag.moment_rank import asked_phrases, place_alternatives
    from rag.moments import build_moments as build

    sents = [sentence("Elon built the cluster in Memphis, next to a gas plant.", 0, chapter="Clusters"),
             sentence("You look at elections in India and Pakistan, people get AI voice calls.", 200, chapter="AGI"),
             sentence("Abilene is where the next one goes up.", 400, chapter="Clusters")]
    m = build("ep", sents, bag_of_words)
    for question, start, said in (("Why build the AI site in Tennessee?", 0, True),
                                  ("Why build the AI site in Tennessee's south?", 0, True),
                                  ("Why build the AI site in Tennessee?", 400, False),  # Abilene is in Texas
                                  ("Which AI moment came to elections in South Asia?", 200, True),
                                  ("Which AI moment came to elections in South Asia?", 0, False),
                                  ("Which AI moment came to elections in East Asia?", 200, False)):
        terms = question_terms(question, {"memphi": 1, "india": 1, "abilen": 1}, 10, [])
        lo, hi = m.spans([[0, 200, 400].index(start)], 30.0)
        assert not terms.missing_near(m, lo, hi) if said else terms.missing_near(m, lo, hi), (question, start)
    assert asked_phrases("Which AI moment came to elections in South Asia?") == []
    assert ("memphi",) in place_alternatives("Was it in Tennessee?")["tennesse"]


def test_a_name_of_several_words_is_said_only_as_its_words_together_in_order():
    """'Scale AI' is not said by a stretch that says "scale" in one sentence and "AI" in another, nor "AI at scale";
    'OpenAI's Deep Research' asks about "Deep Research"; a leading country and a possessive do not belong to the name,
    nor do the speakers the question names."""
    from rag.moment_rank import asked_phrases

    assert asked_phrases("Did Peter talk about Meta's investment in Scale AI?") == [("scale", "ai")]
    assert asked_phrases("Did they discuss OpenAI's Deep Research agent?") == [("deep", "research")]
    assert asked_phrases("Did Jensen talk about NVIDIA acquiring Run:ai?") == [("run", "ai")]
    assert asked_phrases("How do chip subsidies compare with the US CHIPS Act?") == [("chip", "act")]
    assert asked_phrases("How did Lex rank o1 Pro, R1 and Gemini Flash Thinking?") == [
        ("o1", "pro"), ("gemini", "flash", "think")]
    assert asked_phrases("By how much has the price of GPT-3-level intelligence fallen?") == []
    assert asked_phrases("What did they say about DeepSeek?") == []
    # words that are each a name by themselves are several names: a follow-up's carried subject, a firm and a place,
    # a word the episodes write as a name (`cased`)
    assert asked_phrases("and what did Nathan think about that? GPUs SemiAnalysis DeepSeek") == []
    assert asked_phrases("What about TSMC Taiwan?") == []
    assert asked_phrases("Is Gemini Flash good?") == [("gemini", "flash")]
    assert asked_phrases("Is Gemini Flash good?", frozenset({"gemini", "flash"})) == []
    assert question_terms("What did Jensen Huang say about Scale AI?", {}, 10, ["Jensen Huang"]).phrases == (
        ("scale", "ai"),)

    sents = [sentence("We have to train it at scale.", 0, chapter="Data"),
             sentence("And AI labs buy data.", 10, chapter="Data"),
             sentence("Everybody does AI at scale now.", 20, chapter="Data"),
             sentence("Meta put billions into Scale AI for its data.", 300, chapter="Deals")]
    m = build_moments("ep", sents, bag_of_words)
    terms = question_terms("Did Meta invest in Scale AI?", {"scale": 2, "ai": 3, "meta": 1}, 10, [])
    lo, hi = m.spans([0], 90.0)
    assert terms.said("scale", m, lo, hi) and terms.said("ai", m, lo, hi)  # each word is said near the first
    assert terms.missing_near(m, lo, hi) == ("meta", "scale ai")  # ... the name is not
    lo, hi = m.spans([3], 90.0)
    assert terms.missing_near(m, lo, hi) == ()


def test_a_name_that_only_points_at_what_is_asked_need_not_be_said():
    """"Facebook's founder" asks about a person the episode may call Zuckerberg without ever saying "Facebook"; the
    role is no name either. The names the question does ask about stay, the question's own words too."""
    from rag.moment_rank import without_pointers

    assert without_pointers("What did Facebook's founder tell investors?") == "What did its founder tell investors?"
    assert without_pointers("Which guest cites the OpenAI CEO?") == "Which guest cites the ceo?"
    assert without_pointers("Did OpenAI's CEO say OpenAI would open o3?") == "Did its ceo say OpenAI would open o3?"
    assert without_pointers("What did the head of Instagram's parent company say?") == (
        "What did the head of its parent company say?")
    assert without_pointers("Has the ChatGPT maker cut anyone off?") == "Has the maker cut anyone off?"
    assert without_pointers("Who quotes the OpenAI CEO's line?") == "Who quotes the ceo's line?"
    assert without_pointers("What did Sam Altman, OpenAI's CEO, say?") == "What did Sam Altman, its ceo, say?"
    # not a relation: the company is what is asked about
    assert without_pointers("Did they discuss Ilya Sutskever's new company?") == (
        "Did they discuss Ilya Sutskever's new company?")

    def names(question):
        return question_terms(question, {"zuckerberg": 1}, 10, []).names

    assert names("What did Facebook's founder tell investors?") == ()
    assert names("Did Jensen mention NVIDIA's chief scientist Bill Dally?") == ("jensen", "bill", "dalli")
    sents = [sentence("Zuckerberg told investors that Llama should be the standard.", 0, chapter="Meta")]
    m = build_moments("ep", sents, bag_of_words)
    lo, hi = m.spans([0], 90.0)
    assert question_terms("What did Facebook's founder tell investors?", {}, 10, []).missing_near(m, lo, hi) == ()
    assert question_terms("What did Facebook tell investors?", {}, 10, []).missing_near(m, lo, hi) == ("facebook",)


def test_the_margin_is_over_the_best_moment_said_elsewhere_and_confidence_rises_with_it():
    from rag.models import Chunk, Moment, MomentHit, Passage
    from rag.moment_rank import MARGIN_CAP, RANKING, WITHOUT_MOMENT_MODEL, cited_probability, margin

    def at(start, score, episode="ep"):
        chunk = Chunk(f"c{start}", episode, "transcript", "text", start, start + 30, ["A"], None, None,
                      [Moment(0, start, "A")], 0)
        return Passage(chunk, score, 1, None, moment=MomentHit(episode, 0, 1, start, start + 20, "A", score, "text"))

    # 30 s away is the same place; 200 s away, or another episode at the same second, is elsewhere
    assert margin([at(100, 6.0), at(130, 5.9), at(300, 4.0)]) == 2.0
    assert margin([at(100, 6.0), at(130, 5.9), at(100, 5.0, episode="other")]) == 1.0
    assert margin([at(100, 6.0), at(130, 5.9)]) == MARGIN_CAP  # nothing said elsewhere among them
    close, far = cited_probability([at(100, 6.0), at(300, 5.8)]), cited_probability([at(100, 6.0), at(300, 2.0)])
    assert 0 < close < 0.5 < far < 1
    assert cited_probability([at(100, 6.0), at(300, 2.0)], WITHOUT_MOMENT_MODEL) is None  # no model for that ranker
    assert RANKING.confidence_weights is not None
