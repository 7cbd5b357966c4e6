"""Where the tests keep what they compute once per machine, and how a fresh cache gets the models without exporting
them again. The one place the tests and the eval scripts that reuse the tests' models import them from."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Embeddings are a pure function of (model, text), so test runs may share them: every checkout and clean clone on a
# machine uses one folder beside the app's cache (never the app's own), and only the first run embeds the shared
# corpus (~800 CPU-seconds; BENCHMARKS.md, `make test`). PODRAG_TEST_CACHE moves it; an empty value is unset
# (Path("") would be the working directory: model files written into the checkout).
TEST_CACHE = Path(os.environ.get("PODRAG_TEST_CACHE") or Path.home() / ".cache" / "podcast-rag-tests")


def copy_models(source: Path, cache: Path) -> None:
    """Copy into `cache` the bundled models' files `source` holds and it lacks: the joined mpnet weights
    (rag/mpnet.py) and both ONNX exports (rag/onnx_export.py), at the paths the app reads, so only the current
    versions. A fresh cache would otherwise export them again (~70 s of both cores; a copy takes ~3 s). Copies, not
    links: no test can alter the source. Each folder appears whole (renamed into place) or not at all; one being
    made meanwhile is left alone."""
    from rag import mpnet
    from rag.embedding_onnx import MINILM, MPNET, bundled_model_dir, onnx_path

    _copy_folder(mpnet.model_dir_path(source), mpnet.model_dir_path(cache), "model.safetensors")
    for model, model_dir in ((MINILM, bundled_model_dir()), (MPNET, mpnet.model_dir_path(cache))):
        export = onnx_path(source, model_dir, model)
        _copy_folder(export.parent, onnx_path(cache, model_dir, model).parent, export.name)


def _copy_folder(folder: Path, target: Path, last: str) -> None:
    """`folder` copied to `target` when it is whole (`last`, the file written last, is there) and `target` is not."""
    if target.exists() or not (folder / last).exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        shutil.copytree(folder, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock"))
        tmp.chmod(0o755)  # mkdtemp's folder is private
        os.replace(tmp, target)
    except OSError:  # another process made it first (a non-empty target), or the disk is full: theirs
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
