"""The command line as a user (or a script) runs it: a real process, a real index, JSON on stdout."""

import json
import os
import subprocess
import sys

import pytest

from tests.caches import TEST_CACHE
from tests.conftest import write_tiny_corpus

pytestmark = pytest.mark.slow

PASSAGE_FIELDS = {"rank", "score", "episode_id", "source_type", "start", "end", "speakers", "chapter", "section",
                  "text", "url"}
CITATION_FIELDS = {"n", "episode_id", "source_type", "start", "end", "speakers", "chapter", "section", "text", "url"}


def run(*args, env_extra=None, input=None, check=True):
    env = {**os.environ, "PODRAG_CACHE": str(TEST_CACHE), **(env_extra or {})}
    proc = subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env,
                          input=input, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    corpus = write_tiny_corpus(root / "corpus")
    proc = run("--index", str(root / "index"), "ingest", str(corpus))
    assert "2 episodes indexed (2 new" in proc.stderr
    # stderr is a pipe here, as under a service manager: progress comes as lines, not as a bar nobody sees
    assert "embedding chunks: 0% (0 of " in proc.stderr and "embedding chunks: 100% (" in proc.stderr
    return root / "index"


@pytest.mark.parametrize("command", ["ask", "search", "check"])
def test_asking_before_anything_is_indexed_says_so(tmp_path, command):
    """A fresh clone has no episodes: a question (or a claim) gets one clear line, not a traceback, and not
    "the episodes don't cover this", which would be untrue."""
    proc = run("--index", str(tmp_path / "index"), command, "Dylan says DeepSeek has 50,000 GPUs", check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "is empty: add episodes first with `podcast-rag ingest FOLDER` or `podcast-rag add URL`" in proc.stderr


def test_listing_an_empty_index_says_how_to_add_episodes(tmp_path):
    """`episodes` on a fresh clone lists nothing (exit 0) and says the same as a question does."""
    proc = run("--index", str(tmp_path / "index"), "episodes", check=False)
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    assert proc.stderr.startswith(f"The library at {tmp_path / 'index'}")
    assert "is empty: add episodes first with `podcast-rag ingest FOLDER` or `podcast-rag add URL`" in proc.stderr


def test_search_json_has_the_contract_fields(index_dir):
    out = json.loads(run("--index", str(index_dir), "search", "how many GPUs does DeepSeek have", "--k", "3",
                         "--json").stdout)
    assert 1 <= len(out) <= 3 and set(out[0]) >= PASSAGE_FIELDS
    assert out[0]["episode_id"] == "tiny-459" and out[0]["rank"] == 1
    assert out[0]["url"].startswith("https://www.youtube.com/watch?v=abc123&t=")


def test_search_filters_by_speaker_and_source(index_dir):
    out = json.loads(run("--index", str(index_dir), "search", "bread", "--speaker", "ana", "--json").stdout)
    assert out and all("Ana Silva" in p["speakers"] for p in out)
    out = json.loads(run("--index", str(index_dir), "search", "GPUs", "--source", "summary", "--json").stdout)
    assert out and all(p["source_type"] == "summary" for p in out)


def test_ask_json_cites_the_moment_with_seconds_speaker_and_link(index_dir):
    out = json.loads(run("--index", str(index_dir), "ask", "How many GPUs does DeepSeek have?", "--json").stdout)
    assert out["abstained"] is False and out["mode"] == "extractive"
    assert "[1]" in out["answer"]
    first = out["citations"][0]
    assert set(first) >= CITATION_FIELDS
    assert first["n"] == 1 and first["episode_id"] == "tiny-459"
    assert first["source_type"] == "transcript"
    assert first["start"] == 15.0 and first["speakers"] == ["Dylan Patel"]
    assert first["url"].endswith("&t=15")


def test_ask_abstains_on_a_topic_never_discussed(index_dir):
    out = json.loads(run("--index", str(index_dir), "ask", "Who won the football world cup in 2022?", "--json").stdout)
    assert out["abstained"] is True and out["citations"] == [] and out["closest"]
    # the closest passages carry their best moment, and open the video at it
    for p in out["closest"]:
        moment = p["moment"]
        assert moment["text"] and p["start"] <= moment["start"] <= p["end"]
        linked = p["episode_id"] == "tiny-459"  # the bread episode has no video or audio
        assert p["url"].endswith(f"&t={int(moment['start'])}") if linked else p["url"] is None
    assert any(p["episode_id"] == "tiny-459" for p in out["closest"])


def test_batch_answers_in_input_order_and_reports_bad_lines(index_dir, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"id": "a", "query": "sourdough fermentation"}\n'
        "not json\n"
        '{"id": "b", "query": "latent attention memory", "episode": "tiny-459"}\n'
    )
    lines = [json.loads(x) for x in run("--index", str(index_dir), "search", "--batch", str(batch), "--json",
                                        "--k", "2").stdout.splitlines()]
    assert [x["id"] for x in lines] == ["a", None, "b"]
    assert lines[0]["results"][0]["episode_id"] == "tiny-500"
    assert "q.jsonl:2: not JSON" in lines[1]["error"]
    assert all(p["episode_id"] == "tiny-459" for p in lines[2]["results"])
    asked = [json.loads(x)
             for x in run("--index", str(index_dir), "ask", "--batch", str(batch), "--json").stdout.splitlines()]
    assert asked[0]["id"] == "a" and "citations" in asked[0] and asked[2]["id"] == "b"


