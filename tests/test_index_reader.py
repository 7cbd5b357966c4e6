"""rag/index/reader.py: reading the embedded store through Chroma's engine gives what chromadb's client gives on
the same store; a process reads that way until it writes, and then sees its own writes."""

import numpy as np
import pytest

from rag.index.connection import COLLECTIONS
from rag.index.query import where_clause
from rag.index.reader import open_reader
from rag.models import Filters
from tests.conftest import TINY_500, make_assistant, write_episode


def _names(settings):
    return {kind: f"{settings.collection}-{kind}" for kind in COLLECTIONS}


def _sorted(got):
    rows = sorted(zip(got["ids"], got["documents"], got["metadatas"]))
    return rows


WHERES = [
    None,
    where_clause(Filters(speaker="Dylan Patel")),
    where_clause(Filters(source_type="summary")),
    where_clause(Filters(episode_ids=("tiny-500",), time_from=10.0)),
    where_clause(Filters(speaker="Nobody Here")),
]


def test_the_reader_returns_what_the_client_returns(tiny_assistant):
    conn = tiny_assistant.index.conn
    client = {kind: conn.collection(kind) for kind in COLLECTIONS}  # the ingest opened chromadb's client
    reader = open_reader(conn.settings.index / "chroma", _names(conn.settings))
    assert reader is not None
    for kind in COLLECTIONS:
        assert reader[kind].count() == client[kind].count() > 0
        assert reader[kind].metadata == client[kind].metadata
        assert _sorted(reader[kind].get(include=["documents", "metadatas"])) == _sorted(
            client[kind].get(include=["documents", "metadatas"]))

    ids = client["chunks"].get(include=[])["ids"]
    some = ids[::2]
    mine = reader["chunks"].get(ids=some, include=["documents", "metadatas", "embeddings"])
    theirs = client["chunks"].get(ids=some, include=["documents", "metadatas", "embeddings"])
    assert mine["ids"] == theirs["ids"] and mine["documents"] == theirs["documents"]
    assert mine["metadatas"] == theirs["metadatas"]
    np.testing.assert_array_equal(mine["embeddings"], theirs["embeddings"])
    assert reader["chunks"].get(ids=["no-such-chunk"], include=[])["ids"] == []

    vectors = [np.asarray(v, dtype=np.float32).tolist() for v in theirs["embeddings"][:3]]
    for where in WHERES:
        for extra in ({}, {"ids": ids[1::2]}):
            asked = dict(query_embeddings=vectors, n_results=4, where=where,
                         include=["documents", "metadatas", "distances"], **extra)
            mine, theirs = reader["chunks"].query(**asked), client["chunks"].query(**asked)
            assert mine["ids"] == theirs["ids"], (where, extra)
            assert mine["documents"] == theirs["documents"] and mine["metadatas"] == theirs["metadatas"]
            np.testing.assert_allclose(mine["distances"], theirs["distances"], atol=1e-6)
    assert reader["chunks"].query(query_embeddings=vectors[:1], n_results=2)["ids"][0][0] == some[0]


def test_no_store_is_not_read_and_not_created(tmp_path):
    folder = tmp_path / "chroma"
    assert open_reader(folder, {"chunks": "podrag-chunks"}) is None
    assert not folder.exists()


def test_a_process_reads_without_the_client_until_it_writes(tmp_path, tiny_assistant, embedder):
    """A second Assistant on the same index answers through the reader, then ingests an episode of its own
    (opening the client) and finds it at once."""
    settings = tiny_assistant.settings
    other = make_assistant(embedder, index=settings.index)
    assert [e.id for e in other.episodes()] == [e.id for e in tiny_assistant.episodes()] == ["tiny-459", "tiny-500"]
    hits = other.search("How many GPUs does DeepSeek have?", k=3)
    assert hits and hits[0].chunk.episode_id == "tiny-459"
    assert other.index.conn._reader and not other.index.conn._open  # read through the engine alone

    write_episode(tmp_path / "more" / "tiny-501", TINY_500, meta={"id": "tiny-501", "title": "More bread"})
    report = other.ingest([tmp_path / "more"])
    assert report.ok, report.failed
    assert other.index.conn._open and not other.index.conn._reader  # the write opened the client
    assert "tiny-501" in {e.id for e in other.episodes()}
    hits = other.search("sourdough starter", k=10, filters=Filters(episode_ids=("tiny-501",)))
    assert hits and all(h.chunk.episode_id == "tiny-501" for h in hits)


def test_an_index_built_with_another_model_is_refused_by_the_reader_too(tiny_assistant):
    from rag.errors import IndexUnavailableError
    from rag.index.store import ChromaIndex

    index = ChromaIndex(tiny_assistant.settings, "another/model")
    with pytest.raises(IndexUnavailableError, match="built with the embedding model .* not 'another/model'"):
        index.records()
    assert not index.conn._open  # refused before any client was opened
