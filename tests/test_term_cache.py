"""rag/term_cache.py: an episode's tokens come back from disk exactly as the tokenizer gave them; a damaged or
unwritable cache only costs the tokenizing again."""

import json

import rag.term_cache
from rag.lexical import tokenize
from rag.term_cache import TermCache
from tests.conftest import make_assistant

TEXTS = ["DeepSeek trained V3 on 2,048 H800 GPUs.", "The cost was about $5.5 million.", "", "Running, ran, runs!"]


def test_tokens_are_kept_and_read_back(tmp_path, monkeypatch):
    cache = TermCache(tmp_path / "terms")
    assert cache.tokenize(TEXTS) == tokenize(TEXTS)
    assert len(list((tmp_path / "terms").glob("*.json"))) == 1
    monkeypatch.setattr(rag.term_cache, "tokenize", lambda texts: [["tokenized", "again"]] * len(texts))
    assert cache.tokenize(TEXTS) == tokenize(TEXTS)  # read from the file, not tokenized again
    assert cache.tokenize(TEXTS[:2]) == [["tokenized", "again"]] * 2  # other texts: another file
    assert len(list((tmp_path / "terms").glob("*.json"))) == 2


def test_a_damaged_file_is_tokenized_again_and_replaced(tmp_path):
    cache = TermCache(tmp_path)
    cache.tokenize(TEXTS)
    (path,) = tmp_path.glob("*.json")
    for damage in ("[[\"trunc", json.dumps([["one list"]])):
        path.write_text(damage)
        assert cache.tokenize(TEXTS) == tokenize(TEXTS)
        assert json.loads(path.read_text()) == tokenize(TEXTS)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial files left


def test_an_unwritable_cache_still_tokenizes(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert TermCache(blocked / "terms").tokenize(TEXTS) == tokenize(TEXTS)
    assert TermCache(None).tokenize(TEXTS) == tokenize(TEXTS)


def test_ingest_keeps_each_episodes_tokens(tmp_path, tiny_corpus, embedder):
    """Ingest prepares the moments, so a fresh process finds the episode's tokens on disk."""
    a = make_assistant(embedder, index=tmp_path / "index", cache=tmp_path / "cache")
    assert a.ingest([tiny_corpus]).ok
    kept = {f.read_text() for f in (tmp_path / "cache" / "terms").glob("*.json")}
    for episode in ("tiny-459", "tiny-500"):
        sentences = a.transcript_sentences(episode)
        assert json.dumps(tokenize([s.text for s in sentences]), separators=(",", ":")) in kept
