"""tools/synthetic.py: benchmark episodes made of real chapters re-chunk into real passage texts (cache hits)."""

import json

import pytest

from rag.chunking import chunk_episode, embedding_text
from rag.errors import PodragError
from rag.sources import discover, load_episode
from tests.conftest import ROOT, SHARED_CORPUS
from tools.synthetic import main, write_corpus

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real():
    if not SHARED_CORPUS.exists():
        pytest.skip(f"shared corpus not found at {SHARED_CORPUS} (it lives beside the checkout, never in it)")
    return [SHARED_CORPUS, ROOT / "data" / "episodes"]


def passages(paths):
    sources, errors = discover(paths)
    assert not errors
    return {s.id: chunk_episode(load_episode(s)) for s in sources}


def test_every_synthetic_passage_has_the_text_of_a_real_one(real, tmp_path):
    known = {embedding_text(c) for chunks in passages(real).values() for c in chunks}
    folders = write_corpus(tmp_path / "synth", 6, real, seed=3)
    made = passages([tmp_path / "synth"])
    assert sorted(made) == [f"synthetic-{i:05d}" for i in range(1, 7)] == [f.name for f in folders]
    texts = [embedding_text(c) for chunks in made.values() for c in chunks]
    assert all(t in known for t in texts)  # so their embeddings come from the cache
    ids = [c.id for chunks in made.values() for c in chunks]
    assert len(ids) == len(set(ids)) and not set(ids) & {c.id for cs in passages(real).values() for c in cs}
    assert 150 <= len(texts) / 6 <= 450  # about a real episode's worth of passages each


def test_synthetic_episodes_are_marked_and_reproducible(real, tmp_path):
    write_corpus(tmp_path / "a", 3, real, seed=5)
    write_corpus(tmp_path / "b", 3, real, seed=5)
    meta = json.loads((tmp_path / "a" / "synthetic-00002" / "episode.json").read_text())
    assert meta["synthetic"] is True and meta["title"].startswith("[synthetic] ")
    assert "Not real episodes" in (tmp_path / "a" / "SYNTHETIC.md").read_text()
    for name in ("transcript.json", "chapters.json"):
        assert (tmp_path / "a" / "synthetic-00003" / name).read_bytes() == \
               (tmp_path / "b" / "synthetic-00003" / name).read_bytes()
    assert (tmp_path / "a" / "synthetic-00003" / "summary.txt").exists()


def test_it_refuses_to_write_inside_the_repository(real, capsys):
    with pytest.raises(PodragError, match="outside the repository"):
        write_corpus(ROOT / "data" / "synthetic", 1, real)
    assert main(["--episodes", "1", "--out", str(ROOT / "eval" / "synth")]) == 1
    assert "outside the repository" in capsys.readouterr().err and not (ROOT / "eval" / "synth").exists()
