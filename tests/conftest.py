"""Shared fixtures. No test touches the user's real index or cache: settings point at temporary folders, except
the embedding cache, which is keyed by (model, text) and so safe to share between test runs to keep them fast."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.caches import TEST_CACHE, copy_models
from tests.chroma_server import chroma_server, own_chroma_server  # noqa: F401  (fixtures)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
def pytest_sessionstart(session):
    """The models `make install` exported into the app's cache are the tests' too (copy_models)."""
    from rag.settings import Settings

    try:
        app_cache = Settings(_env_file=None).cache
    except ValueError:  # a malformed PODRAG_* in the shell: the tests never read it (_isolated_env), nor does this
        return
    if app_cache.resolve() != TEST_CACHE.resolve():
        copy_models(app_cache, TEST_CACHE)


def shared_episode(name: str) -> Path:
    """A folder of the shared corpus; skips the test when the corpus is not beside this checkout."""
    path = SHARED_CORPUS / name
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path} (it lives beside the checkout, never in it)")
    return path


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Keep PODRAG_* from the developer's shell out of tests."""
    for key in list(os.environ):
        if key.startswith("PODRAG_") or key == "OPENAI_API_KEY":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path):
    from rag.settings import Settings

    return Settings(index=tmp_path / "index", cache=TEST_CACHE, _env_file=None)


@pytest.fixture(scope="session")
def real_embedder():
    """The real bundled model as the app runs it (ONNX, exported into the test cache on first use), loaded once
    per test session."""
    from rag.embedding import CachedEmbedder, EmbeddingCache, local_embedder
    from rag.settings import BUNDLED_MODEL, Settings

    settings = Settings(cache=TEST_CACHE, embed_model=BUNDLED_MODEL, embed_backend="auto", _env_file=None)
    return CachedEmbedder(local_embedder(settings), EmbeddingCache(TEST_CACHE / "embeddings.sqlite"))


@pytest.fixture(scope="session")
def fake_embedder(tmp_path_factory):
    """The deterministic stand-in (tests/fake_embedder.py), behind the same cache class as the real one."""
    from rag.embedding import CachedEmbedder, EmbeddingCache
    from tests.fake_embedder import FakeEmbedder

    return CachedEmbedder(FakeEmbedder(), EmbeddingCache(tmp_path_factory.mktemp("fake-embeddings") / "e.sqlite"))


# Tests that judge meaning (thresholds tuned on the model, claims, end to end) need the real model and are marked
# slow for it, as are tests whose index another process (the CLI) opens; the app in a browser runs it too.
REAL_MODEL_MARKERS = ("slow", "browser")


_MOMENT_MODEL: list = []


def share_models(assistant, embedder) -> None:
    """Give `assistant` the session's loaded models: `embedder`, and the moment model beside the real one (loaded
    once per session; none beside the fake one, so unit tests never load it)."""
    from tests.fake_embedder import FakeEmbedder

    assistant.__dict__["embedder"] = embedder  # cached_property slots
    if isinstance(embedder.inner, FakeEmbedder):
        assistant.__dict__["moment_embedder"] = None
        return
    if not _MOMENT_MODEL:
        from rag.embedding import moment_embedder
        from rag.settings import Settings

        _MOMENT_MODEL.append(moment_embedder(Settings(cache=TEST_CACHE, _env_file=None), embedder.cache))
    assistant.__dict__["moment_embedder"] = _MOMENT_MODEL[0]


@pytest.fixture
def embedder(request):
    """The embedder a test gets: the fake one for unit tests (`make test-fast` never loads the model), the real
    model for tests marked slow or browser."""
    if any(request.node.get_closest_marker(m) for m in REAL_MODEL_MARKERS):
        return request.getfixturevalue("real_embedder")
    return request.getfixturevalue("fake_embedder")


@pytest.fixture
def assistant(settings, embedder):
    """An Assistant over an empty temporary index, sharing the session's loaded model."""
    from rag.assistant import Assistant

    a = Assistant(settings)
    share_models(a, embedder)
    return a


