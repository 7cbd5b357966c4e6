"""The moment ranker: passages ranked by their best moment, each carrying it (start, speaker, text)."""

from rag.settings import Settings


def test_passages_carry_their_best_moment_and_are_ranked_by_it(tiny_assistant):
    question = "How long is the dough kept cold in the fridge?"
    hits = tiny_assistant.search(question, k=3)
    assert hits and [p.rank for p in hits] == list(range(1, len(hits) + 1))
    best = hits[0].moment
    assert best is not None and "fermentation" in best.text
    assert best.start is not None and hits[0].chunk.start <= best.start <= hits[0].chunk.end
    assert [p.score for p in hits] == sorted((p.score for p in hits), reverse=True)


def test_a_name_the_question_asks_about_is_missing_near_the_moment(tiny_assistant):
    hits = tiny_assistant.search("What do they say about Sora and the dough?", k=3)
    assert hits and "sora" in hits[0].moment.missing and "sora" in hits[0].moment.unknown


def test_assistant_ranks_by_moment_by_default_and_can_be_told_not_to(tiny_assistant):
    assert Settings(_env_file=None).rerank is True
    assert tiny_assistant.retriever.reranker is not None
    hits = tiny_assistant.search("thirty six hours of cold fermentation", k=2)
    assert hits and hits[0].chunk.episode_id == "tiny-500"
    tiny_assistant.settings.rerank = False
    tiny_assistant.__dict__.pop("retriever", None)
    assert tiny_assistant.retriever.reranker is None
    assert all(p.moment is None for p in tiny_assistant.search("thirty six hours of cold fermentation", k=2))


def test_over_a_large_catalogue_moments_come_from_the_retrieved_passages_alone(tiny_assistant, monkeypatch):
    """Over more than GLOBAL_EPISODES episodes, no episode is built whole (~0.2 s each on first sight): the moments
    inside the retrieved passages compete, and the answer still lands on the moment."""
    import rag.rerank

    question = "How long is the dough kept cold in the fridge?"
    whole = tiny_assistant.search(question, k=3)
    built: list[str] = []
    store = tiny_assistant.moments
    original = store.get
    monkeypatch.setattr(store, "get", lambda e: built.append(e) or original(e))
    monkeypatch.setattr(rag.rerank, "GLOBAL_EPISODES", 0)
    hits = tiny_assistant.search(question, k=3)
    assert built == []
    assert hits[0].moment is not None and "fermentation" in hits[0].moment.text
    assert (hits[0].chunk.id, hits[0].moment.start) == (whole[0].chunk.id, whole[0].moment.start)
