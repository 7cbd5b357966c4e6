"""rag/alignment.py and rag/summary_check.py (verify-summary): quote fragments, fuzzy location, the clock offset
and its outliers, cited times, statements; the tiny corpus; bad input; and the real #459 summary against its
transcript."""

import csv
import io
from pathlib import Path

import pytest

from rag.alignment import (
    QuoteCheck,
    TranscriptText,
    check_quotes,
    estimate_offset,
    normalise,
    quote_fragments,
    summary_offset,
)
from rag.claims import name_variants
from rag.errors import SourceError, UnknownEpisodeError
from rag.models import Filters, Summary, SummaryParagraph, SummarySection, TranscriptSentence
from rag.summary_check import credited_by

PEOPLE = name_variants(["Ann Lee", "Bob Stone", "Host Person"])


def test_fragments_split_at_elisions_and_drop_editorial_brackets():
    assert quote_fragments("“Deep Seq V3 is new... it's an open weight model.”") == ["Deep Seq V3 is new",
                                                                                  "it's an open weight model."]
    assert quote_fragments("“As we discuss... O3 mini is not [open].”") == ["As we discuss", "O3 mini is not."]
    assert quote_fragments("“...for us that means releasing data…”") == ["for us that means releasing data"]
    assert quote_fragments("“Yes... no.”") == ["Yes", "no."]  # nothing longer: keep the short ones
    assert normalise("It’s DeepSeek-V3, “open”!") == "it's deepseek v3 open"


def _sentences(lines):
    return [TranscriptSentence(text, float(t), float(t) + 10, speaker, "Chapter A" if t < 500 else "Chapter B")
            for t, speaker, text in lines]


TRANSCRIPT = _sentences([
    (0, "Host Person", "Welcome to the show, today we talk about bread and chips."),
    (60, "Ann Lee", "DeepSeek V3 is a new mixture of experts transformer language model from China."),
    (70, "Ann Lee", "It is an open weight model and an instruction model like ChatGPT."),
    (300, "Bob Stone", "Open weights is the accepted term for model weights you can download."),
    (600, "Bob Stone", "Export controls limit how many advanced chips China can buy for training."),
    (900, "Host Person", "The best sourdough needs a long cold fermentation of thirty six hours."),
    (1200, "Ann Lee", "Memphis has a cluster of two hundred thousand GPUs built in record time."),
])


def _summary(paragraphs):
    return Summary(path=Path("summary.txt"), title="t",
                   sections=[SummarySection("1. Things", None, paragraphs)])


def test_quotes_are_located_classified_and_timed_with_the_clock_offset():
    summary = _summary([
        SummaryParagraph("Bob Stone introduces the new model.", "text"),
        SummaryParagraph("“Deep Seq V3 is a new mixture of experts Transformer language model... "
                         "it's an open weight model and an instruction model.”", "quote", (660.0,), ("11:00",)),
        SummaryParagraph("“Open weights is the accepted term for model weights you can download.”", "quote",
                         (905.0,), ("15:05",)),
        SummaryParagraph("“Export controls are limiting how many advanced chips that China buys for training.”",
                         "quote", (1200.0,), ("20:00",)),
        SummaryParagraph("“Memphis has a cluster of two hundred thousand GPUs built in record time.”", "quote",
                         (100.0,), ("1:40",)),  # a wrong cited time: an outlier
        SummaryParagraph("“Quantum computers will replace every GPU in the world by next summer.”", "quote",
                         (1500.0,), ("25:00",)),
    ])
    quotes, offset = check_quotes(summary, TRANSCRIPT, credited_by(PEOPLE), "https://video.example/watch?v=x")
    first, second, third, fourth, fifth = quotes
    assert first.kind == "verbatim" and first.start == 60.0 and first.speaker == "Ann Lee"
    assert first.named_speakers == ("Bob Stone",) and first.speaker_match is False  # the summary credits Bob
    assert first.chapter == "Chapter A" and first.url == "https://video.example/watch?v=x&t=60"
    assert second.kind == "verbatim" and second.start == 300.0
    assert third.kind == "paraphrase" and third.start == 600.0
    assert fifth.kind == "not_found" and fifth.start is None and fifth.url is None
    # offsets 600, 605, 600 and -1100: the median of the reliable ones, the wrong one an outlier
    assert offset.seconds == pytest.approx(600.0, abs=5) and offset.outliers == [fourth]
    assert fourth.outlier and fourth.time_ok is False and first.time_ok is True
    assert first.expected_start == pytest.approx(60.0, abs=5)
    assert "runs 0:10:00 ahead" in offset.describe() or "runs 0:10:0" in offset.describe()