def make_assistant(embedder, **settings):
    """An Assistant with these settings (embedding cache: the tests' own), sharing the session's loaded model."""
    from rag.assistant import Assistant
    from rag.settings import Settings

    a = Assistant(Settings(**{"cache": TEST_CACHE, "_env_file": None, **settings}))
    share_models(a, embedder)
    return a


@contextmanager
def ingest_paused(assistant, paths: list[Path]) -> Iterator[threading.Thread]:
    """`assistant.ingest(paths)` in a thread, held at its first progress call (it holds the write lock and has
    looked up which chunks are stored) for the duration of the block; it finishes after the block."""
    reached, release = threading.Event(), threading.Event()

    def pause(done, total, label):
        reached.set()
        release.wait(60)

    worker = threading.Thread(target=assistant.ingest, args=(paths, pause))
    worker.start()
    try:
        assert reached.wait(60), "the ingest never reached its first progress call"
        yield worker
    finally:
        release.set()
        worker.join(120)


def source_file(folder: Path, name: str, text: str) -> Path:
    """A source file (UTF-8) for a parser's test."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def source_error(parse, path: Path) -> str:
    """The one-line `SourceError` that `parse(path)` raises."""
    from rag.errors import SourceError

    with pytest.raises(SourceError) as err:
        parse(path)
    return str(err.value)


def write_episode(folder: Path, vtt_cues: list[tuple[str, str, str, str]] | None = None,
                  meta: dict | None = None, summary: str | None = None) -> Path:
    """Write a small episode folder: cues are (start, end, speaker, text) with times as HH:MM:SS.mmm."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    if meta is not None:
        (folder / "episode.json").write_text(json.dumps(meta))
    if vtt_cues is not None:
        lines = ["WEBVTT", ""]
        for i, (start, end, speaker, text) in enumerate(vtt_cues, start=1):
            lines += [str(i), f"{start} --> {end}", f"<v {speaker}>{text}</v>", ""]
        (folder / "transcript.vtt").write_text("\n".join(lines))
    if summary is not None:
        (folder / "summary.txt").write_text(summary)
    return folder


# Two small made-up episodes, enough for retrieval, filters and answers to be checked by hand.
TINY_459 = [
    ("00:00:00.000", "00:00:06.000", "Lex Fridman", "Welcome to the show with Dylan and Nathan."),
    ("00:00:06.000", "00:00:15.000", "Lex Fridman", "So how many GPUs does DeepSeek really have?"),
    ("00:00:15.000", "00:00:26.000", "Dylan Patel",
     "We believe they actually have closer to 50,000 GPUs, spread over research and the hedge fund."),
    ("00:00:26.000", "00:00:40.000", "Nathan Lambert",
     "The paper only talks about the 2,000 H800 chips used for the final pre-training run."),
    ("00:01:00.000", "00:01:12.000", "Nathan Lambert",
     "Multi-head latent attention compresses the key value cache, which saves a lot of memory at inference."),
    ("00:01:12.000", "00:01:25.000", "Dylan Patel",
     "Export controls limit how many advanced chips China can buy, which slows down training of big models."),
]
TINY_500 = [
    ("00:00:00.000", "00:00:10.000", "Lex Fridman", "Tell me about the bakery you opened in Lisbon."),
    ("00:00:10.000", "00:00:24.000", "Ana Silva",
     "We bake sourdough bread every morning at four, with a starter that is twelve years old."),
    ("00:00:24.000", "00:00:40.000", "Ana Silva",
     "The secret is a long cold fermentation of thirty six hours in the fridge."),
]


def write_tiny_corpus(root: Path) -> Path:
    write_episode(root / "tiny-459", TINY_459, meta={
        "id": "tiny-459", "title": "Tiny DeepSeek talk", "host": "Lex Fridman",
        "guests": ["Dylan Patel", "Nathan Lambert"], "video_url": "https://www.youtube.com/watch?v=abc123",
        "audio_url": "https://media.example/tiny.mp3"},
        summary="Tiny summary\n1. Compute\nDylan says DeepSeek has about 50,000 GPUs. ([0:15])\n")
    write_episode(root / "tiny-500", TINY_500, meta={"id": "tiny-500", "title": "Bread", "guests": ["Ana Silva"]})
    return root


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    return write_tiny_corpus(tmp_path / "corpus")


