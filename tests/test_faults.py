"""Faults: nothing is lost or corrupted when ingest is killed, BM25 files are damaged, or many questions arrive
at once. (The Chroma server going away is in test_index_server.py; the LLM endpoint going away belongs to the
LLM answerer's tests.)"""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag.chunking import ChunkingConfig, chunk_episode, embedding_text
from rag.errors import IndexUnavailableError
from rag.sources import discover, load_episode
from tests.caches import TEST_CACHE
from tests.conftest import ROOT, SHARED_CORPUS, ingest_paused, make_assistant

ENV = {**os.environ, "PODRAG_CACHE": str(TEST_CACHE)}


def cli(*args, check=True, timeout=300):
    proc = subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def expected_chunks(corpus: Path) -> dict[str, list[str]]:
    sources, errors = discover([corpus])
    assert not errors
    return {s.id: [c.id for c in chunk_episode(load_episode(s), ChunkingConfig())] for s in sources}


def doctor(index: Path) -> dict:
    proc = cli("--index", str(index), "doctor", "--json", check=False)
    # exit 1 is also "the index is inconsistent", with the report on stdout; an error has none
    assert proc.returncode in (0, 1) and proc.stdout.strip(), f"exit {proc.returncode}: {proc.stderr}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def synthetic_corpus(tmp_path_factory, corpus_embedded):
    """Eight synthetic episodes (~2,300 chunks) from the real transcripts, their embeddings already cached: the
    passages' below, their sentences' by the moment model through the real corpus's ingest (`corpus_embedded`;
    without it each killed run would embed them again, ~6 minutes in all)."""
    if not SHARED_CORPUS.exists():
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS} (it lives beside the checkout, never in it)")
    from rag.embedding import CachedEmbedder, EmbeddingCache, SentenceTransformerEmbedder
    from tools.synthetic import write_corpus

    root = tmp_path_factory.mktemp("synthetic")
    write_corpus(root / "corpus", 8, [SHARED_CORPUS, ROOT / "data" / "episodes"], seed=7)
    write_corpus(root / "changed", 8, [SHARED_CORPUS, ROOT / "data" / "episodes"], seed=8)
    texts = set()
    for folder in (root / "corpus", root / "changed"):
        for src in discover([folder])[0]:
            texts.update(embedding_text(c) for c in chunk_episode(load_episode(src)))
    CachedEmbedder(SentenceTransformerEmbedder(), EmbeddingCache(TEST_CACHE / "embeddings.sqlite")).embed(sorted(texts))
    return root


# The kill moments are drawn from this seed, so a failure can be run again as it was (the moments fall on the same
# commits and delays; how far the process got by then still depends on the machine). Change it to explore others.
KILL_SEED = 459


@pytest.mark.slow
def test_ingest_killed_at_random_moments_then_rerun_leaves_every_episode_complete_once(synthetic_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    subprocess.run(["cp", "-r", str(synthetic_corpus / "corpus"), str(corpus)], check=True)
    index = tmp_path / "index"
    seed = KILL_SEED
    rng = random.Random(seed)
    kills = rounds = 0
    version = "corpus"

    def change_two_episodes():
        """Swap two episodes between their versions, so a kill can land in the middle of an update."""
        nonlocal version
        version = "changed" if version == "corpus" else "corpus"
        for ep in ("synthetic-00002", "synthetic-00005"):
            for name in ("transcript.json", "chapters.json"):
                (corpus / ep / name).write_bytes((synthetic_corpus / version / ep / name).read_bytes())

    while kills < 5 and rounds < 20:
        if rounds == 2:
            change_two_episodes()
        listed = json.loads(cli("--index", str(index), "episodes", "--json").stdout) if index.exists() else []
        commits = rng.randrange(max(1, 8 - len(listed)))
        delay = rng.uniform(0.0, 0.6) if commits else rng.uniform(0.5, 4.0)
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "-v", "--index", str(index), "ingest", "-q",
                                 str(corpus)], env=ENV, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        seen = 0
        while seen < commits:
            line = proc.stderr.readline()
            if not line:
                break
            seen += "committed" in line
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
        kills += proc.returncode == -signal.SIGKILL
        rounds += 1
        if proc.returncode == 0:  # it finished first: give the next run work to be interrupted in
            change_two_episodes()
        check = doctor(index)
        print(f"round {rounds}: after {seen}/{commits} commits + {delay:.2f} s: exit {proc.returncode}, "
              f"{check['episodes']} episodes, {check['orphans']} orphans")  # shown with pytest -s
        # Consistent right after the kill: what is listed is complete; leftovers are invisible orphans.
        assert check["ok"], f"seed {seed}, round {rounds}: {check}"
    assert kills == 5, f"seed {seed}: only {kills} of {rounds} runs were killed before they finished"

    cli("--index", str(index), "ingest", "-q", str(corpus))
    check = doctor(index)
    assert check["clean"], f"seed {seed}: {check}"
    listed = {e["id"]: e["chunks"] for e in json.loads(cli("--index", str(index), "episodes", "--json").stdout)}
    want = expected_chunks(corpus)
    assert listed == {eid: len(ids) for eid, ids in want.items()}
    assert check["chunks_listed"] == check["chunks_stored"] == sum(len(ids) for ids in want.values())
    hits = json.loads(cli("--index", str(index), "search", "export controls on GPUs to China", "--json",
                          "--mode", "bm25").stdout)
    assert hits and all(h["chunk_id"] in want[h["episode_id"]] for h in hits)