def test_a_short_quote_is_found_again_near_its_cited_time():
    text = _sentences([(0, "A", "thinking out loud is how it works"), (1000, "B", "we are thinking out loud here"),
                       (2000, "B", "Long reliable anchor sentence that is quoted exactly in the summary."),
                       (3000, "B", "Another long reliable sentence that the summary also quotes exactly.")])
    summary = _summary([
        SummaryParagraph("“Long reliable anchor sentence that is quoted exactly in the summary.”", "quote", (2100.0,)),
        SummaryParagraph("“Another long reliable sentence that the summary also quotes exactly.”", "quote", (3100.0,)),
        SummaryParagraph("“We are thinking out loud here”", "quote", (1100.0,)),
    ])
    quotes, offset = check_quotes(summary, text)
    assert offset.seconds == 100.0
    assert quotes[2].start == 1000.0 and quotes[2].time_ok is True


def test_offset_is_unknown_without_reliable_quotes():
    q = QuoteCheck("s", 1, "q", (10.0,), ("0:10",), (), [])
    assert estimate_offset([q]).seconds is None
    assert "unknown" in estimate_offset([q]).describe()
    assert summary_offset(None, TRANSCRIPT) is None


def test_transcript_text_maps_matches_back_to_sentences():
    text = TranscriptText(TRANSCRIPT)
    score, i, matched = text.locate("export controls limit how many chips")
    assert TRANSCRIPT[i].start == 600.0 and score > 80 and matched.startswith("export controls")
    lo, hi = text.span(250, 650)
    assert text.text[lo:hi].startswith("open weights") and "export controls" in text.text[lo:hi]


# -- through the assistant --------------------------------------------------------------------------------------


def test_tiny_summary_cited_time_and_statement(tiny_assistant):
    report = tiny_assistant.verify_summary("tiny-459")
    assert report.quotes == [] and report.offset.seconds is None
    [cited] = report.cited_times
    assert cited.label == "0:15" and cited.transcript_time is None  # offset unknown: no transcript time
    assert cited.speaker == "Dylan Patel" and "50,000" in cited.sentence  # what is said at the cited second
    [statement] = report.statements
    assert statement.text == "Dylan says DeepSeek has about 50,000 GPUs." and statement.backed
    data = report.to_json()
    assert data["counts"]["statements_backed"] == 1 and data["sections"][0]["section"] == "1. Compute"
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert rows[0]["kind"] == "statement" and rows[0]["verdict"] == "supported"


def test_verify_summary_bad_input(tiny_assistant, tmp_path):
    with pytest.raises(UnknownEpisodeError, match="no episode 'nope'"):
        tiny_assistant.verify_summary("nope")
    with pytest.raises(SourceError, match="the episode has no summary: give one with --summary FILE"):
        tiny_assistant.verify_summary("tiny-500")
    with pytest.raises(SourceError, match="missing.txt: no such file"):
        tiny_assistant.verify_summary("tiny-459", tmp_path / "missing.txt")
    other = tmp_path / "summary.txt"
    other.write_text("Another summary\n1. Bread\n“We bake sourdough bread every morning at four.” ([0:12])\n")
    report = tiny_assistant.verify_summary("tiny-500", other, statements=False)
    assert report.quotes[0].kind == "verbatim" and report.quotes[0].speaker == "Ana Silva"


