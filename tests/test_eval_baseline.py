"""The llama-index baseline: character offsets mapped back to transcript times, and the real index built, cached
and searched over the tiny corpus."""

from pathlib import Path

import pytest

from rag.evaluation.baseline import LlamaIndexBaseline, TimeMap
from rag.models import Episode, EpisodeMeta, Filters, Segment, Transcript


def episode(*segments):
    return Episode(EpisodeMeta("e"), Transcript(Path("t.vtt"), "vtt", list(segments)))


def test_time_map_gives_each_character_range_its_segments_times():
    m = TimeMap(episode(Segment(0, 5, "A", "Hello there."), Segment(5, 9, "B", " General Kenobi. "),
                        Segment(9, None, "A", "You are a bold one."), Segment(12, 13, "B", "   ")))
    assert m.text == "Hello there. General Kenobi. You are a bold one."
    assert m.span(0, 12) == (0, 5)  # "Hello there."
    assert m.span(13, 28) == (5, 9)  # "General Kenobi."
    assert m.span(20, 48) == (5, 9)  # from inside the second segment to the end (last end unknown: its start)
    assert m.span(0, 1) == (0, 5)


@pytest.mark.slow
def test_baseline_is_built_once_then_loaded_and_finds_the_passage_with_its_times(tmp_path, tiny_corpus, embedder):
    folder = tmp_path / "baseline"
    first = LlamaIndexBaseline(folder, embedder)
    first.prepare([tiny_corpus])
    assert first.built and first.nodes == 2  # each tiny transcript fits one default 1,024-token node
    again = LlamaIndexBaseline(folder, embedder)
    again.prepare([tiny_corpus])
    assert not again.built and again.nodes == 2 and again.episode_ids() == {"tiny-459", "tiny-500"}
    hits = again.search("sourdough bread starter", k=5)
    assert [p.chunk.episode_id for p in hits] == ["tiny-500", "tiny-459"]
    assert (hits[0].chunk.start, hits[0].chunk.end) == (0.0, 40.0) and hits[0].rank == 1
    assert "twelve years old" in hits[0].chunk.text and hits[0].dense_score > hits[1].dense_score
    only = again.search("sourdough bread starter", k=5, filters=Filters(episode_ids=("tiny-459",)))
    assert [p.chunk.episode_id for p in only] == ["tiny-459"]
    # A changed file means a rebuild.
    (tiny_corpus / "tiny-500" / "transcript.vtt").write_text(
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:05.000\n<v Ana Silva>Only croissants now.</v>\n")
    third = LlamaIndexBaseline(folder, embedder)
    third.prepare([tiny_corpus])
    assert third.built and "croissants" in third.search("croissants", k=1)[0].chunk.text


@pytest.mark.slow
def test_a_transcript_longer_than_a_node_is_split_into_timed_nodes(tmp_path, embedder):
    """The baseline's sentence splitter reads NLTK data shipped inside llama-index (only a text longer than one
    node reaches it): `make eval` over the real episodes depends on it loading in the installed environment."""
    from tests.conftest import write_episode

    def at(s):
        return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000"

    cues = [(at(10 * i), at(10 * i + 10), "Lex Fridman", f"Sentence number {i} talks about chips and fabs and power.")
            for i in range(600)]
    cues[450] = (at(4500), at(4510), "Ana Silva", "The sourdough starter is twelve years old and lives in Lisbon.")
    write_episode(tmp_path / "corpus" / "long", cues, meta={"id": "long-1"})
    baseline = LlamaIndexBaseline(tmp_path / "baseline", embedder)
    baseline.prepare([tmp_path / "corpus"])
    assert baseline.nodes > 3
    hit = baseline.search("sourdough starter in Lisbon", k=1)[0]
    assert hit.chunk.start <= 4500 <= hit.chunk.end and hit.chunk.end - hit.chunk.start < 6000
