"""`make demo` on a fresh clone without ../shared/corpus: the Makefile's own `ingest` recipe fetches the three demo
episodes from their public pages (served here from 127.0.0.1 in place of lexfridman.com), and the README's first
question is then answered from the transcript. Without network, the same recipe says in one line how to add
episodes and does not stop the demo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.sources import parse_vtt
from rag.sources.podcasting20 import parse_json_chapters
from tests.caches import TEST_CACHE
from tests.conftest import ROOT, shared_episode
from tests.fetch_data import lex_page
from tests.fetch_server import FetchServer

QUESTION = "How many GPUs does SemiAnalysis think DeepSeek has?"


def page_459(folder: Path) -> str:
    """The corpus has #459 as WebVTT, not as its transcript page: render it the way lexfridman.com marks up a page,
    one segment per speaker turn, chapter headings from chapters.json (a test file, never kept in the repo)."""
    meta = json.loads((folder / "episode.json").read_text())
    turns: list[list] = []
    for seg in parse_vtt(folder / "transcript.vtt").segments:
        if turns and turns[-1][2] == seg.speaker:
            turns[-1][1], turns[-1][3] = seg.end or seg.start, f"{turns[-1][3]} {seg.text}"
        else:
            turns.append([seg.start, seg.end or seg.start, seg.speaker, seg.text])
    chapters = [(c.start, c.title) for c in parse_json_chapters(folder / "chapters.json")]
    return lex_page([tuple(t) for t in turns], title=meta["title"], number=meta["number"], guests=meta["guests"],
                    published=meta["published"], video_id=meta["video_url"].split("v=")[1], chapters=chapters,
                    canonical=meta["transcript_url"])


def fresh_clone(tmp_path: Path) -> Path:
    """What a clone holds that the demo reads: the Makefile and data/ (the #459 summary, the demo list)."""
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(ROOT / "Makefile", clone / "Makefile")
    shutil.copytree(ROOT / "data" / "episodes", clone / "data" / "episodes")
    shutil.copy(ROOT / "data" / "demo-episodes.txt", clone / "data" / "demo-episodes.txt")
    return clone


def make_ingest(clone: Path, env: dict) -> subprocess.CompletedProcess:
    """The Makefile's `ingest` recipe as `make demo` runs it, with this venv's podcast-rag and no corpus beside."""
    bin_dir = Path(sys.executable).parent
    return subprocess.run(["make", "--no-print-directory", "ingest", f"BIN={bin_dir}", "STAMP=", "SHARED_CORPUS="],
                          cwd=clone, env=env, capture_output=True, text=True, timeout=1200)


def cli_env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODRAG_")}
    env |= {"PODRAG_CACHE": str(TEST_CACHE), "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **extra}
    return env


@pytest.mark.slow
@pytest.mark.usefixtures("corpus_embedded")  # the pages' sentences' vectors are cached by then
def test_make_demo_without_the_corpus_fetches_the_pages_and_the_first_question_cites_the_transcript(tmp_path):
    corpus = {name: shared_episode(name) for name in ("lex-fridman-459", "lex-fridman-491", "lex-fridman-494")}
    clone = fresh_clone(tmp_path)
    with FetchServer() as site:
        site.file("/deepseek-dylan-patel-nathan-lambert-transcript", page_459(corpus["lex-fridman-459"]), "text/html")
        for name in ("lex-fridman-491", "lex-fridman-494"):
            path = json.loads((corpus[name] / "episode.json").read_text())["transcript_url"].split("lexfridman.com")[1]
            site.file(path, (corpus[name] / "transcript.html").read_bytes(), "text/html; charset=UTF-8")
        env = cli_env(tmp_path, PODRAG_FETCH_MIRRORS=f"https://lexfridman.com={site.url('')}")
        run = make_ingest(clone, env)
        assert run.returncode == 0, run.stderr
        assert "3 episodes added (2 new, 1 updated" in run.stderr, run.stderr  # #459 had its summary already
        fetched = clone / "data" / "fetched"
        assert sorted(p.name for p in fetched.iterdir() if not p.name.startswith(".")) == [
            "lex-fridman-459", "lex-fridman-491", "lex-fridman-494"]

        # A second `make demo` downloads and re-ingests nothing: every page answers 304.
        again = make_ingest(clone, env)
        assert again.returncode == 0 and "3 episodes added (0 new, 0 updated, 3 unchanged)" in again.stderr
        assert [h.status for h in site.hits] == [200] * 3 + [304] * 3

    episodes = json.loads(subprocess.run([sys.executable, "-m", "rag.cli", "episodes", "--json"], cwd=clone, env=env,
                                         capture_output=True, text=True, check=True).stdout)
    e459 = next(e for e in episodes if e["id"] == "lex-fridman-459")
    assert e459["transcript_format"] == "html" and e459["has_summary"]  # the page and the repo's summary: one episode
    assert len(e459["chapters"]) == 25

    ask = subprocess.run([sys.executable, "-m", "rag.cli", "ask", QUESTION, "--json"], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=600)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    first = answer["citations"][0]
    assert not answer["abstained"] and first["episode_id"] == "lex-fridman-459"
    assert first["source_type"] == "transcript" and "50,000" in answer["answer"]

    # The site is gone now: re-ingest and doctor work from what was kept in data/fetched.
    (clone / "data" / "index").rename(clone / "data" / "old-index")
    again = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "-q"], cwd=clone, env=env, capture_output=True,
                           text=True, timeout=900)
    assert again.returncode == 0 and "3 episodes indexed (3 new" in again.stderr, again.stderr
    doctor = subprocess.run([sys.executable, "-m", "rag.cli", "doctor"], cwd=clone, env=env, capture_output=True,
                            text=True, timeout=300)
    assert doctor.returncode == 0 and doctor.stdout.strip().endswith("ok"), doctor.stdout + doctor.stderr


@pytest.mark.slow
def test_make_demo_offline_says_in_one_line_how_to_add_episodes(tmp_path):
    clone = fresh_clone(tmp_path)
    env = cli_env(tmp_path, PODRAG_FETCH_MIRRORS="https://lexfridman.com=http://127.0.0.1:9")  # nothing listens
    run = make_ingest(clone, env)
    assert run.returncode == 0, run.stderr  # the demo still starts
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no network" in errors[0] and "podcast-rag add URL" in errors[0]
    assert not (clone / "data" / "fetched").exists() or not any((clone / "data" / "fetched").glob("lex-*"))