@pytest.fixture
def tiny_assistant(assistant, tiny_corpus):
    """An Assistant with the two tiny episodes ingested."""
    report = assistant.ingest([tiny_corpus])
    assert report.ok, report.failed
    return assistant


CORPUS = [ROOT / "data" / "episodes", SHARED_CORPUS]
_BACKGROUND: dict = {}  # the process building the corpus's index (tests/corpus_index.py), and its folder


@pytest.hookimpl(trylast=True)  # after -m / -k have deselected: only a run that will use the corpus builds it
def pytest_collection_modifyitems(session, config, items):
    """Run the tests over the real corpus last, and build its index meanwhile in a background process at a lower
    priority (tests/corpus_index.py): the ingest no longer waits in line, and other tests hardly notice it."""
    others, uses = [], []
    for item in items:
        (uses if {"corpus_assistant", "corpus_embedded"} & set(item.fixturenames) else others).append(item)
    if not uses or not SHARED_CORPUS.exists():
        return
    items[:] = others + uses
    folder = Path(tempfile.mkdtemp(prefix="podrag-corpus-index-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODRAG_") and k != "OPENAI_API_KEY"}
    with open(folder / "build.log", "w") as log:  # the child writes it through its own copy
        # `nice` (coreutils) rather than a preexec_fn, which is unsafe once the test process has threads
        _BACKGROUND.update(folder=folder, process=subprocess.Popen(
            ["nice", "-n", "10", sys.executable, "-m", "tests.corpus_index", str(folder / "index"), str(TEST_CACHE),
             *map(str, CORPUS)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))


def pytest_sessionfinish(session, exitstatus):
    process = _BACKGROUND.get("process")
    if process is not None:
        process.kill()  # no-op once it has ended
        process.wait()
        shutil.rmtree(_BACKGROUND["folder"], ignore_errors=True)


@pytest.fixture(scope="session")
def corpus_embedded() -> Path | None:
    """For tests that ingest the real transcripts in their own way (fetched pages, synthetic episodes made of their
    chapters): waits until the background process has cached every sentence's vectors, so they are not embedded
    twice at once. The background's index, or None: no background process (the test embeds what it needs), or it
    failed (its log is printed; `corpus_assistant` then ingests in the test process, as before)."""
    process = _BACKGROUND.get("process")
    if process is None:
        return None
    if process.wait() != 0:
        print(f"\nbackground corpus index failed ({process.returncode}); ingesting in the test process:\n"
              + (_BACKGROUND["folder"] / "build.log").read_text()[-2000:], file=sys.stderr)
        return None
    return _BACKGROUND["folder"] / "index"


@pytest.fixture(scope="session")
def corpus_assistant(tmp_path_factory, real_embedder, corpus_embedded):
    """An Assistant over the real shared corpus plus data/episodes, ingested once per test session (by the
    background process when one was started: its index is opened, and re-ingesting it finds every episode there)."""
    if not SHARED_CORPUS.exists():
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS} (it lives beside the checkout, never in it)")
    from rag.assistant import Assistant
    from rag.settings import Settings

    index = corpus_embedded or tmp_path_factory.mktemp("corpus-index")
    a = Assistant(Settings(index=index, cache=TEST_CACHE, _env_file=None))
    share_models(a, real_embedder)
    report = a.ingest(CORPUS)
    assert report.ok, report.failed
    # A claim's verdict is a function of the claim and this (never changed) index: the dev-set accuracy test
    # re-reads the verdicts test_459_claim computed one by one instead of checking 82 claims a second time.
    a.check_claim = functools.lru_cache(maxsize=None)(a.check_claim)
    return a


@pytest.fixture
def openai_server():
    """A scripted OpenAI-compatible server on 127.0.0.1 (see tests/openai_server.py), stopped after the test."""
    from tests.openai_server import OpenAIServer

    with OpenAIServer() as server:
        yield server
