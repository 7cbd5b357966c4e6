"""rag/context.py: the turns around a cited moment, read back from a real index."""

import pytest

from rag.context import passage_context
from tests.conftest import write_episode

SPEAKERS = ["Lex Fridman", "Dylan Patel", "Nathan Lambert"]
TOPICS = ["chips", "power", "memory", "export rules", "data centers", "training runs", "inference", "software",
          "networking", "cooling"]


def _clock(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}.000"


@pytest.fixture
def long_assistant(assistant, tmp_path):
    """One episode long enough for several chunks: 40 cues of two sentences, speakers changing every two cues."""
    cues = []
    for i in range(40):
        topic = TOPICS[i % len(TOPICS)]
        text = (f"Point {i} is about {topic} and why it matters for the cluster this year. "
                f"We keep coming back to {topic} because point {i} changes the plan.")
        cues.append((_clock(10 * i), _clock(10 * i + 10), SPEAKERS[(i // 2) % 3], text))
    write_episode(tmp_path / "corpus" / "long-1", cues, meta={"id": "long-1", "title": "Long"})
    report = assistant.ingest([tmp_path / "corpus"])
    assert report.ok, report.failed
    return assistant


def _chunks(a):
    ids = a.index.records()["long-1"].chunk_ids
    got = a.index.get_chunks(ids)
    return [got[i][0] for i in ids]


def test_window_is_centred_on_the_cited_sentence_and_reaches_into_the_previous_chunk(long_assistant):
    chunks = _chunks(long_assistant)
    assert len(chunks) >= 3
    c = chunks[1]
    quote, moment = c.sentences()[0]  # the first sentence of a chunk: what came before is in the previous chunk
    ctx = passage_context(long_assistant.index, c, moment.start, quote, before=4, after=6)
    sentences = [s for t in ctx.turns for s in t.sentences]
    cited = [i for i, s in enumerate(sentences) if s.cited]
    assert len(cited) == 1 and sentences[cited[0]].text == quote
    assert cited[0] == 4 and len(sentences) - cited[0] - 1 == 6
    assert not any(s.in_passage for s in sentences[: cited[0]]) and all(s.in_passage for s in sentences[cited[0] :])
    starts = [s.start for s in sentences]
    assert starts == sorted(starts) and len({(s.start, s.text) for s in sentences}) == len(sentences)  # overlap merged
    # turns group consecutive sentences of one speaker, each starting at its first sentence
    assert all(a.speaker != b.speaker for a, b in zip(ctx.turns, ctx.turns[1:]))
    assert all(t.start == t.sentences[0].start for t in ctx.turns)
    assert sum(t.cited for t in ctx.turns) == 1 and ctx.episode.meta.title == "Long"


def test_cited_by_time_when_no_quote_is_given(long_assistant):
    c = _chunks(long_assistant)[1]
    text, moment = c.sentences()[3]
    ctx = passage_context(long_assistant.index, c, at=moment.start)
    assert [s.text for t in ctx.turns for s in t.sentences if s.cited] == [text]


def test_a_quoted_moment_of_several_sentences_is_marked_from_its_start_to_its_end(long_assistant):
    c = _chunks(long_assistant)[1]
    own = c.sentences()
    (first, m1), (second, _), (_, m3) = own[2], own[3], own[4]
    ctx = passage_context(long_assistant.index, c, at=m1.start, quote=f"{first} {second}", end=m3.start)
    assert [s.text for t in ctx.turns for s in t.sentences if s.cited] == [first, second]
    # a quote ending inside the next sentence's start keeps to its own
    ctx = passage_context(long_assistant.index, c, at=m1.start, quote=first, end=m1.start + 0.01)
    assert [s.text for t in ctx.turns for s in t.sentences if s.cited] == [first]


def test_a_closest_passage_shows_the_whole_chunk_and_marks_nothing(long_assistant):
    chunks = _chunks(long_assistant)
    c = chunks[-1]
    ctx = passage_context(long_assistant.index, c)
    sentences = [s for t in ctx.turns for s in t.sentences]
    assert not any(s.cited for s in sentences)
    assert [s.text for s in sentences if s.in_passage] == [s for s, _ in c.sentences()]
    assert len([s for s in sentences if not s.in_passage]) <= 2  # the last chunk has nothing after it


def test_summary_context_stays_inside_its_section(tiny_assistant):
    records = tiny_assistant.index.records()
    chunks = [c for c, _ in tiny_assistant.index.get_chunks(records["tiny-459"].chunk_ids).values()]
    summary = next(c for c in chunks if c.source_type == "summary")
    ctx = passage_context(tiny_assistant.index, summary, quote=summary.sentences()[0][0])
    assert [t.speaker for t in ctx.turns] == [None]
    texts = [s.text for s in ctx.turns[0].sentences]
    assert texts and all(t in summary.text for t in texts)  # no transcript sentence next to a summary one
    assert ctx.turns[0].sentences[0].cited
