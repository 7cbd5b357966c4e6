"""ui/render.py: what the page shows for answers, sources and the library, and that text stays text."""

from rag.context import ContextSentence, ContextTurn, SourceContext
from rag.models import (
    Answer,
    Chapter,
    Chunk,
    Citation,
    EpisodeMeta,
    EpisodeRecord,
    Moment,
    MomentHit,
    Passage,
    Unsupported,
)
from ui import render

EVIL = ('<script>alert(1)</script><img src=x onerror="alert(2)"> [click](javascript:alert(3)) '
        "![i](https://evil.example/i.png)")


def chunk(text="We believe they have 50,000 GPUs.", source_type="transcript", episode="ep-1", **kw) -> Chunk:
    fields = dict(id="c1", episode_id=episode, source_type=source_type, text=text, start=3456.0, end=3470.0,
                  speakers=["Dylan Patel"], chapter="DeepSeek compute cluster", section=None,
                  moments=[Moment(0, 3456.0, "Dylan Patel")], seq=4)
    fields.update(kw)
    return Chunk(**fields)


def cited_answer(text="Dylan Patel: “We believe they have 50,000 GPUs.” [1]", c: Chunk | None = None) -> Answer:
    c = c or chunk()
    p = Passage(c, 0.9, 1, "https://www.youtube.com/watch?v=abc&t=3456")
    cite = Citation(1, p, 3456.0, 3470.0, "Dylan Patel", "We believe they have 50,000 GPUs.",
                    "https://www.youtube.com/watch?v=abc&t=3456", "https://media.example/a.mp3#t=3456")
    return Answer(text, False, "extractive", [cite])


def record(title="DeepSeek talk", number=459, **meta) -> EpisodeRecord:
    return EpisodeRecord(EpisodeMeta(id="ep-1", number=number, title=title, guests=["Dylan Patel"], **meta),
                         ["c1", "c2"], "fp", chapters=[Chapter(0, "Intro"), Chapter(3400, "Compute")],
                         duration=18371.0, transcript_format="vtt", has_summary=True)


def test_escape_turns_markup_into_text_including_quotes():
    out = render.esc(EVIL)
    assert "<" not in out and ">" not in out and '"' not in out
    assert "&lt;script&gt;" in out and "onerror=&#34;alert(2)&#34;" in out


def test_safe_url_allows_only_http_addresses():
    assert render.safe_url("https://www.youtube.com/watch?v=a&t=5") == "https://www.youtube.com/watch?v=a&t=5"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>", "/etc/passwd", "//evil.example",
                'https://x.example/"onmouseover="alert(1)', None, ""):
        assert render.safe_url(bad) is None, bad


def test_chip_label_reads_number_time_speaker_chapter():
    s = render.sources_of(cited_answer())[0]
    assert s.label() == "[1] 0:57:36 · Dylan Patel · DeepSeek compute cluster"
    assert s.label("#459") == "[1] #459 · 0:57:36 · Dylan Patel · DeepSeek compute cluster"
    summary = chunk(source_type="summary", section="2. DeepSeek Models", chapter=None, speakers=[],
                    moments=[Moment(0, None, None)])
    s = render.sources_of(cited_answer(c=summary))[0]
    assert s.label() == "[1] summary · 2. DeepSeek Models"


def test_answer_html_links_markers_and_chips_to_the_turns_sources():
    html = render.answer_html(cited_answer(), turn=3)
    assert '<a class="cite-ref" href="#cite-3-0">[1]</a>' in html
    assert 'class="cite-chip" href="#cite-3-0"' in html
    assert "[1] 0:57:36 · Dylan Patel · DeepSeek compute cluster</a>" in html
    assert "podrag-error" not in html and "extractive" in html


def test_answer_html_keeps_transcript_markup_inert():
    evil_chunk = chunk(text=EVIL, chapter='<img src=x onerror="alert(4)">')
    html = render.answer_html(cited_answer(text=f"Dylan Patel: “{EVIL}” [1]", c=evil_chunk), turn=0)
    assert "<script" not in html and "<img" not in html and "javascript:alert(3)</a>" not in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert "[click](javascript:alert(3))" in html  # shown as the characters it is; no Markdown is rendered


def test_abstention_reads_as_information_with_the_closest_moments():
    c = chunk()
    answer = Answer("The episodes don't seem to cover this.", True, "extractive", [],
                    closest=[Passage(c, 0.2, 1, "https://www.youtube.com/watch?v=abc&t=3456")])
    html = render.answer_html(answer, turn=1)
    assert 'class="answer abstained"' in html and "Closest moments:" in html
    assert 'href="#cite-1-0"' in html and "0:57:36 · Dylan Patel" in html
    assert "podrag-error" not in html and "Something went wrong" not in html
    # a passage ranked by moment shows as its moment: when, who, what was said there
    moment = MomentHit("ep-1", 2, 3, 3462.0, 3470.0, "Nathan Lambert", 4.0, "Closer to fifty thousand.")
    answer.closest = [Passage(c, 0.2, 1, "https://www.youtube.com/watch?v=abc&t=3462", moment=moment)]
    html = render.answer_html(answer, turn=1)
    assert "0:57:42 · Nathan Lambert" in html and "Closer to fifty thousand." in html


def test_notice_is_shown_above_the_answer():
    answer = cited_answer()
    answer.notice = "The LLM did not answer (timeout); this is the offline answer."
    html = render.answer_html(answer, turn=0)
    assert html.index("answer-notice") < html.index('class="answer"')


