from rag.retrieval import rrf


def test_rrf_matches_hand_computed_scores():
    fused = dict(rrf([["a", "b", "c"], ["c", "a"]], k=60))
    assert fused["a"] == 1 / 61 + 1 / 62
    assert fused["c"] == 1 / 63 + 1 / 61
    assert fused["b"] == 1 / 62
    assert [d for d, _ in rrf([["a", "b", "c"], ["c", "a"]], k=60)] == ["a", "c", "b"]


def test_rrf_of_one_ranking_keeps_its_order():
    assert [d for d, _ in rrf([["x", "y", "z"]])] == ["x", "y", "z"]


def test_a_speaker_filter_matches_words_from_their_start_never_inside_a_word():
    from rag.retrieval import matching_speakers

    known = ["Ana Silva", "Dylan Patel", "Lex Fridman", "Nathan Lambert"]
    assert matching_speakers("an", known) == ["Ana Silva"]  # not Nathan or Dylan
    assert matching_speakers("dylan", known) == ["Dylan Patel"]
    assert matching_speakers("PATEL", known) == ["Dylan Patel"]
    assert matching_speakers(" dylan  p ", known) == ["Dylan Patel"]
    assert matching_speakers("Lex Fridman", known) == ["Lex Fridman"]
    assert matching_speakers("than", known) == [] and matching_speakers("  ", known) == []
    assert matching_speakers("a", ["Ana", "Ana Silva", "Bo"]) == ["Ana", "Ana Silva"]
    assert matching_speakers("ana", ["Ana", "Ana Silva"]) == ["Ana"]  # an exact name wins


def test_speaker_an_finds_only_what_ana_says(tiny_assistant):
    from rag.models import Filters

    hits = tiny_assistant.search("bread and GPUs", k=10, filters=Filters(speaker="an"))
    assert hits and {s for p in hits for s in p.chunk.speakers} <= {"Ana Silva", "Lex Fridman"}
    assert all("Ana Silva" in p.chunk.speakers for p in hits)
    assert tiny_assistant.search("GPUs", k=3, filters=Filters(speaker="dylan"))[0].chunk.episode_id == "tiny-459"
