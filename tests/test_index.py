"""The index's view of one episode: its chunks in order, and its transcript sentence by sentence."""

from rag.index import transcript_sentences
from rag.models import Chunk, Moment


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
