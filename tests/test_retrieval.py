from rag.retrieval import rrf


def test_rrf_matches_hand_computed_scores():
    fused = dict(rrf([["a", "b", "c"], ["c", "a"]], k=60))
    assert fused["a"] == 1 / 61 + 1 / 62
    assert fused["c"] == 1 / 63 + 1 / 61
    assert fused["b"] == 1 / 62
    assert [d for d, _ in rrf([["a", "b", "c"], ["c", "a"]], k=60)] == ["a", "c", "b"]


def test_rrf_of_one_ranking_keeps_its_order():
    assert [d for d, _ in rrf([["x", "y", "z"]])] == ["x", "y", "z"]