def test_episodes_lists_what_is_indexed(index_dir):
    out = json.loads(run("--index", str(index_dir), "episodes", "--json").stdout)
    assert [e["id"] for e in out] == ["tiny-459", "tiny-500"]
    assert out[0]["guests"] == ["Dylan Patel", "Nathan Lambert"] and out[0]["chunks"] >= 1


def test_ingest_of_a_broken_episode_exits_non_zero_with_a_one_line_error(index_dir, tmp_path):
    bad = tmp_path / "bad-ep"
    bad.mkdir()
    (bad / "transcript.vtt").write_text("WEBVTT\n\n1\n00:00:05.000 --> 00:00:06.000\n<v A>b</v>\n\n"
                                        "2\n00:00:01.000 --> 00:00:02.000\n<v A>a</v>\n")
    proc = run("--index", str(index_dir), "ingest", str(bad), check=False)
    assert proc.returncode == 1
    assert "bad-ep/transcript.vtt:8: time goes backwards" in proc.stderr and "backwards" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_prints_the_verdict_and_its_evidence(index_dir):
    out = json.loads(run("--index", str(index_dir), "check", "Nathan says DeepSeek has about 50,000 GPUs",
                         "--episode", "tiny-459", "--json").stdout)
    assert out["verdict"] == "misattributed" and out["named_speakers"] == ["Nathan Lambert"]
    assert out["evidence"][0]["start"] == 15.0 and out["evidence"][0]["speakers"] == ["Dylan Patel"]
    assert out["evidence"][0]["label"] == "supported" and "Dylan Patel said it" in out["explanation"]
    text = run("--index", str(index_dir), "check", "Dylan says DeepSeek has about 20,000 GPUs").stdout
    assert text.startswith("CONTRADICTED") and "'20,000 GPUs'" in text and "&t=15" in text


def test_check_bad_input_and_batch(index_dir, tmp_path):
    proc = run("--index", str(index_dir), "check", "   ", check=False)
    assert proc.returncode == 2 and "give a CLAIM" in proc.stderr
    proc = run("--index", str(index_dir), "check", "x" * 10_000, check=False)
    assert proc.returncode == 1 and "10,000 characters long" in proc.stderr and "Traceback" not in proc.stderr
    batch = tmp_path / "claims.jsonl"
    batch.write_text('{"id": 1, "claim": "Dylan says DeepSeek has about 50,000 GPUs", "episode": "tiny-459"}\n'
                     '{"id": 2, "query": "wrong field"}\n'
                     '{"id": 3, "claim": "Nathan dit que le pain est bon et que la boulangerie est belle"}\n')
    lines = [json.loads(x) for x in run("--index", str(index_dir), "check", "--batch", str(batch)).stdout.splitlines()]
    assert [x["id"] for x in lines] == [1, 2, 3]
    assert lines[0]["verdict"] == "supported" and 'non-empty "claim" string' in lines[1]["error"]
    assert lines[2]["verdict"] == "not_found" and "French" in lines[2]["explanation"]


def test_verify_summary_json_csv_and_errors(index_dir):
    out = json.loads(run("--index", str(index_dir), "verify-summary", "tiny-459", "--json").stdout)
    assert out["counts"]["statements_backed"] == 1 and out["offset"]["seconds"] is None
    assert out["sections"][0]["cited_times"][0]["label"] == "0:15"
    csv_text = run("--index", str(index_dir), "verify-summary", "tiny-459", "--csv").stdout
    assert csv_text.splitlines()[0].startswith("kind,section,text,verdict")
    proc = run("--index", str(index_dir), "verify-summary", "tiny-500", check=False)
    assert proc.returncode == 1 and "no summary" in proc.stderr


# -- answers from an LLM (a scripted OpenAI-compatible server on 127.0.0.1, see tests/openai_server.py) ----------

# These tests script the answer call; the LLM re-rank before it is tested in tests/test_llm_retrieval.py.
NO_RERANK = {"PODRAG_LLM_RERANK": "false"}


