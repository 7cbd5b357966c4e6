"""Shared fixtures. No test touches the user's real index or cache: settings point at temporary folders, except
the embedding cache, which is keyed by (model, text) and so safe to share between test runs to keep them fast."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
TEST_CACHE = ROOT / ".cache" / "test-embeddings"


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
def embedder():
    """The real bundled model, loaded once per test session."""
    from rag.embedding import CachedEmbedder, EmbeddingCache, SentenceTransformerEmbedder

    return CachedEmbedder(SentenceTransformerEmbedder(), EmbeddingCache(TEST_CACHE / "embeddings.sqlite"))


@pytest.fixture
def assistant(settings, embedder):
    """An Assistant over an empty temporary index, sharing the session's loaded model."""
    from rag.assistant import Assistant

    a = Assistant(settings)
    a.__dict__["embedder"] = embedder  # cached_property slot: reuse the loaded model
    return a


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
