"""rag/index/: the index's view of one episode (its chunks in order, its transcript sentence by sentence);
filtered dense search by over-fetching agrees with Chroma's own `where`; verify() finds damage."""

import pytest

import rag.index.query
from rag.models import Chunk, Filters, Moment, transcript_sentences


def _chunk(seq, text, moments, source_type="transcript", chapter="Intro", end=None):
    speakers = list(dict.fromkeys(m[2] for m in moments))
    return Chunk(f"c{seq}", "ep", source_type, text, moments[0][1], end, speakers, chapter, None,
                 [Moment(o, t, s) for o, t, s in moments], seq)


def test_transcript_sentences_are_in_time_order_once_each_with_their_end():
    a = _chunk(0, "Hello there. How are you?", [(0, 0.0, "Lex"), (13, 2.0, "Lex")], end=4.0)
    # the next chunk starts with the previous one's last sentence (overlap)
    b = _chunk(1, "How are you? Fine, thanks.", [(0, 2.0, "Lex"), (13, 4.0, "Ann")], chapter="Two", end=6.5)
    summary = _chunk(2, "A summary line.", [(0, 100.0, None)], source_type="summary")
    got = transcript_sentences([b, summary, a])
    assert [(s.text, s.start, s.end, s.speaker) for s in got] == [
        ("Hello there.", 0.0, 2.0, "Lex"), ("How are you?", 2.0, 4.0, "Lex"), ("Fine, thanks.", 4.0, 6.5, "Ann"),
    ]
    assert [s.chapter for s in got] == ["Intro", "Intro", "Two"]


def test_episode_chunks_reads_one_episode_in_order(tiny_assistant):
    chunks = tiny_assistant.index.episode_chunks("tiny-459")
    assert chunks and all(c.episode_id == "tiny-459" for c in chunks)
    assert [c.seq for c in chunks] == sorted(c.seq for c in chunks)
    assert tiny_assistant.index.episode_chunks("nope") == []
    sentences = tiny_assistant.transcript_sentences("tiny-459")
    assert sentences[0].text == "Welcome to the show with Dylan and Nathan." and sentences[0].start == 0.0
    assert any(s.speaker == "Dylan Patel" and s.start == 15.0 and "50,000" in s.text for s in sentences)


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
    monkeypatch.setattr(rag.index.query, "OVERFETCH", overfetch)
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


# Another process commits an episode (chunks with made-up 4-d vectors: no model needed) into an embedded store.
OTHER_WRITER = """
import sys
import numpy as np
from rag.index import ChromaIndex
from rag.models import Chunk, EpisodeMeta, EpisodeRecord, Moment
from rag.settings import Settings

index = ChromaIndex(Settings(index=sys.argv[1], _env_file=None), "fake-model")
with index.writing():
    chunk = Chunk("new-0", "new", "transcript", "Bees make honey.", 0.0, 5.0, ["Maria"], None, None,
                  [Moment(0, 0.0, "Maria")], 0)
    index.add_chunks([chunk], np.array([[0.0, 0.0, 1.0, 0.0]]))
    index.commit_episode(EpisodeRecord(EpisodeMeta("new"), ["new-0"], "fp"))
"""


def test_a_commit_by_another_process_is_read_and_searched_whole(tmp_path):
    import subprocess
    import sys

    import numpy as np

    from rag.index import ChromaIndex
    from rag.models import EpisodeMeta, EpisodeRecord
    from rag.settings import Settings

    index = ChromaIndex(Settings(index=tmp_path / "index", _env_file=None), "fake-model")
    old = _chunk(0, "Hello there.", [(0, 0.0, "Lex")])
    with index.writing():
        index.add_chunks([old], np.array([[1.0, 0.0, 0.0, 0.0]]))
        index.commit_episode(EpisodeRecord(EpisodeMeta("ep"), ["c0"], "fp"))
    assert [c.id for c, _ in index.query(np.array([0.0, 0.0, 1.0, 0.0]), 5)] == ["c0"]  # its vectors are loaded

    subprocess.run([sys.executable, "-c", OTHER_WRITER, str(tmp_path / "index")], check=True, timeout=120)

    assert index.refresh()
    bees = np.array([0.0, 0.0, 1.0, 0.0])
    assert [c.id for c, _ in index.query(bees, 5)] == ["new-0", "c0"]
    assert [c.id for c, _ in index.query(bees, 5, Filters(episode_ids=("new",)))] == ["new-0"]
    chunk, vector = index.get_chunks(["new-0"], with_vectors=True)["new-0"]
    assert chunk.text == "Bees make honey." and vector.tolist() == [0.0, 0.0, 1.0, 0.0]


def test_transcript_sentences_are_kept_for_a_bounded_number_of_episodes(assistant, tmp_path, monkeypatch):
    from tests.conftest import TINY_500, write_episode

    for n in range(5):
        write_episode(tmp_path / "many" / f"ep-{n}", TINY_500, meta={"id": f"ep-{n}"})
    assert assistant.ingest([tmp_path / "many"]).ok
    limit = assistant._sentences.size
    monkeypatch.setattr(assistant._sentences, "size", 3)
    for n in range(5):
        assert assistant.transcript_sentences(f"ep-{n}")[0].text == "Tell me about the bakery you opened in Lisbon."
    assert len(assistant._sentences) == 3 and limit < 100
