import json
import os
from pathlib import Path

import pytest

from rag.index.encoding import chunk_from_record
from tests.conftest import TINY_459, write_episode, write_tiny_corpus


def test_ingest_indexes_every_episode_and_reports_it(assistant, tiny_corpus):
    report = assistant.ingest([tiny_corpus])
    assert report.ok and sorted(report.new) == ["tiny-459", "tiny-500"]
    records = {r.id: r for r in assistant.episodes()}
    assert records["tiny-459"].meta.guests == ["Dylan Patel", "Nathan Lambert"]
    assert records["tiny-459"].has_summary and records["tiny-459"].transcript_format == "vtt"
    assert assistant.index.count() == sum(len(r.chunk_ids) for r in records.values())
    assert "2 episodes indexed (2 new" in report.summary_line()
    report.new, report.updated, report.unchanged = ["tiny-459"], [], []
    assert report.summary_line().startswith("1 episode indexed (1 new, 0 updated, 0 unchanged), 0 failed")


def test_reingest_of_unchanged_files_does_nothing(assistant, tiny_corpus):
    assistant.ingest([tiny_corpus])
    again = assistant.ingest([tiny_corpus])
    assert sorted(again.unchanged) == ["tiny-459", "tiny-500"] and again.chunks == 0 and not again.new


def test_changed_episode_replaces_its_chunks_and_embeds_only_new_text(assistant, tiny_corpus):
    assistant.ingest([tiny_corpus])
    before = set(assistant.index.records()["tiny-459"].chunk_ids)
    cues = TINY_459 + [("00:02:00.000", "00:02:09.000", "Lex Fridman", "Thank you both for coming on the show.")]
    write_episode(tiny_corpus / "tiny-459", cues)
    report = assistant.ingest([tiny_corpus])
    assert report.updated == ["tiny-459"] and report.unchanged == ["tiny-500"]
    after = set(assistant.index.records()["tiny-459"].chunk_ids)
    assert after != before
    # old chunks are gone from the store, nothing orphaned
    assert assistant.index.count() == sum(len(r.chunk_ids) for r in assistant.episodes())
    assert assistant.search("Thank you both for coming", k=3)[0].chunk.id not in before


def test_a_broken_episode_is_reported_and_the_others_still_ingest(assistant, tmp_path):
    corpus = write_tiny_corpus(tmp_path / "corpus")
    bad = corpus / "broken"
    bad.mkdir()
    (bad / "episode.json").write_text('{"id": "broken", "title": ')
    (bad / "transcript.vtt").write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v A>hi</v>\n")
    report = assistant.ingest([corpus])
    assert sorted(report.new) == ["tiny-459", "tiny-500"]
    assert len(report.failed) == 1 and "broken/episode.json:1: not valid JSON" in report.failed[0]
    assert "broken" not in assistant.index.records()


def test_a_parse_error_in_an_update_keeps_the_old_version(assistant, tiny_corpus):
    assistant.ingest([tiny_corpus])
    old = assistant.index.records()["tiny-459"].chunk_ids
    vtt = tiny_corpus / "tiny-459" / "transcript.vtt"
    vtt.write_text(vtt.read_text().replace("00:01:00.000 --> 00:01:12.000", "00:01:00.000 -> 00:01:12"))
    report = assistant.ingest([tiny_corpus])
    assert len(report.failed) == 1 and "transcript.vtt" in report.failed[0]
    assert assistant.index.records()["tiny-459"].chunk_ids == old
    assert assistant.search("latent attention memory", k=1)[0].chunk.episode_id == "tiny-459"


