import numpy as np

from rag.rerank import WindowReranker, window_vectors
from rag.settings import Settings


def test_window_vectors_sum_each_sentence_with_its_neighbours():
    v = np.eye(3, dtype=np.float32)
    w = window_vectors(v)
    assert np.allclose(w[0], [1, 1, 0] / np.sqrt(2))
    assert np.allclose(w[1], [1, 1, 1] / np.sqrt(3))
    assert np.allclose(w[2], [0, 1, 1] / np.sqrt(2))


def test_reranker_lifts_the_passage_whose_sentence_answers(tiny_assistant):
    """The fused order is kept in part (RRF), but a passage holding the answering sentence rises."""
    question = "How long is the dough kept cold in the fridge?"
    vector = tiny_assistant.retriever.embed_query(question)
    passages = tiny_assistant.retriever.search(question, 5, query_vector=vector)
    reranked = WindowReranker(tiny_assistant.embedder).rerank(list(reversed(passages)), vector, 3)
    assert len(reranked) == 3 and [p.rank for p in reranked] == [1, 2, 3]
    assert "fermentation" in reranked[0].chunk.text


def test_assistant_reranks_by_default_and_can_be_told_not_to(tiny_assistant):
    assert Settings(_env_file=None).rerank is True
    assert tiny_assistant.retriever.reranker is not None
    hits = tiny_assistant.search("thirty six hours of cold fermentation", k=2)
    assert hits and hits[0].chunk.episode_id == "tiny-500"
    tiny_assistant.settings.rerank = False
    tiny_assistant.__dict__.pop("retriever", None)
    assert tiny_assistant.retriever.reranker is None