def test_llm_answer_marks_unsupported_sentences_and_reports_removed_citations():
    answer = cited_answer(text="DeepSeek has 50,000 GPUs [1]. They <b>also</b> own a moon base.")
    answer.mode, answer.model, answer.sentences = "llm", "llama3.1:8b", 2
    answer.unsupported = [Unsupported("They <b>also</b> own a moon base.", "no citation")]
    answer.removed_citations = [9]
    html = render.answer_html(answer, turn=0)
    assert ('<span class="unsupported" title="no citation">'
            '⚠ They &lt;b&gt;also&lt;/b&gt; own a moon base.</span>') in html
    assert "1 of 2 sentences not backed by their cited sources" in html and "removed citation [9]" in html
    assert "<b>also</b>" not in html and "llama3.1:8b" in html


def test_parse_cite_accepts_only_turn_and_index():
    assert render.parse_cite("3-1") == (3, 1)
    for bad in (None, "", "3", "3-1-2", "-1-2", "a-b", "3-1<script>", "1" * 7 + "-1"):
        assert render.parse_cite(bad) is None, bad


def _context(sentences, rec=None, c=None) -> SourceContext:
    c = c or chunk()
    return SourceContext(c, rec, tuple(ContextTurn(s.speaker, s.start, (s,)) for s in sentences))


def test_source_panel_shows_turns_marks_the_cited_one_and_links_to_the_second():
    s = render.sources_of(cited_answer())[0]
    ctx = _context([
        ContextSentence("So what's the real number?", 3440.0, "Lex Fridman", False, False),
        ContextSentence("We believe they have 50,000 GPUs.", 3456.0, "Dylan Patel", True, True),
    ], record())
    html = render.source_panel_html(ctx, s)
    assert "Source [1]" in html and "#459 · DeepSeek talk" in html and "Chapter: DeepSeek compute cluster" in html
    assert "Dylan Patel · 0:57:36 – 0:57:50" in html
    assert '<div class="turn cited"><div class="turn-head">▶ Dylan Patel' in html
    assert "<mark>We believe they have 50,000 GPUs.</mark>" in html
    assert 'href="https://www.youtube.com/watch?v=abc&amp;t=3456"' in html and "Watch at 0:57:36" in html
    assert 'href="https://media.example/a.mp3#t=3456"' in html


def test_a_closest_moment_is_headed_as_such_and_a_bare_closest_passage_as_a_passage():
    ctx = _context([ContextSentence("We believe they have 50,000 GPUs.", 3456.0, "Dylan Patel", True, True)])
    moment = render.Source(None, chunk(), 3456.0, 3470.0, "Dylan Patel", "We believe they have 50,000 GPUs.",
                           None, None)
    assert "Closest moment" in render.source_panel_html(ctx, moment)
    passage = render.Source(None, chunk(), 3456.0, 3470.0, None, None, None, None)
    assert "Closest passage" in render.source_panel_html(ctx, passage)


def test_source_panel_keeps_markup_inert_and_drops_unsafe_links():
    c = chunk(text=EVIL)
    s = render.Source(1, c, 3456.0, None, '<b onmouseover="x">Mallory</b>', EVIL, "javascript:alert(1)", None)
    ctx = _context([ContextSentence(EVIL, 3456.0, '<b onmouseover="x">Mallory</b>', True, True)],
                   record(title='<img src=x onerror="alert(5)">'))
    html = render.source_panel_html(ctx, s)
    assert "<script" not in html and "<img" not in html and "<b " not in html and "href=\"javascript" not in html
    assert "No video or audio link" in html


def test_summary_source_says_whose_clock_its_time_is_on():
    c = chunk(source_type="summary", section="2. Compute", chapter=None, speakers=[], moments=[Moment(0, 823.0, None)])
    s = render.Source(1, c, 823.0, None, None, None, None, None)
    html = render.source_panel_html(_context([ContextSentence("They have many GPUs.", 823.0, None, True, True)],
                                             c=c), s)
    assert "Summary · 2. Compute" in html and "0:13:43" in html and "summary's own clock" in html


def test_library_lists_episodes_with_their_facts_escaped():
    html = render.library_html([record(title="<img src=x onerror=alert(1)>", published="2025-02-03")])
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    for fact in ("#459", "Dylan Patel", "2025-02-03", "5:06:11", "<summary>2</summary>", "0:56:40 Compute",
                 "<td>2</td>", "vtt, summary"):
        assert fact in html, fact
    assert "No episodes yet" in render.library_html([])


def test_user_text_is_escaped():
    assert render.user_html("<b>hi</b>\nthere") == "&lt;b&gt;hi&lt;/b&gt;<br>there"


def unsure_answer() -> Answer:
    """Two citations at two places that scored about equally well (rag/moment_rank.py `cited_probability`)."""
    cites = []
    for n, start in ((1, 780.0), (2, 3760.0)):
        c = chunk(id=f"c{n}", start=start, end=start + 30, moments=[Moment(0, start, "Nathan Lambert")])
        hit = MomentHit("ep-1", 0, 1, start, start + 20, "Nathan Lambert", 5.0, "text")
        p = Passage(c, 5.0, n, None, moment=hit)
        cites.append(Citation(n, p, start, start + 20, "Nathan Lambert", "text", None, None))
    text = "At 0:13:00 Nathan Lambert says: “text” [1]\nAt 1:02:40 Nathan Lambert adds: “text” [2]"
    return Answer(text, False, "extractive", cites, unsure=True)


def test_an_unsure_answer_says_so_above_its_text_with_both_places_linked():
    html = render.answer_html(unsure_answer(), turn=2)
    note = html[html.index('<div class="answer-unsure">'):html.index('<div class="answer">')]
    assert "Not sure which moment answers this:" in note
    assert '<a class="cite-ref" href="#cite-2-0">[1]</a>' in note
    assert '<a class="cite-ref" href="#cite-2-1">[2]</a>' in note
    assert 'class="answer-unsure"' not in render.answer_html(cited_answer(), turn=2)