def test_chunks_written_but_not_committed_stay_invisible_and_are_collected(assistant, tiny_corpus):
    """What a crash between writing chunks and committing the manifest leaves behind."""
    assistant.ingest([tiny_corpus])
    chunk = assistant.search("sourdough starter", k=1)[0].chunk
    ghost = chunk_from_record("ghost-chunk", "A ghost passage about sourdough starters and bread.",
                              {"episode_id": "tiny-500", "source_type": "transcript",
                               "moments": json.dumps([[0, 1.0, -1]])})
    assistant.index.add_chunks([ghost], assistant.embedder.embed([ghost.text]))
    assert all(p.chunk.id != "ghost-chunk" for p in assistant.search("ghost passage sourdough", k=10, mode="dense"))
    report = assistant.ingest([tiny_corpus])
    assert report.orphans_removed == 1
    assert assistant.index.count() == sum(len(r.chunk_ids) for r in assistant.episodes())
    assert chunk.id in assistant.index.live_ids


def test_remove_drops_the_episode_and_its_chunks(tiny_assistant):
    assert tiny_assistant.remove(["tiny-500", "nope"]) == ["tiny-500"]
    assert [r.id for r in tiny_assistant.episodes()] == ["tiny-459"]
    assert all(p.chunk.episode_id == "tiny-459" for p in tiny_assistant.search("sourdough bread", k=5))
    assert tiny_assistant.index.count() == len(tiny_assistant.episodes()[0].chunk_ids)


def test_missing_path_is_a_clear_error(assistant, tmp_path):
    report = assistant.ingest([tmp_path / "nowhere"])
    assert len(report.failed) == 1 and "nowhere" in report.failed[0]


def test_progress_ends_at_the_exact_total_and_never_runs_past_it(assistant, tiny_corpus):
    calls = []
    report = assistant.ingest([tiny_corpus], progress=lambda done, total, label: calls.append((done, total, label)))
    chunks = sum(len(r.chunk_ids) for r in assistant.episodes())
    assert report.ok and calls[-1][:2] == (chunks, chunks)
    assert all(0 <= done <= total for done, total, _ in calls)
    assert [d for d, _, _ in calls] == sorted(d for d, _, _ in calls)
    # each episode's passages, then its moments (embedded by the moment model) at the same count
    assert {label for _, _, label in calls} == {"tiny-459", "tiny-500", "tiny-459: moments", "tiny-500: moments"}


def test_a_file_over_the_size_limit_is_rejected_before_it_is_read(embedder, tmp_path, tiny_corpus):
    from tests.conftest import make_assistant

    big = tiny_corpus / "tiny-500" / "transcript.vtt"
    big.write_text(big.read_text() + "\nNOTE " + "x" * 2_000_000 + "\n")
    assistant = make_assistant(embedder, index=tmp_path / "index", max_file_mb=1)
    report = assistant.ingest([tiny_corpus])
    assert report.new == ["tiny-459"] and len(report.failed) == 1
    assert "tiny-500/transcript.vtt: file too large (1.9 MB): expected at most 1 MB" in report.failed[0]


def test_file_paths_are_stored_absolute_whatever_the_working_folder(assistant, tiny_corpus, monkeypatch, tmp_path):
    """verify-summary and the app read an episode's files again, from wherever they were started."""
    monkeypatch.chdir(tiny_corpus.parent)
    assert assistant.ingest([Path(tiny_corpus.name)]).ok  # a relative path, as typed in a shell
    files = assistant.index.records()["tiny-459"].files
    assert files and all(Path(f).is_absolute() and Path(f).exists() for f in files)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert assistant.verify_summary("tiny-459", statements=False).quotes == []  # found its summary from here

    # An index written with relative paths gets them made absolute by the next ingest, without re-embedding.
    record = assistant.index.records()["tiny-459"]
    record.files = [os.path.relpath(f, tiny_corpus.parent) for f in record.files]
    assistant.index.commit_episode(record)
    monkeypatch.chdir(tiny_corpus.parent)
    report = assistant.ingest([Path(tiny_corpus.name)])
    assert report.updated == ["tiny-459"] and report.chunks == 0
    assert all(Path(f).is_absolute() for f in assistant.index.records()["tiny-459"].files)


