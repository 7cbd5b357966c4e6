"""The ranker's signals that need no index: the region around a moment, and the lead model's order."""

from __future__ import annotations

import numpy as np
import pytest

from rag.models import TranscriptSentence
from rag.moment_rank import LEAD_FEATURES, lead_probability, region
from rag.moments import build_moments
from tests.test_moments import bag_of_words, sentence


def test_a_moments_region_is_the_best_match_among_the_others_said_within_a_minute():
    # one chapter each, so that every moment is its one sentence
    sents = [sentence("Cold fermentation of the dough takes thirty six hours.", 0, chapter="Bread"),
             sentence("Taiwan makes the chips at TSMC in Hsinchu.", 30, chapter="Chips"),
             sentence("Nothing else was said for a while here.", 200, chapter="Other")]
    m = build_moments("ep", sents, bag_of_words)
    query = bag_of_words(["chips TSMC Taiwan Hsinchu"])[0]
    own = [float(m.moment_vectors[i] @ query) for i in range(3)]
    assert own[1] > 0.5 > own[0]
    assert region(m, 0, query) == own[1]  # said 30 s later: the region of the moment before holds it
    assert region(m, 1, query) == own[0]  # never the moment's own match
    assert region(m, 2, query) == own[2]  # nothing within a minute: its own


def test_a_summary_sentence_has_no_clock_so_its_region_is_itself():
    sents = [TranscriptSentence("Chips are made in Taiwan.", None, None, None, None),
             TranscriptSentence("TSMC in Hsinchu makes them.", None, None, None, None)]
    m = build_moments("summary", sents, bag_of_words)
    query = bag_of_words(["TSMC Hsinchu"])[0]
    assert region(m, 0, query) == float(m.moment_vectors[0] @ query)


def test_the_lead_model_prefers_a_moment_whose_minute_is_on_the_question():
    base = dict(window=0.5, around=0.5, chunk_rank=0.5, chunk_cosine=0.5, speaker=0.0, region=0.3, bm25=0.5)
    signals = [base[f] for f in LEAD_FEATURES[:-2]]  # the last two (behind, missing) are the answer's to add
    on_topic = [0.7 if f == "region" else v for f, v in zip(LEAD_FEATURES, signals)]
    assert lead_probability(on_topic, 0.0, False) > lead_probability(signals, 0.0, False)
    assert lead_probability(signals, 0.0, True) < lead_probability(signals, 0.0, False)  # a name it does not say
    assert 0.0 < lead_probability(signals, -3.0, False) < 1.0
    assert np.isclose(lead_probability(signals, 0.0, False),
                      lead_probability(tuple(signals), 0.0, False))
    with pytest.raises(ValueError):  # signals of another shape than the weights' are a bug, not a guess
        lead_probability(signals[:-1], 0.0, False)


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
