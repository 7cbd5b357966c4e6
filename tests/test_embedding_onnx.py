"""The bundled model through ONNX Runtime: the same vectors as sentence-transformers, exported once per cache
(also when two processes race for it), a clear fallback when the export cannot be made, and no torch in a
process that only asks questions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag.embedding import SentenceTransformerEmbedder
from rag.embedding_onnx import BundledEmbedder, OnnxEmbedder, bundled_model_dir, onnx_path
from rag.errors import EmbeddingUnavailableError
from tests.caches import TEST_CACHE
from tests.conftest import ROOT, SHARED_CORPUS, write_tiny_corpus

PY = sys.executable


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODRAG_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return {**env, **extra}


@pytest.fixture(scope="module")
def onnx_file() -> Path:
    """The test cache's ONNX export (made by the first test that needs it)."""
    onnx = BundledEmbedder(TEST_CACHE, require_onnx=True, torch_embedder=lambda: None)
    onnx.embed(["warm up"])
    return onnx._inner.onnx_file


def _texts() -> list[str]:
    texts = [
        "How many GPUs does DeepSeek have?", "", "   padded with spaces   ", "ÉTÉ à Zürich — “quoted”", "GPU",
        " ".join(["A sentence that repeats until it is far past the model's 256 word pieces."] * 30),
    ]
    if SHARED_CORPUS.exists():
        from rag.chunking import ChunkingConfig, chunk_episode, embedding_text
        from rag.sources import discover, load_episode

        sources = discover([SHARED_CORPUS / "lex-fridman-459"])[0]
        chunks = chunk_episode(load_episode(sources[0]), ChunkingConfig())[:40]
        texts += [embedding_text(c) for c in chunks] + [s for c in chunks[:10] for s, _ in c.sentences()]
    return texts


@pytest.mark.slow
def test_onnx_vectors_are_sentence_transformers_vectors(onnx_file):
    texts = _texts()
    got = OnnxEmbedder(bundled_model_dir(), onnx_file).embed(texts)
    want = SentenceTransformerEmbedder().embed(texts)
    assert got.shape == want.shape == (len(texts), 384)
    cosines = np.sum(got * want, axis=1)
    assert cosines.min() >= 0.9999, texts[int(cosines.argmin())][:80]
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_order_and_batching_do_not_change_vectors(onnx_file):
    texts = _texts()
    model = OnnxEmbedder(bundled_model_dir(), onnx_file)
    together = model.embed(texts)
    one_by_one = np.stack([model.embed([t])[0] for t in texts])
    backwards = model.embed(texts[::-1])[::-1]
    assert np.abs(together - one_by_one).max() < 1e-5 and np.abs(together - backwards).max() < 1e-5