def test_a_transcript_too_large_to_hold_is_written_in_batches_as_the_same_chunks(embedder, tmp_path, monkeypatch):
    import rag.ingest
    import rag.sources.vtt
    from tests.conftest import make_assistant
    from tests.test_sources_vtt import _vtt_of

    folder = tmp_path / "corpus" / "big"
    folder.mkdir(parents=True)
    (folder / "transcript.vtt").write_text(_vtt_of(3000))
    whole = make_assistant(embedder, index=tmp_path / "whole", rerank=False)
    assert whole.ingest([folder]).ok
    monkeypatch.setattr(rag.sources.vtt, "STREAM_ABOVE_BYTES", 1000)  # read from the file, a batch at a time
    monkeypatch.setattr(rag.ingest, "_WRITE_BATCH", 7)
    streamed = make_assistant(embedder, index=tmp_path / "streamed", rerank=False)
    steps: list[int] = []
    report = streamed.ingest([folder], lambda done, total, label: steps.append(done))
    assert report.ok and report.chunks == len(whole.index.records()["big"].chunk_ids) == 100
    got, want = streamed.index.records()["big"], whole.index.records()["big"]
    assert got.chunk_ids == want.chunk_ids and got.duration == want.duration == 4499.9
    assert steps[-1] == 100 and len(steps) > 100 // 7  # progress as the batches went
    assert streamed.search("Bees 7 make honey", k=1, mode="bm25")[0].chunk.episode_id == "big"


def _big_episode_run(folder, index, cap: int | None) -> dict:
    """Ingest `folder` with the moment ranking on (the default) in a fresh process; its memory growth and a search."""
    import json
    import subprocess
    import sys

    code = f"""
import json, sys
from pathlib import Path
import rag.moments
from rag.assistant import Assistant
from rag.embedding import CachedEmbedder, EmbeddingCache
from rag.settings import Settings
from tests.fake_embedder import FakeEmbedder
if {cap!r} is not None:
    rag.moments.MAX_WHOLE_CHUNKS = {cap!r}
a = Assistant(Settings(index={str(index)!r}, cache={str(index)!r} + "-cache", _env_file=None, moment_model="none"),
              CachedEmbedder(FakeEmbedder(), EmbeddingCache(Path({str(index)!r} + "-e.sqlite"))))
from tools.memory import peak_rss_mb
base = peak_rss_mb()
report = a.ingest([Path({str(folder)!r})])
grew = peak_rss_mb() - base
hits = a.search("Bees 1234 make honey", k=3)
print(json.dumps({{"ok": report.ok, "chunks": report.chunks, "grew_mb": grew,
                   "top": [h.chunk.episode_id for h in hits], "moment": bool(hits and hits[0].moment)}}))
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_transcript_of_60000_cues_ingests_and_answers_in_bounded_memory_with_moment_ranking_on(tmp_path):
    """Issue 13.8 with the default settings: the moment ranking held every sentence of an episode (vectors, terms,
    windows) once ingest prepared it: 1.6 GB more for 120,000 cues. An episode over MAX_WHOLE_CHUNKS passages (here
    1,000, to keep the test short) is not prepared; a question ranks the moments inside the passages it retrieved."""
    from tests.test_sources_vtt import _vtt_of

    folder = tmp_path / "corpus" / "big"
    folder.mkdir(parents=True)
    (folder / "transcript.vtt").write_text(_vtt_of(60_000))  # 4.3 MB: read a batch of cues at a time
    bounded = _big_episode_run(folder, tmp_path / "bounded", cap=1000)
    assert bounded["ok"] and bounded["chunks"] == 2000
    assert bounded["top"][0] == "big" and bounded["moment"]  # answered, with a moment to cite
    whole = _big_episode_run(folder, tmp_path / "whole", cap=10**9)  # as before: prepared whole at ingest
    assert whole["top"][0] == "big"
    assert bounded["grew_mb"] < whole["grew_mb"] - 200, (bounded, whole)
