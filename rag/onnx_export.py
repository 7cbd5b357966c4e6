"""Export the bundled sentence-transformers models to ONNX, once, into the cache (needs torch and `onnx`).

    python -m rag.onnx_export            # both models into $PODRAG_CACHE (what `make install` runs)
    python -m rag.onnx_export --model all-MiniLM-L6-v2   # one of them
    python -m rag.onnx_export --check    # say where the models are and whether they are there

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


def export(model_dir: Path, target: Path, max_seq_length: int = 256, token_types: bool = True) -> bool:
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

            def forward(self, input_ids, attention_mask, token_type_ids=None):
                extra = {"token_type_ids": token_type_ids} if token_types else {}
                return self.inner(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state

        inputs = _INPUTS if token_types else _INPUTS[:2]
        sample = torch.ones((2, 8), dtype=torch.long)
        axes = {name: {0: "batch", 1: "tokens"} for name in (*inputs, "token_vectors")}
        fd, tmp = tempfile.mkstemp(prefix=".model-", suffix=".onnx", dir=target.parent)
        os.close(fd)
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
                # The TorchScript exporter: one self-contained file, dynamic batch and length, no onnxscript.
                args = (sample, sample, torch.zeros_like(sample))[: len(inputs)]
                torch.onnx.export(Encoder(transformer), args, tmp,
                                  dynamo=False, input_names=list(inputs), output_names=["token_vectors"],
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
    from rag.embedding_onnx import MODELS, onnx_path
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m rag.onnx_export", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="Cache folder (default: $PODRAG_CACHE).")
    parser.add_argument("--model", choices=sorted(MODELS), action="append",
                        help="The model to export (default: all of them).")
    parser.add_argument("--check", action="store_true", help="Only say whether the exported models are there.")
    args = parser.parse_args(argv)
    cache = args.cache or Settings().cache
    status = 0
    for key in args.model or list(MODELS):
        model = MODELS[key]
        t0 = time.perf_counter()
        try:
            model_dir = model.locate(cache)
            target = onnx_path(cache, model_dir, model)
            if args.check:
                print(f"{target}: {'present' if target.exists() else 'missing'}")
                status = status or (0 if target.exists() else 1)
                continue
            made = export(model_dir, target, model.max_seq_length, model.token_types)
        except Exception as exc:  # noqa: BLE001  (one line for the caller, whatever went wrong)
            print(f"ONNX export failed: {key}: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}",
                  file=sys.stderr)
            status = 1
            continue
        if made:
            print(f"ONNX model exported: {target} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
        else:
            print(f"ONNX model already there: {target}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