# -- the real #459 summary --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_459_summary_quotes_speakers_and_clock(corpus_assistant):
    report = corpus_assistant.verify_summary("lex-fridman-459", statements=False)
    counts = report.counts()
    print("\n", counts, "\n", report.offset.describe())
    assert counts["quotes"] == 22 and counts["verbatim"] >= 8 and counts["not_found"] <= 4
    # the summary's audio has ads: its clock runs about ten minutes ahead (measured 9:45)
    assert 9 * 60 <= report.offset.seconds <= 10.5 * 60 and report.offset.used >= 10
    by_label = {q.labels[0]: q for q in report.quotes}
    q = by_label["13:43"]  # "Deep Seq V3 is a new mixture of experts..."
    assert q.kind == "verbatim" and abs(q.start - 229) <= 5 and q.speaker == "Nathan Lambert"
    assert q.named_speakers == ("Dylan Patel",) and q.speaker_match is False and q.time_ok
    assert q.url == "https://www.youtube.com/watch?v=_1f-o0nqpEI&t=229"
    assert abs(by_label["15:09"].start - 332) <= 5 and by_label["15:09"].chapter == "DeepSeek-R1 and DeepSeek-V3"
    assert by_label["Final Words"].kind == "verbatim" and by_label["Final Words"].speaker == "Lex Fridman"
    assert by_label["34:26"].outlier  # cited at 34:26, said at 3:14:15
    # the offset is kept at ingest, so summary passages show and link the transcript's time
    record = {r.id: r for r in corpus_assistant.episodes()}["lex-fridman-459"]
    assert record.summary_offset == report.offset.seconds
    hits = corpus_assistant.search("open weights accepted term", k=3, filters=Filters(source_type="summary"))
    timed = [p for p in hits if p.chunk.start is not None]
    assert timed and timed[0].to_json()["transcript_start"] == pytest.approx(timed[0].chunk.start - 585, abs=60)
    assert f"t={int(timed[0].chunk.start - record.summary_offset)}" in timed[0].url


@pytest.mark.slow
def test_459_summary_citations_show_and_link_the_transcript_time(corpus_assistant):
    answer = corpus_assistant.ask("What does the summary say open weights means?",
                                  Filters(episode_ids=("lex-fridman-459",), source_type="summary"))
    timed = [c for c in answer.citations if c.start is not None]
    assert timed, answer.answer
    c = timed[0]
    offset = {r.id: r for r in corpus_assistant.episodes()}["lex-fridman-459"].summary_offset
    assert (c.transcript_start == pytest.approx(c.start - offset)
            and c.to_json()["transcript_start"] == c.transcript_start)
    assert c.url.endswith(f"&t={int(c.start - offset)}")


def test_ingest_gets_the_clock_offset_without_importing_the_summary_checker():
    """rag.ingest estimates the offset with rag.alignment; the checker (and rag.claims with it) stays out."""
    import subprocess
    import sys

    code = "import sys, rag.ingest; print(sorted(m for m in sys.modules if m in ('rag.summary_check', 'rag.claims')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


@pytest.mark.slow
def test_alignment_on_a_summary_it_was_not_tuned_on(corpus_assistant, tmp_path):
    """The matching thresholds and the offset rule were set on #459's summary; this checks them on #491, with a
    summary written from its transcript: 12 quotes (6 verbatim, 4 with ASR-like slips, 2 joined by an elision)
    cited on a clock running 7:30 ahead, two of them cited far off. Fixed seed: the same summary every run."""
    import random

    from rag.sources.summary import parse_summary

    sentences = [s for s in corpus_assistant.transcript_sentences("lex-fridman-491") if len(s.text.split()) >= 14]
    rng = random.Random(491)
    picked = sorted(rng.sample(range(len(sentences)), 12))
    offset, lines, truth = 450.0, ["Held-out summary", "1. Everything"], []
    for n, i in enumerate(picked):
        s = sentences[i]
        words = s.text.split()[:16]
        if 6 <= n < 10:  # ASR-like slips: a word dropped, one misheard
            words = words[:3] + words[4:]
            words[6] = words[6][:-1] + ("e" if not words[6].endswith("e") else "a")
        quote = " ".join(words)
        if n >= 10:  # two sentences joined by an elision
            quote += " ... " + " ".join(sentences[i + 1].text.split()[:10])
        cited = s.start + offset + (1800.0 if n in (2, 9) else 0.0)
        lines += [f"{s.speaker or 'Someone'} says this.", f"“{quote}” ([{_clock(cited)}])"]
        truth.append((s.start, n in (2, 9), n < 6))
    path = tmp_path / "summary.txt"
    path.write_text("\n".join(lines) + "\n")

    quotes, clock = check_quotes(parse_summary(path), corpus_assistant.transcript_sentences("lex-fridman-491"))
    assert len(quotes) == 12
    assert clock.seconds == pytest.approx(offset, abs=5)
    assert {i for i, q in enumerate(quotes) if q.outlier} == {2, 9}
    for q, (start, _, verbatim) in zip(quotes, truth):
        assert q.kind != "not_found" and q.start == pytest.approx(start, abs=5), q.text
        assert q.kind == "verbatim" if verbatim else True, q.text
        assert q.time_ok is (q.start is not None and not q.outlier), q.text
