"""rag/presentation: the labels and rows the terminal, the app and the eval report all show."""

from rag.claims import ClaimCheck
from rag.models import Citation, Moment, Passage
from rag.presentation.labels import episode_title, place, source_label, verdict_name, where
from rag.presentation.reports import CLAIM_CHARS, claim_view
from tests.test_ui_render import chunk, record


def test_place_reads_time_speaker_chapter_or_summary_section():
    assert place("transcript", 3456.0, "Dylan Patel", "DeepSeek compute cluster", None) == \
        "0:57:36 · Dylan Patel · DeepSeek compute cluster"
    assert place("transcript", 3456.0, None, None, None) == "0:57:36"  # nothing empty between the dots
    assert place("summary", 823.0, None, None, "2. DeepSeek Models") == "summary · 2. DeepSeek Models"


def test_a_passage_is_where_its_cited_moment_is():
    c = chunk(speakers=["Lex Fridman", "Dylan Patel"])
    assert where(c) == "0:57:36 · Lex Fridman, Dylan Patel · DeepSeek compute cluster"
    assert where(c, 3460.0, "Dylan Patel") == "0:57:40 · Dylan Patel · DeepSeek compute cluster"
    assert source_label(c, 3460.0, "Dylan Patel", episode="ep-1", tag="supported") == \
        "supported · ep-1 · 0:57:40 · Dylan Patel · DeepSeek compute cluster"
    summary = chunk(source_type="summary", section="1. Compute", chapter=None, speakers=[],
                    moments=[Moment(0, None, None)])
    assert source_label(summary, episode="#459") == "#459 · summary · 1. Compute"


def test_episode_title_and_verdict_names():
    assert episode_title(record(title="DeepSeek talk")) == "#459 · DeepSeek talk"
    assert episode_title(record(title="x" * 100), 20) == "#459 · " + "x" * 12 + "…"
    assert episode_title(record(title=None, number=None)) == "ep-1"  # not "ep-1 · ep-1"
    assert episode_title(record(title=None)) == "#459 · ep-1"
    assert verdict_name("not_found") == "Not found"


def test_a_claim_view_shortens_the_claim_and_labels_its_evidence():
    c = chunk()
    cite = Citation(2, Passage(c, 0.9, 1, None), 3456.0, 3470.0, "Dylan Patel", "We have 50,000 GPUs.", None)
    view = claim_view(ClaimCheck("y" * 400, "misattributed", "Said by Dylan.", "speaker", [cite], ["supported"]))
    assert len(view.claim) == CLAIM_CHARS and view.verdict_name == "Misattributed"
    assert view.decided_by == "speaker · offline"
    [e] = view.evidence
    assert (e.n, e.tag, e.episode, e.where) == (
        2, "supported", "ep-1", "0:57:36 · Dylan Patel · DeepSeek compute cluster")
