"""Metrics on hand-made rankings whose values were worked out by hand (arithmetic in the comments)."""

import math

import pytest

from rag.evaluation import metrics as M
from rag.evaluation.datasets import GoldSpan

GOLD = [GoldSpan(100, 120)]  # widened by 30 s: [70, 150]
# miss, summary (no time), hit, hit on the same moment again, miss
RANKING = [(0, 50), None, (140, 200), (60, 75), (300, 400)]


def test_relevance_uses_the_widened_gold_span_and_never_counts_untimed_passages():
    assert M.relevant(RANKING, GOLD) == [False, False, True, True, False]
    assert M.overlaps((150.0, 160.0), GOLD[0])  # touching the widened edge counts
    assert not M.overlaps((150.1, 160.0), GOLD[0])
    assert not M.overlaps((40.0, 69.9), GOLD[0])
    assert M.overlaps((150.1, 160.0), GOLD[0], slack=31)


def test_hit_at_k_and_reciprocal_rank():
    rel = M.relevant(RANKING, GOLD)
    assert [M.hit_at(rel, k) for k in (1, 2, 3, 5, 10)] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert M.first_hit_rank(rel) == 3
    assert M.reciprocal_rank(rel, 10) == pytest.approx(1 / 3)
    assert M.reciprocal_rank(rel, 2) == 0.0  # the first hit is beyond the cut-off
    assert M.reciprocal_rank([False] * 10, 10) == 0.0


def test_ndcg_and_recall_with_one_gold_span():
    gain = M.gains(RANKING, GOLD)
    assert gain == [0, 0, 1, 0, 0]  # the second passage over the same moment earns nothing
    # DCG = 1 / log2(3 + 1) = 0.5; ideal DCG = 1 / log2(2) = 1
    assert M.ndcg_at(gain, 1, 10) == pytest.approx(0.5)
    assert M.recall_at(gain, 1, 10) == 1.0
    assert M.recall_at(gain, 1, 2) == 0.0
    assert M.ndcg_at(gain, 1, 2) == 0.0


def test_ndcg_and_recall_with_two_gold_moments():
    gold = [GoldSpan(100, 120), GoldSpan(1000, 1010)]
    ranking = [(1000, 1050), (990, 1000), (90, 95)]
    gain = M.gains(ranking, gold)
    assert gain == [1, 0, 1]
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal = 1/log2(2) + 1/log2(3) = 1.6309
    assert M.ndcg_at(gain, 2, 10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert M.ndcg_at(gain, 2, 10) == pytest.approx(0.9197, abs=1e-4)
    assert M.recall_at(gain, 2, 2) == 0.5 and M.recall_at(gain, 2, 3) == 1.0
    assert M.reciprocal_rank(M.relevant(ranking, gold)) == 1.0


def test_one_passage_covering_two_gold_moments_is_capped_at_one():
    gold = [GoldSpan(100, 110), GoldSpan(130, 140)]
    assert M.gains([(100, 140)], gold) == [2]
    assert M.ndcg_at([2], 2, 10) == 1.0


def test_time_error_is_the_distance_to_the_nearest_gold_start():
    gold = [GoldSpan(100, 120), GoldSpan(1000, 1010)]
    assert M.time_error(130, gold) == 30
    assert M.time_error(990, gold) == 10
    assert M.time_error(None, gold) is None
    assert M.within([30, 61, None], 30) == pytest.approx(1 / 3)
    assert M.within([30, 60, None, 10], 60) == 0.75
    assert M.within([], 60) == 0.0


def test_must_mention_ignores_case_thousands_separators_and_dollars():
    assert M.mentions("They have 50000 gpus and lots of H100s", ["50,000", "GPUs", "H800"]) == pytest.approx(2 / 3)
    assert M.mentions("It cost $5.5 million", ["5.5 million"]) == 1.0
    assert M.mentions("It cost 2 dollars", ["$2"]) == 1.0
    assert M.mentions("anything", []) == 0.0


def test_citation_validity():
    assert M.citations_valid("A [1]. B [2].", 2, abstained=False)
    assert not M.citations_valid("A [1]. B [3].", 2, abstained=False)
    assert not M.citations_valid("A [0].", 1, abstained=False)
    assert not M.citations_valid("An answer citing nothing.", 0, abstained=False)
    assert M.citations_valid("The episodes don't seem to cover this.", 0, abstained=True)


def test_abstention_precision_recall_and_sweep():
    # refusals on questions 1 and 2; questions 1 and 3 are unanswerable: 1 of 2 refusals right, 1 of 2 caught
    assert M.abstention_scores([True, True, False, False], [False, True, False, True]) == (0.5, 0.5)
    assert M.abstention_scores([False, False], [True, False]) == (1.0, 0.0)  # no false alarm, nothing caught
    rows = M.threshold_sweep([0.2, 0.5, 0.3, 0.7], [False, True, False, True], [0.4, 0.6])
    assert rows[0] == (0.4, 1.0, 1.0, 0.0)
    t, p, r, refused = rows[1]  # refuses 0.2, 0.5 and 0.3: two right of three, one of two answerable refused
    assert (t, r, refused) == (0.6, 1.0, 0.5) and p == pytest.approx(2 / 3)


def test_percentile_and_share():
    assert M.percentile([1, 2, 3, 4], 50) == 2.5
    assert M.percentile([], 95) == 0.0
    assert M.share([True, False, True, True]) == 0.75
