"""rag/examples.py: example questions come from the indexed episodes' chapters."""

from rag.examples import example_questions
from rag.models import Chapter, EpisodeMeta, EpisodeRecord


def rec(eid, chapters, title=None):
    return EpisodeRecord(EpisodeMeta(id=eid, title=title), [], "fp",
                         chapters=[Chapter(i * 60.0, t) for i, t in enumerate(chapters)])


def test_questions_alternate_between_episodes_and_skip_show_chapters():
    records = [
        rec("a", ["Introduction", "Low cost of training", "GPU smuggling", "Who wins the race to AGI?"]),
        rec("b", ["Episode highlight", "Supply chain", "Memory"]),
        rec("c", [], title="Bread baking in Lisbon"),
    ]
    qs = example_questions(records, k=5)
    assert qs[:3] == ["Who wins the race to AGI?", "What do they say about “Memory”?",
                      "What do they say about “Bread baking in Lisbon”?"]
    assert len(qs) == 5 and len(set(qs)) == 5
    assert not any("Introduction" in q or "highlight" in q for q in qs)


def test_no_episodes_no_questions():
    assert example_questions([], k=3) == []
