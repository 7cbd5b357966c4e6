"""The moment ranker's region signal, and where inside a stretch of talk the answer cites."""

from __future__ import annotations

import numpy as np

from rag.models import Chunk, Moment, Passage, TranscriptSentence
from rag.moment_rank import FEATURES, QuestionTerms, features, place, score
from rag.moments import build_moments
from rag.rerank import MomentRanker, _Candidate


def one_hot(texts):
    """Each sentence says one 'topic' word (its first): a vector per topic, so cosines are 0 or 1 and easy to read."""
    topics = ["chips", "export", "cost", "taiwan", "cooking"]
    out = np.zeros((len(texts), len(topics)), dtype=np.float32)
    for r, text in enumerate(texts):
        out[r, topics.index(text.split()[0].lower())] = 1.0
    return out


def sentence(topic, start, speaker="Dylan Patel"):
    # 40 words: every sentence is a moment of its own
    return TranscriptSentence(f"{topic} " + "word " * 39, start, start + 10, speaker, "Chips")


TERMS = QuestionTerms({"gpu": 1.0}, frozenset(), False)


def test_region_is_the_best_match_among_the_other_moments_said_within_a_minute():
    sents = [sentence("cooking", 0), sentence("chips", 20), sentence("cost", 40), sentence("cooking", 200)]
    m = build_moments("ep", sents, one_hot)
    query = one_hot(["chips"])[0]
    rows = features(m, [0, 1, 2, 3], query, TERMS, [None] * 4)
    region = rows[:, FEATURES.index("region")]
    window = rows[:, FEATURES.index("window")]
    assert list(window) == [0.0, 1.0, 0.0, 0.0]
    # the moments beside the one about chips are in a stretch about chips; the one three minutes later is not,
    # and a moment's own match is not its region's
    assert list(region) == [1.0, 0.0, 1.0, 0.0]
    # `place` is the same model without the region signal: it ranks the moment that matches itself first
    assert int(np.argmax(place(rows))) == 1
    assert score(rows)[0] > place(rows)[0]


def test_the_answer_cites_the_moment_of_the_stretch_its_own_signals_rank_first():
    sents = [sentence("export", 100), sentence("chips", 120), sentence("export", 140), sentence("chips", 400)]
    m = build_moments("ep", sents, one_hot)
    chunk = Chunk("c1", "ep", "transcript", " ".join(s.text for s in sents), 100.0, 410.0, ["Dylan Patel"],
                  "Chips", None, [Moment(0, 100.0, "Dylan Patel")], 0)
    passage = Passage(chunk, 1.0, 1, None)
    query = one_hot(["chips"])[0]
    # the stretch's best by score (lifted by its region) is at 140 s; inside the minute around it the moment at
    # 120 s ranks first on its own signals and is cited; the one at 400 s, better still on its own, is another stretch
    cands = [_Candidate("ep", i, s, passage, m, query, local=local)
             for i, s, local in [(0, 3.0, 1.0), (1, 4.0, 2.5), (2, 5.0, 1.0), (3, 1.0, 9.0)]]
    ranker = MomentRanker(None, None, one_hot, lambda chunk, s, r: Passage(chunk, s, r, None), lambda: ["ep"])
    out = ranker._passages(cands, 1, TERMS)
    assert len(out) == 1
    assert out[0].moment.start == 120.0
    assert out[0].score == 5.0  # the stretch's score is what the passage is ranked and judged by
