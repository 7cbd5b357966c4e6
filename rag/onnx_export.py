"""Export the bundled sentence-transformers model to ONNX, once, into the cache (needs torch and `onnx`).

    python -m rag.onnx_export            # into $PODRAG_CACHE (what `make install` runs)
    python -m rag.onnx_export --check    # say where the model is and whether it is there

The exported graph is the transformer alone (token ids -> token vectors); mean pooling and normalisation are a
few lines of numpy in rag/embedding_onnx.py. The graph is exported with the model's plain ("eager") attention
so that onnxruntime's transformer optimiser can fuse each layer's attention, embedding and layer norms into
single operators (chunk texts ~1.15x faster than the unfused graph here; if the fusion fails the unfused graph
is kept). Before the file is put in place its vectors are compared with sentence-transformers' own on texts
short, long (past the 256 word pieces both truncate at) and odd, so a file in the cache is known to give the
same vectors (cosine >= 0.9999) and existing caches and indexes stay valid.

Two processes exporting at once: a lock file makes the second wait for the first (then find the file there), and
the file is written under a temporary name and renamed, so no reader ever sees half a model.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

MIN_COSINE = 0.9999
_OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")

# The reference texts the export is checked on: ordinary, empty-ish, non-ASCII, and one past 256 word pieces.
CHECK_TEXTS = [
    "How many GPUs does DeepSeek have?",
    "We believe they actually have closer to 50,000 GPUs, spread over research and the hedge fund.",
    "x",
    "  Ünïcode — “quotes”, emoji 🙂 and 日本語 text.  ",
    " ".join(["Multi-head latent attention compresses the key value cache at inference."] * 40),
]


class ExportError(Exception):
    """The export could not be made or did not give sentence-transformers' vectors."""


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # blocks while another process exports the same model
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def export(model_dir: Path, target: Path, max_seq_length: int = 256) -> bool:
    """Write `target` (model.onnx) from the sentence-transformers model in `model_dir`, unless it is there (then
    False: another process made it, perhaps while this one waited for the lock)."""
    with _exclusive(target.with_name("export.lock")):
        if target.exists():
            return False
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar in `make install`
        t0 = time.perf_counter()
        try:
            import onnx  # noqa: F401  (torch's exporter needs it; checked first, it imports in a moment)
        except ImportError as exc:
            raise ExportError(f"the export needs the `onnx` package (pip install onnx): {exc}") from exc
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ExportError(f"the export needs torch and sentence-transformers: {exc}") from exc

        # Eager attention: the SDPA graph torch exports by default is not recognised by the fusion below.
        model = SentenceTransformer(str(model_dir), device="cpu",
                                    model_kwargs={"attn_implementation": "eager"})
        model.max_seq_length = max_seq_length
        transformer = model[0].auto_model.eval()

        class Encoder(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        sample = torch.ones((2, 8), dtype=torch.long)
        axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "token_vectors")}
        fd, tmp = tempfile.mkstemp(prefix=".model-", suffix=".onnx", dir=target.parent)
        os.close(fd)
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
                # The TorchScript exporter: one self-contained file, dynamic batch and length, no onnxscript.
                torch.onnx.export(Encoder(transformer), (sample, sample, torch.zeros_like(sample)), tmp,
                                  dynamo=False, input_names=list(_INPUTS), output_names=["token_vectors"],
                                  dynamic_axes=axes, opset_version=_OPSET)
            fused = _fuse(Path(tmp), transformer.config)
            reference = model.encode(CHECK_TEXTS, normalize_embeddings=True, show_progress_bar=False)
            _verify(Path(tmp), model_dir, reference, max_seq_length)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; the cache may be shared
            os.replace(tmp, target)  # atomic: readers see no file or the whole file
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        from rag.embedding_onnx import EXPORTER_VERSION

        (target.parent / "export.json").write_text(json.dumps({
            "exporter_version": EXPORTER_VERSION, "torch": torch.__version__, "opset": _OPSET, "fused": fused,
            "model_dir": str(model_dir), "seconds": round(time.perf_counter() - t0, 1),
        }))
        return True


def _fuse(path: Path, config) -> dict[str, int]:
    """Fuse the graph's attention, embedding and layer-norm subgraphs in place (onnxruntime's BERT optimiser);
    the fused operators and how many, or {} when the optimiser is missing or fails (the plain graph stays)."""
    try:
        from onnxruntime.transformers import optimizer

        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            heads, width = config.num_attention_heads, config.hidden_size
            model = optimizer.optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=width,
                                             opt_level=0)
            model.save_model_to_file(str(path))
        return {k: v for k, v in model.get_fused_operator_statistics().items() if v}
    except Exception as exc:  # noqa: BLE001 - an optional speed-up: the plain graph is correct without it
        print(f"note: ONNX graph not fused ({type(exc).__name__}: {exc}); using the plain graph",
              file=sys.stderr)
        return {}


def _verify(path: Path, model_dir: Path, reference, max_seq_length: int) -> None:
    import numpy as np

    from rag.embedding_onnx import OnnxEmbedder

    got = OnnxEmbedder(model_dir, path, max_seq_length).embed(CHECK_TEXTS)
    cosines = np.sum(got * np.asarray(reference, dtype=np.float32), axis=1)
    if cosines.min() < MIN_COSINE:
        worst = int(cosines.argmin())
        raise ExportError(f"the ONNX model's vectors differ from sentence-transformers' (cosine "
                          f"{cosines[worst]:.5f} on {CHECK_TEXTS[worst][:40]!r})")


def main(argv: list[str] | None = None) -> int:
    from rag.embedding_onnx import bundled_model_dir, onnx_path
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m rag.onnx_export", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="Cache folder (default: $PODRAG_CACHE).")
    parser.add_argument("--check", action="store_true", help="Only say whether the exported model is there.")
    args = parser.parse_args(argv)
    cache = args.cache or Settings().cache
    model_dir = bundled_model_dir()
    target = onnx_path(cache, model_dir)
    if args.check:
        print(f"{target}: {'present' if target.exists() else 'missing'}")
        return 0 if target.exists() else 1
    t0 = time.perf_counter()
    try:
        made = export(model_dir, target)
    except Exception as exc:  # noqa: BLE001  (one line for the caller, whatever went wrong)
        print(f"ONNX export failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}", file=sys.stderr)
        return 1
    if made:
        print(f"ONNX model exported: {target} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    else:
        print(f"ONNX model already there: {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