def gpu_reply(request):
    """Cite the source that holds Dylan's 50,000 GPUs sentence, and a source [9] that was never given."""
    from tests.openai_server import Reply
    from tests.test_answer_llm import source_number

    n = source_number(request, "50,000 GPUs")
    return Reply(f"Dylan Patel believes DeepSeek has closer to 50,000 GPUs [{n}][9]. They also own a bakery.")


def test_ask_llm_json_returns_checked_citations(index_dir, openai_server):
    openai_server.responder = gpu_reply
    out = json.loads(run("--index", str(index_dir), "ask", "How many GPUs does DeepSeek have?", "--llm", "--json",
                         env_extra={**NO_RERANK, "PODRAG_LLM_BASE_URL": openai_server.base_url}).stdout)
    assert out["mode"] == "llm" and out["model"] == "scripted-model" and out["abstained"] is False
    assert out["answer"] == "Dylan Patel believes DeepSeek has closer to 50,000 GPUs [1]. They also own a bakery."
    [c] = out["citations"]
    assert set(c) >= CITATION_FIELDS and c["n"] == 1 and c["episode_id"] == "tiny-459"
    assert c["source_type"] == "transcript"
    assert c["start"] == 15.0 and c["speakers"] == ["Dylan Patel"] and c["url"].endswith("&t=15")
    assert out["removed_citations"] == [9]
    assert out["unsupported"] == [{"sentence": "They also own a bakery.", "reason": "no citation"}]
    assert out["checks"] == {"sentences": 2, "unsupported": 1, "removed_citations": 1}


def test_ask_llm_streams_to_the_terminal_and_reports_the_checks(index_dir, openai_server):
    openai_server.responder = gpu_reply
    proc = run("--index", str(index_dir), "ask", "How many GPUs does DeepSeek have?", "--llm",
               env_extra={**NO_RERANK, "PODRAG_LLM_BASE_URL": openai_server.base_url, "COLUMNS": "200"})
    lines = proc.stdout.splitlines()
    assert lines[0] == "Dylan Patel believes DeepSeek has closer to 50,000 GPUs [1]. They also own a bakery."
    assert proc.stdout.count("closer to 50,000 GPUs") == 1  # streamed once, not printed again
    assert "[1] tiny-459 · " in proc.stdout
    assert "1 of 2 sentences not backed by their cited sources:" in proc.stdout
    assert "“They also own a bakery.” (no citation)" in proc.stdout
    assert "removed citation [9] to no given source" in proc.stdout
    assert "mode: llm · scripted-model" in proc.stdout


def test_ask_llm_failure_falls_back_with_a_notice(index_dir, openai_server):
    from tests.openai_server import Reply

    openai_server.reply(*[Reply.error(503, "loading model", retry_after=0)] * 3)
    proc = run("--index", str(index_dir), "ask", "How many GPUs does DeepSeek have?", "--llm", "--json",
               env_extra={**NO_RERANK, "PODRAG_LLM_BASE_URL": openai_server.base_url, "PODRAG_LLM_MODEL": "m",
                          "PODRAG_LLM_MAX_RETRIES": "2"})
    out = json.loads(proc.stdout)
    assert out["mode"] == "extractive" and out["citations"]
    assert "failed (HTTP 503) after 2 retries: loading model" in out["notice"]


def test_ask_llm_without_an_llm_is_a_clear_error(index_dir):
    proc = run("--index", str(index_dir), "ask", "How many GPUs?", "--llm", check=False)
    assert proc.returncode == 1 and "no LLM is configured: set PODRAG_LLM_BASE_URL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_chat_passes_the_conversation_to_follow_ups(index_dir, openai_server):
    from tests.openai_server import Reply

    openai_server.reply(Reply("Dylan Patel says closer to 50,000 GPUs [1]."),
                        Reply("Nathan Lambert opinion on DeepSeek GPU count"),  # the condensed follow-up
                        Reply("Nathan Lambert notes the paper only talks about 2,000 H800 chips [1]."))
    proc = run("--index", str(index_dir), "chat", input="How many GPUs does DeepSeek have?\n"
               "and what did Nathan think about that?\n\n",
               env_extra={**NO_RERANK, "PODRAG_LLM_BASE_URL": openai_server.base_url, "PODRAG_LLM_MODEL": "m"})
    assert "answers: LLM: m" in proc.stderr
    assert "Dylan Patel says closer to 50,000 GPUs [1]." in proc.stdout
    assert "Nathan Lambert notes the paper only talks about 2,000 H800 chips [1]." in proc.stdout
    first, condense, follow_up = openai_server.chat_requests
    assert "Last question: and what did Nathan think about that?" in condense.text()
    assert "User: How many GPUs does DeepSeek have?" in condense.text()
    assert "Assistant: Dylan Patel says closer to 50,000 GPUs." in follow_up.text()  # history, citations dropped
