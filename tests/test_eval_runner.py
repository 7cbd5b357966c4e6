"""`podcast-rag eval` end to end, as a user runs it: a real process, the tiny corpus, a golden set written here."""

import json
import os
import subprocess
import sys

import pytest

from tests.caches import TEST_CACHE, copy_models
from tests.conftest import write_tiny_corpus

pytestmark = pytest.mark.slow

QUESTIONS = [
    # Only tiny-459's transcript talks about latent attention; its one chunk spans 0:00-1:25 and the gold moment
    # is 1:00-1:12, so the top passage is a hit that starts 60 s before the gold start.
    {"id": "t-1", "episode": "tiny-459", "question": "What does multi-head latent attention compress?",
     "style": "explanation", "answerable": True, "gold": [{"start": 60, "end": 72}], "speaker": "Nathan Lambert",
     "must_mention": ["key value cache", "memory"]},
    # Gold placed where the episode has nothing (50 minutes in): no passage can be a hit.
    {"id": "t-2", "episode": "tiny-459", "question": "Where did Ana open her bakery?", "style": "fact",
     "answerable": True, "gold": [{"start": 3000, "end": 3010}], "must_mention": ["Lisbon"]},
]
UNANSWERABLE = [{"id": "u-1", "episode": None, "question": "What is the capital of Mongolia?", "answerable": False}]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    corpus = write_tiny_corpus(root / "corpus")
    sets = root / "sets"
    sets.mkdir()
    (sets / "tiny-459.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS))
    (sets / "unanswerable.jsonl").write_text("\n".join(json.dumps(q) for q in UNANSWERABLE))
    cache = root / "cache"
    # A private cache: the indexes this run builds are its own (the tiny texts embed in seconds; the models are
    # copied, not exported again).
    copy_models(TEST_CACHE, cache)
    env = {**os.environ, "PODRAG_CACHE": str(cache), "PODRAG_EVAL_DATASETS": str(sets)}
    args = [sys.executable, "-m", "rag.cli", "eval", "--corpus", str(corpus), "--configs", "bm25,hybrid,llamaindex",
            "--report", str(root / "report")]
    first = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0, second.stderr
    return root / "report", first, second


def test_report_files_exist(report):
    folder, _, _ = report
    for name in ("report.md", "report.html", "summary.md", "summary.json", "latency.png",
                 "hits-tiny-459.png", "time-tiny-459.png"):
        assert (folder / name).stat().st_size > 0, name
    lines = [json.loads(x) for x in (folder / "results.jsonl").read_text().splitlines()]
    assert len(lines) == 9  # 3 configurations x 3 questions
    t1 = next(x for x in lines if x["config"] == "bm25" and x["id"] == "t-1")
    assert t1["first_hit_rank"] == 1 and t1["top_passage_error"] == 60.0
    html = (folder / "report.html").read_text()
    assert "<table>" in html and '<img src="hits-tiny-459.png"' in html


def test_metrics_match_the_hand_computed_values(report):
    folder, _, _ = report
    data = json.loads((folder / "summary.json").read_text())
    bm25 = data["scores"]["tiny-459"]["bm25"]
    # t-1: hit at rank 1, top passage 60 s from the gold start; t-2: nothing can hit.
    assert bm25["n"] == 2
    assert bm25["hit1"] == 0.5 and bm25["hit10"] == 0.5 and bm25["mrr10"] == 0.5 and bm25["ndcg10"] == 0.5
    assert bm25["passage_60s"] == 0.5 and bm25["passage_30s"] == 0.0
    # The baseline has one node per tiny episode, both retrieved: t-1 is found within its top 10, t-2 never.
    assert data["scores"]["tiny-459"]["llamaindex"]["hit10"] == 0.5
    assert data["scores"]["tiny-459"]["llamaindex"]["mention"] is None  # the baseline does not answer
    # The capital of Mongolia is in no episode: refused.
    assert (data["abstention"]["hybrid"]["dev"]["recall"] == 1.0
            and data["abstention"]["hybrid"]["dev"]["unanswerable"] == 1)


def test_stdout_has_the_summary_table_and_the_second_run_reuses_the_indexes(report):
    folder, first, second = report
    assert "| tiny-459 | `bm25` | 2 |" in first.stdout
    assert first.stdout.splitlines()[:2] == (folder / "summary.md").read_text().splitlines()[2:4]
    md = (folder / "report.md").read_text()
    assert "(cached)" in md and "(built)" not in md  # the second run only loaded what the first built
    assert "Where did Ana open her bakery?" in md.split("## Failures")[1]  # the miss is listed with its gold time
    assert "0:50:00–0:50:10" in md


def test_lower_case_asks_every_question_as_typed_in_lower_case(report, tmp_path):
    folder, _, _ = report
    root = folder.parent
    env = {**os.environ, "PODRAG_CACHE": str(root / "cache"), "PODRAG_EVAL_DATASETS": str(root / "sets")}
    args = [sys.executable, "-m", "rag.cli", "eval", "--corpus", str(root / "corpus"), "--configs", "bm25",
            "--lower-case", "--report", str(tmp_path / "report")]
    run = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    md = (tmp_path / "report" / "report.md").read_text()
    assert "where did ana open her bakery?" in md and "Where did Ana" not in md
    assert "--lower-case" in md  # the command that made the report