@pytest.mark.slow
def test_two_processes_exporting_at_once_make_one_good_file(tmp_path):
    """Both succeed; one exports while the other waits on the lock and then finds the file: nobody reads a
    half-written model, and the export ran once."""
    cmd = [PY, "-m", "rag.onnx_export", "--cache", str(tmp_path), "--model", "all-MiniLM-L6-v2"]
    procs = [subprocess.Popen(cmd, env=_env(), stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sum("exported" in o for o in outs) == 1 and sum("already there" in o for o in outs) == 1, outs
    assert not any("Loading weights" in o for o in outs), outs
    target = onnx_path(tmp_path, bundled_model_dir())
    assert [p.name for p in target.parent.glob("*.onnx")] == ["model.onnx"]  # no temporary file left
    vector = OnnxEmbedder(bundled_model_dir(), target).embed(["GPU clusters"])
    assert vector.shape == (1, 384)
    # each of the six layers' attention fused into one operator (the speed-up the export exists for)
    made = json.loads((target.parent / "export.json").read_text())
    assert made["fused"].get("Attention") == 6, made


def _no_onnx_package(tmp_path: Path) -> str:
    """A folder whose `onnx` package fails to import, put first on the exporting child's path."""
    fake = tmp_path / "fake-site" / "onnx"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('onnx is broken here on purpose')\n")
    return str(fake.parent)


class Fallback:
    name = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(self):
        self.calls = 0

    def embed(self, texts):
        self.calls += 1
        return np.ones((len(texts), 384), dtype=np.float32) / np.sqrt(384)


def test_failed_export_falls_back_with_one_line_and_is_remembered(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([_no_onnx_package(tmp_path), str(ROOT)]))
    fallback = Fallback()
    first = BundledEmbedder(tmp_path / "cache", require_onnx=False, torch_embedder=lambda: fallback)
    with caplog.at_level("WARNING"):
        assert first.embed(["hello"]).shape == (1, 384)
    assert first.backend == "torch" and fallback.calls == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "onnx is broken here on purpose" in warnings[0], warnings
    assert "sentence-transformers instead" in warnings[0] and "\n" not in warnings[0]
    remembered = next((tmp_path / "cache" / "onnx").glob("*/export-failed.json"))
    assert "onnx" in json.loads(remembered.read_text())["error"]

    # The next process does not try again (no child process, so at once) until torch/onnx/ST change.
    monkeypatch.delenv("PYTHONPATH")
    t0 = time.perf_counter()
    second = BundledEmbedder(tmp_path / "cache", require_onnx=False, torch_embedder=Fallback)
    second.embed(["hello"])
    assert second.backend == "torch" and time.perf_counter() - t0 < 1.0


def test_onnx_required_but_unavailable_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([_no_onnx_package(tmp_path), str(ROOT)]))
    required = BundledEmbedder(tmp_path / "cache", require_onnx=True, torch_embedder=Fallback)
    with pytest.raises(EmbeddingUnavailableError, match="PODRAG_EMBED_BACKEND=onnx but no ONNX model"):
        required.embed(["hello"])


def test_a_damaged_onnx_file_falls_back(tmp_path):
    target = onnx_path(tmp_path, bundled_model_dir())
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a model")
    embedder = BundledEmbedder(tmp_path, require_onnx=False, torch_embedder=Fallback)
    embedder.embed(["x"])
    assert embedder.backend == "torch" and "does not load" in embedder.notice


@pytest.mark.slow
def test_asking_a_question_imports_no_torch(tmp_path, onnx_file):
    """A fresh `podcast-rag search`/`ask` process over an index embeds the query with ONNX: torch,
    transformers and sentence-transformers are never imported, nor chromadb's client (rag/index/reader.py reads the
    store), and nothing is printed by libraries; `episodes` imports none of them, nor BM25's."""
    corpus = write_tiny_corpus(tmp_path / "corpus")
    env = _env(PODRAG_INDEX=str(tmp_path / "index"), PODRAG_CACHE=str(TEST_CACHE))
    done = subprocess.run([PY, "-m", "rag.cli", "ingest", str(corpus), "-q"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for command in (["search", "--k", "2"], ["ask"]):
        command.insert(1, f"how old is the sourdough starter {time.time()}")  # never cached: the model must run
        done = subprocess.run([PY, "-X", "importtime", "-m", "rag.cli", *command], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
        assert "onnxruntime" in imported
        assert "chromadb_rust_bindings" in imported
        assert not imported & {"torch", "transformers", "sentence_transformers", "chromadb"}, command
        others = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
        assert others == [], others
        assert "sourdough" in done.stdout or "starter" in done.stdout
    # Listing the episodes needs neither the model nor BM25 (bm25s brings scipy) nor chromadb's client.
    done = subprocess.run([PY, "-X", "importtime", "-m", "rag.cli", "episodes", "--json"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "tiny-459" in done.stdout, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & {"onnxruntime", "torch", "bm25s", "scipy", "chromadb"}, imported


@pytest.mark.slow
def test_the_torch_path_prints_no_progress_bars(tmp_path):
    """With sentence-transformers (PODRAG_EMBED_BACKEND=torch) a command still prints only its own output."""
    corpus = write_tiny_corpus(tmp_path / "corpus")
    env = _env(PODRAG_INDEX=str(tmp_path / "index"), PODRAG_CACHE=str(tmp_path / "cache"), PODRAG_EMBED_BACKEND="torch")
    done = subprocess.run([PY, "-m", "rag.cli", "ingest", str(corpus), "-q"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [line for line in done.stderr.splitlines() if "indexed" in line], done.stderr
    assert not (tmp_path / "cache" / "onnx").exists()  # torch asked for: no export either
