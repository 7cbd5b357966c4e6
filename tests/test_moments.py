"""Moments: sentence windows inside a chapter, their vectors from their sentences', their terms and surroundings."""

from __future__ import annotations

import numpy as np

from rag.models import Chunk, Moment, TranscriptSentence
from rag.moments import MAX_WHOLE_CHUNKS, MomentStore, build_moments, unit_sums, window_bounds


def bag_of_words(texts):
    """A deterministic stand-in for the model: one dimension per (hashed) lower-cased word, unit length."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for r, text in enumerate(texts):
        for word in text.lower().split():
            out[r, sum(map(ord, word.strip(".,?!"))) % 64] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def sentence(text, start, speaker="Dylan Patel", chapter="Chips"):
    return TranscriptSentence(text, start, start + 5, speaker, chapter)


def test_a_moment_gathers_sentences_until_it_has_enough_words_but_never_crosses_a_chapter():
    sents = [sentence("one two three four five.", 0), sentence("six seven eight nine ten.", 5),
             sentence("a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh.", 10),
             sentence("New chapter starts here.", 20, chapter="Taiwan")]
    bounds = window_bounds(sents, min_words=12, max_sentences=4)
    assert bounds[0] == (0, 2)  # 5 + 5 words are not enough: the long third sentence completes it
    assert bounds[2] == (2, 2)  # long enough alone
    assert bounds[1] == (1, 2)
    assert bounds[3] == (3, 3)  # the last one, alone in its chapter


def test_a_moment_vector_is_the_unit_sum_of_its_sentences():
    vectors = np.eye(3, dtype=np.float32)
    sums = unit_sums(vectors, [(0, 1), (2, 2)])
    assert np.allclose(sums[0], np.array([1, 1, 0]) / np.sqrt(2))
    assert np.allclose(sums[1], [0, 0, 1])


def test_moments_know_their_terms_surroundings_and_chunk():
    sents = [sentence("DeepSeek trained on H800 GPUs.", 100), sentence("The cost was low.", 130),
             sentence("Taiwan makes the chips at TSMC.", 400)]
    chunk = Chunk("c1", "ep", "transcript", "…", 90.0, 140.0, ["Dylan Patel"], "Chips", None,
                  [Moment(0, 100.0, "Dylan Patel")], 0)
    m = build_moments("ep", sents, bag_of_words, [chunk])
    lo, hi = m.spans([0, 2], 60)
    assert list(m.said_in("h800", lo, hi)) == [True, False]
    assert list(m.said_in("tsmc", lo, hi)) == [False, True]  # said five minutes later
    assert list(m.said_in("cost", lo, hi)) == [True, False]
    assert list(m.said_in("sourdough", lo, hi)) == [False, False]
    assert list(m.between(95, 135)) == [0, 1]
    assert m.chunk_at(130.0).id == "c1" and m.chunk_at(50.0) is None


def test_the_store_builds_an_episode_once_per_index_version():
    calls = []
    version = ["v1"]
    chunk = Chunk("c1", "ep", "transcript", "DeepSeek trained on H800 GPUs. The cost was low.", 0.0, 10.0,
                  ["Dylan Patel"], "Chips", None, [Moment(0, 0.0, "Dylan Patel"), Moment(31, 5.0, "Dylan Patel")], 0)

    def chunks_of(episode_id):
        calls.append(episode_id)
        return [chunk]

    store = MomentStore(chunks_of, bag_of_words, lambda: version[0])
    assert len(store.get("ep")) == 2
    store.get("ep")
    assert calls == ["ep"]
    version[0] = "v2"  # another process committed: rebuilt
    store.get("ep")
    assert calls == ["ep", "ep"]


def test_an_episode_too_long_to_hold_is_not_prepared_whole():
    calls = []

    def chunks_of(episode_id):
        calls.append(episode_id)
        return []

    sizes = {"long": MAX_WHOLE_CHUNKS + 1, "short": MAX_WHOLE_CHUNKS}
    store = MomentStore(chunks_of, bag_of_words, lambda: "v1", size_of=sizes.__getitem__)
    assert not store.whole("long") and store.whole("short")
    store.prepare(["long"])
    assert calls == []  # not even read
    store.prepare(["short"])
    assert calls == ["short", "short"]
