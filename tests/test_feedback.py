"""rag/feedback.py: ratings are stored with the question, the answer and its citations, and survive a restart."""

import sqlite3

from rag.feedback import FeedbackStore
from rag.models import Answer, Chunk, Citation, Filters, Moment, Passage


def answer() -> Answer:
    c = Chunk("c1", "ep-1", "transcript", "We believe they have 50,000 GPUs.", 15.0, 26.0, ["Dylan Patel"],
              "Compute", None, [Moment(0, 15.0, "Dylan Patel")], 0)
    cite = Citation(1, Passage(c, 0.9, 1, None), 15.0, 26.0, "Dylan Patel", "We believe they have 50,000 GPUs.",
                    "https://youtu.be/x?t=15")
    return Answer("Dylan Patel: “We believe they have 50,000 GPUs.” [1]", False, "extractive", [cite])


def test_ratings_are_stored_with_question_answer_and_citations(tmp_path):
    path = tmp_path / "data" / "feedback.sqlite"
    store = FeedbackStore(path)
    assert store.entries() == []
    first = store.add("up", "How many GPUs?", answer(), Filters(episode_ids=("ep-1",), speaker="Dylan"))
    second = store.add("down", "How many GPUs?", answer())
    assert second == first + 1

    entries = FeedbackStore(path).entries()  # a new store on the same file: a restarted app
    assert [e.rating for e in entries] == ["up", "down"]
    e = entries[0]
    assert e.question == "How many GPUs?" and e.answer.endswith("[1]") and e.mode == "extractive"
    assert not e.abstained and e.citations[0]["start"] == 15.0 and e.citations[0]["url"] == "https://youtu.be/x?t=15"
    assert e.filters["episode_ids"] == ["ep-1"] and e.filters["speaker"] == "Dylan"
    assert entries[1].filters == {}
    # plain SQLite, readable without this code
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM feedback").fetchone()[0] == 2