def test_a_second_writer_on_the_embedded_store_fails_fast_with_a_clear_message(embedder, tmp_path, tiny_corpus):
    first = make_assistant(embedder, index=tmp_path / "index")
    second = make_assistant(embedder, index=tmp_path / "index")
    with (ingest_paused(first, [tiny_corpus]),
          pytest.raises(IndexUnavailableError, match=r"is being written by process \d+: wait for it")):
        second.ingest([tiny_corpus])
    assert second.ingest([tiny_corpus]).unchanged == ["tiny-459", "tiny-500"]


@pytest.mark.parametrize("damage", ["missing-folder", "missing-file", "garbage", "truncated", "wrong-count"])
def test_damaged_or_missing_bm25_is_detected_and_rebuilt_with_a_notice(embedder, tmp_path, tiny_corpus, damage):
    a = make_assistant(embedder, index=tmp_path / "index")
    assert a.ingest([tiny_corpus]).ok
    want = [p.chunk.id for p in a.search("sourdough starter", k=3, mode="bm25")]
    folder = tmp_path / "index" / "bm25"
    current = folder / (folder / "bm25.current").read_text().strip()
    if damage == "missing-folder":
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    elif damage == "missing-file":
        (current / "chunks.json").unlink()
    elif damage == "garbage":
        for path in current.iterdir():
            path.write_bytes(os.urandom(64))
    elif damage == "truncated":
        data = current / "chunks.json"
        data.write_text(data.read_text()[: len(data.read_text()) // 2])
    else:
        data = json.loads((current / "chunks.json").read_text())
        data["chunks"] = data["chunks"][:-1]
        (current / "chunks.json").write_text(json.dumps(data))

    fresh = make_assistant(embedder, index=tmp_path / "index")  # a new process opening the damaged index
    if damage != "missing-folder":
        assert fresh.index.verify().ok and "damaged" in (fresh.lexical.check() or "")
    assert [p.chunk.id for p in fresh.search("sourdough starter", k=3, mode="bm25")] == want
    assert len(fresh.lexical.notices) == 1, fresh.lexical.notices
    notice = fresh.lexical.notices[0]
    assert str(folder) in notice and "from the vector store" in notice
    assert ("no BM25 index" if damage == "missing-folder" else "is damaged") in notice
    assert fresh.lexical.check() is None and (folder / "bm25.current").exists()  # saved again, whole


def test_bm25_that_lists_other_chunks_than_the_manifest_is_repaired_by_doctor(embedder, tmp_path, tiny_corpus):
    from rag.ingest import check_index

    a = make_assistant(embedder, index=tmp_path / "index")
    assert a.ingest([tiny_corpus]).ok
    folder = tmp_path / "index" / "bm25"
    current = folder / (folder / "bm25.current").read_text().strip()
    data = json.loads((current / "chunks.json").read_text())
    data["chunks"][0]["id"] = "not-a-chunk"
    (current / "chunks.json").write_text(json.dumps(data))
    fresh = make_assistant(embedder, index=tmp_path / "index")
    found = check_index(fresh.index, fresh.lexical)
    assert not found.ok and "1 chunks too many, 1 missing" in found.lexical
    assert check_index(fresh.index, fresh.lexical, repair=True).clean
    assert any("disagrees with the manifest" in n for n in fresh.lexical.notices)


QUESTIONS = [
    "How many GPUs does DeepSeek have?", "What is the secret of the bread?", "When does the bakery bake bread?",
    "What does multi-head latent attention compress?", "How old is the sourdough starter?",
    "Which chips were used for the final pre-training run?", "What slows down training of big models in China?",
    "How long is the cold fermentation?", "Who is on the show with Lex?", "Where is the bakery?",
]


def test_twenty_concurrent_questions_are_all_answered_with_their_own_citations(embedder, tmp_path, tiny_corpus):
    a = make_assistant(embedder, index=tmp_path / "index")
    assert a.ingest([tiny_corpus]).ok
    questions = [QUESTIONS[i % len(QUESTIONS)] + ("" if i < len(QUESTIONS) else " Please answer briefly.")
                 for i in range(20)]
    alone = {q: a.ask(q) for q in questions}
    barrier = threading.Barrier(20)

    def ask(q):
        barrier.wait(30)  # all twenty at once
        return q, a.ask(q)

    with ThreadPoolExecutor(20) as pool:
        together = list(pool.map(ask, questions))
    assert len(together) == 20
    for q, answer in together:
        want = alone[q]
        assert answer.answer == want.answer, q
        assert [(c.n, c.passage.chunk.id, c.start) for c in answer.citations] == \
               [(c.n, c.passage.chunk.id, c.start) for c in want.citations], q


@pytest.mark.slow
def test_twenty_concurrent_questions_through_the_running_app(embedder, tmp_path, tiny_corpus, monkeypatch):
    """Twenty users at once, each with their own session, through the app's HTTP API (gradio_client)."""
    from gradio_client import Client

    from tools.net import free_port
    from ui.app import launch

    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    a = make_assistant(embedder, index=tmp_path / "index")
    assert a.ingest([tiny_corpus]).ok
    port = free_port()
    demo = launch(a, host="127.0.0.1", port=port, block=False)
    try:
        url = f"http://127.0.0.1:{port}/"

        def answer_html(client, q):
            messages, _ = client.predict(q, "", "", ["transcript", "summary"], api_name="/respond")
            assert messages[0]["content"][0]["text"] == q
            return messages[-1]["content"][0]["text"]

        questions = [QUESTIONS[i % len(QUESTIONS)] + ("" if i < len(QUESTIONS) else " Please answer briefly.")
                     for i in range(20)]
        # Each question in a session of its own (a session's earlier turns make later questions follow-ups).
        alone = {q: answer_html(Client(url, verbose=False), q) for q in questions}
        clients = [Client(url, verbose=False) for _ in questions]
        barrier = threading.Barrier(20)

        def ask(i):
            barrier.wait(60)
            return answer_html(clients[i], questions[i])

        with ThreadPoolExecutor(20) as pool:
            together = list(pool.map(ask, range(20)))
        assert all(html.startswith('<div class="answer') for html in together)  # answers or abstentions, no errors
        assert sum('cite-chip' in html for html in together) >= 14
        assert together == [alone[q] for q in questions]
    finally:
        demo.close()


@pytest.mark.slow
def test_doctor_reports_damaged_bm25_and_repairs_it(tmp_path, tiny_corpus):
    index = tmp_path / "index"
    cli("--index", str(index), "ingest", "-q", str(tiny_corpus))
    assert cli("--index", str(index), "doctor").stdout.splitlines() == ["2 episodes, 3 chunks listed, 3 stored", "ok"]
    current = index / "bm25" / (index / "bm25" / "bm25.current").read_text().strip()
    (current / "chunks.json").write_text("garbage")
    found = cli("--index", str(index), "doctor", check=False)
    assert found.returncode == 1 and "BM25: BM25 index at" in found.stdout and "is damaged" in found.stdout
    assert "run `podcast-rag doctor --repair` to rebuild BM25" in found.stdout
    fixed = cli("--index", str(index), "doctor", "--repair")
    assert fixed.stdout.splitlines()[-1] == "ok" and "rebuilding it from the vector store" in fixed.stderr
    assert doctor(index)["clean"]
