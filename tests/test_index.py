"""rag/index.py: filtered dense search by over-fetching agrees with Chroma's own `where`; verify() finds damage."""

import pytest

import rag.index
from rag.models import Filters

FILTERS = [
    Filters(speaker="Dylan Patel"),
    Filters(speaker="Lex Fridman", time_from=3600.0),
    Filters(source_type="summary"),
    Filters(time_to=900.0),
    Filters(episode_ids=("lex-fridman-491",)),
    Filters(episode_ids=("lex-fridman-459", "lex-fridman-494"), speaker="Nathan Lambert"),
    Filters(speaker="Nobody Here"),
]


@pytest.mark.slow
@pytest.mark.parametrize("overfetch", [1000, 30])  # 30: few survivors, so Chroma's where takes over
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f))
def test_overfetched_filtering_finds_what_chromas_where_finds(corpus_assistant, monkeypatch, filters, overfetch):
    monkeypatch.setattr(rag.index, "_OVERFETCH", overfetch)
    a = corpus_assistant
    vector = a.retriever.embed_query("How many GPUs does DeepSeek have, and what about export controls?")
    a.index.refresh()
    speakers = [filters.speaker] if filters.speaker else []
    lex = a.lexical.sync(wait=True)
    fast = a.index.query(vector, 10, filters, speakers, keep=lex.allows(filters, speakers))
    plain = a.index.query(vector, 10, filters, speakers)
    assert [c.id for c, _ in fast] == [c.id for c, _ in plain]
    assert [s for _, s in fast] == pytest.approx([s for _, s in plain], abs=1e-5)
    if filters.speaker == "Nobody Here":
        assert fast == []
    else:
        assert len(fast) == 10
    for chunk, _ in fast:
        assert lex.allows(filters, speakers)(chunk.id)


def test_verify_finds_missing_misfiled_and_orphan_chunks(tiny_assistant):
    a = tiny_assistant
    assert a.index.verify().clean
    record = a.index.records()["tiny-459"]
    lost = record.chunk_ids[0]
    chunk, vec = a.index.get_chunks([lost], with_vectors=True)[lost]
    a.index.delete_chunks([lost])
    check = a.index.verify()
    assert not check.ok and check.missing == {"tiny-459": 1}
    assert "episode tiny-459: 1 of its chunks are missing from the store" in check.lines()
    chunk.episode_id = "tiny-500"  # stored back under the wrong episode
    a.index.add_chunks([chunk], vec[None, :])
    assert a.index.verify().misfiled == {"tiny-459": 1}
    chunk.id, chunk.episode_id = "stray", "tiny-459"
    a.index.add_chunks([chunk], vec[None, :])
    assert a.index.verify().orphans == 1 and a.index.collect_garbage() == 1
