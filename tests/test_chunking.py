from pathlib import Path

from rag.chunking import ChunkingConfig, chunk_episode, embedding_text, split_sentences, word_count
from rag.models import Chapter, Episode, EpisodeMeta, Segment, Summary, SummaryParagraph, SummarySection, Transcript


def _episode(segments, chapters=(), summary=None):
    return Episode(EpisodeMeta("ep"), Transcript(Path("t.vtt"), "vtt", list(segments)), summary, list(chapters))


def _talk(speaker, start, n_sentences, words=12, step=4.0):
    """n sentences of `words` words each, one caption cue per sentence."""
    return [
        Segment(start + i * step, start + (i + 1) * step, speaker,
                " ".join(f"W{speaker[0]}{i}x{j}" for j in range(words - 1)) + " end.")
        for i in range(n_sentences)
    ]


def test_split_sentences_keeps_punctuation_and_cuts_runaway_captions():
    assert split_sentences("Yes. It has 50,000 GPUs! Why? “Because.”") == [
        "Yes.", "It has 50,000 GPUs!", "Why?", "“Because.”"]
    long = " ".join(f"w{i}" for i in range(130))
    pieces = split_sentences(long, max_words=60)
    assert len(pieces) == 3 and sum(word_count(p) for p in pieces) == 130
    assert max(word_count(p) for p in pieces) <= 60


def test_a_sentence_keeps_the_quotation_marks_and_brackets_that_close_it():
    text = 'He writes the blog "Interconnects." The talk is on the "DeepSeek moment." (It ran long.) Then?” No.'
    assert split_sentences(text) == ['He writes the blog "Interconnects."', 'The talk is on the "DeepSeek moment."',
                                     "(It ran long.)", "Then?”", "No."]
    segs = [Segment(0.0, 6.0, "Dylan Patel", 'They said "we are done." Then they shipped it.')]
    [chunk] = chunk_episode(_episode(segs))
    assert [s for s, _ in chunk.sentences()] == ['They said "we are done."', "Then they shipped it."]


def test_a_sentence_does_not_end_at_a_title_but_does_at_a_single_capital():
    text = "Mr. Smith met Dr. Lambert. He posts on X. It's like the letter M. Then? Yes."
    assert split_sentences(text) == ["Mr. Smith met Dr. Lambert.", "He posts on X.", "It's like the letter M.",
                                     "Then?", "Yes."]


def test_chunks_stay_within_word_limits_and_never_cross_chapters():
    segs = _talk("Dylan Patel", 0, 40) + _talk("Nathan Lambert", 160, 40)
    chapters = [Chapter(0, "One"), Chapter(100, "Two")]
    cfg = ChunkingConfig(target_words=60, max_words=90, overlap_words=15)
    chunks = chunk_episode(_episode(segs, chapters), cfg)
    assert all(word_count(c.text) <= cfg.max_words for c in chunks)
    for c in chunks:
        expected = "One" if c.start < 100 else "Two"
        assert c.chapter == expected
        assert c.end <= 100 or c.start >= 100, "a chunk crosses the chapter boundary at 100 s"
    # every sentence of the transcript is in some chunk
    text = " ".join(c.text for c in chunks)
    assert all(s.text in text for s in segs)


def test_chunks_overlap_a_little():
    segs = _talk("Dylan Patel", 0, 30)
    chunks = chunk_episode(_episode(segs), ChunkingConfig(target_words=60, max_words=90, overlap_words=15))
    assert len(chunks) > 2
    for a, b in zip(chunks, chunks[1:]):
        last_sentence = a.sentences()[-1][0]
        assert b.text.startswith(last_sentence), "the next chunk should start with the previous chunk's tail"


def test_each_sentence_keeps_its_own_time_and_speaker():
    segs = [
        Segment(10.0, 14.0, "Lex Fridman", "So what is the real number?"),
        Segment(14.0, 20.0, "Dylan Patel", "We believe they have closer to 50,000 GPUs."),
        Segment(20.0, 30.0, "Dylan Patel", "Some are for research. Some are for the hedge fund."),
    ]
    [chunk] = chunk_episode(_episode(segs))
    sentences = {s: (m.start, m.speaker) for s, m in chunk.sentences()}
    assert sentences["So what is the real number?"] == (10.0, "Lex Fridman")
    assert sentences["We believe they have closer to 50,000 GPUs."] == (14.0, "Dylan Patel")
    assert sentences["Some are for research."] == (20.0, "Dylan Patel")
    # the second sentence of the 20-30 s cue starts about half-way through it
    assert 24 <= sentences["Some are for the hedge fund."][0] <= 26
    assert chunk.speakers == ["Lex Fridman", "Dylan Patel"]
    assert (chunk.start, chunk.end) == (10.0, 30.0)


def test_long_turn_with_one_timestamp_gets_interpolated_sentence_times():
    # lexfridman.com pages give one timestamp per (often long) turn
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    segs = [Segment(100.0, None, "Jensen Huang", text), Segment(400.0, None, "Lex Fridman", "Thanks.")]
    chunks = chunk_episode(_episode(segs))
    times = {s: m.start for c in chunks for s, m in c.sentences() if m.speaker == "Jensen Huang"}
    ordered = [times[f"Sentence number {i} is here."] for i in range(60)]
    assert ordered[0] == 100.0 and ordered == sorted(ordered) and ordered[-1] > 350


def test_chunk_ids_are_stable_and_change_with_content():
    segs = _talk("Dylan Patel", 0, 20)
    a = [c.id for c in chunk_episode(_episode(segs))]
    assert a == [c.id for c in chunk_episode(_episode(segs))]
    changed = segs[:-1] + [Segment(segs[-1].start, segs[-1].end, "Dylan Patel", "Something else entirely.")]
    b = [c.id for c in chunk_episode(_episode(changed))]
    assert a[0] == b[0] and a[-1] != b[-1]


def test_summary_chunks_stay_in_their_section_and_keep_cited_times():
    summary = Summary(Path("summary.txt"), "T", [
        SummarySection("2. DeepSeek Models", "Overview", [
            SummaryParagraph("DeepSeek V3 is a mixture of experts model.", "text"),
            SummaryParagraph("It is an open weight model.", "quote", (823.0,), ("13:43",)),
        ]),
        SummarySection("3. Open Weights", None, [SummaryParagraph("Open weights means downloadable.", "text")]),
    ])
    ep = Episode(EpisodeMeta("ep"), None, summary, [])
    chunks = chunk_episode(ep)
    assert [c.section for c in chunks] == ["2. DeepSeek Models › Overview", "3. Open Weights"]
    assert all(c.source_type == "summary" for c in chunks)
    assert chunks[0].start == 823.0 and chunks[1].start is None


def test_embedding_text_labels_speakers_and_chapter():
    segs = [Segment(0, 5, "Lex Fridman", "Question here?"), Segment(5, 9, "Dylan Patel", "Answer here.")]
    [chunk] = chunk_episode(_episode(segs, [Chapter(0, "DeepSeek compute cluster")]))
    assert embedding_text(chunk) == "DeepSeek compute cluster. Lex Fridman: Question here? Dylan Patel: Answer here."
