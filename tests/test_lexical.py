"""rag/lexical.py: damaged BM25 files are rebuilt (tests/test_faults.py), but a bug is not mistaken for damage."""

import threading

import pytest

import rag.lexical
from rag.lexical import LexicalIndex
from rag.models import Chunk, Moment


def _saved(folder):
    chunks = [Chunk(f"c{i}", "e", "transcript", f"bees make honey {i}", 0.0, 1.0, ["A"], None, None,
                    [Moment(0, 0.0, "A")], i) for i in range(3)]
    LexicalIndex.build(chunks, [c.text for c in chunks], "v1").save(folder)
    return folder


def test_a_bug_while_loading_is_raised_not_taken_for_damage(tmp_path, monkeypatch):
    folder = _saved(tmp_path / "bm25")
    assert len(LexicalIndex.load(folder).infos) == 3

    def broken(**fields):
        raise AttributeError("a programming error")

    monkeypatch.setattr(rag.lexical, "ChunkInfo", broken)
    with pytest.raises(AttributeError, match="a programming error"):
        LexicalIndex.load(folder)


def test_a_bug_in_the_background_rebuild_is_not_swallowed(tiny_assistant, monkeypatch):
    store = tiny_assistant.lexical
    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_type))

    def broken(*args, **kwargs):
        raise NameError("a programming error")

    monkeypatch.setattr(store, "_load_or_rebuild", broken)
    store._rebuild_in_background()
    store.wait(30)
    assert seen == [NameError]


def test_an_empty_index_knows_no_term():
    """Nothing ingested yet: BM25 has no vocabulary, and a question's terms simply occur nowhere."""
    empty = LexicalIndex.build([], [], "v0")
    frequency = empty.term_document_frequency("How many GPUs does DeepSeek have?")
    assert frequency["gpus"] == frequency["deepseek"] == 0 and set(frequency.values()) == {0}
    assert not empty.has_term("gpus") and not empty.has_term("deepseek", prefix=5)


def test_the_words_written_as_names_are_saved_with_the_index_and_an_index_without_them_is_rebuilt(tiny_assistant):
    store = tiny_assistant.lexical
    lex = store.sync(wait=True)
    assert {"deepseek", "lisbon", "china"} <= lex.cased and "chips" not in lex.cased
    assert LexicalIndex.load(store.folder).cased == lex.cased
    # a copy saved before the names were kept: loaded, then rebuilt rather than used without them
    LexicalIndex(lex.bm25, lex.infos, lex.version, None).save(store.folder)
    assert LexicalIndex.load(store.folder).cased is None
    store._current = None
    assert store.sync(wait=True).cased == lex.cased
    assert LexicalIndex.load(store.folder).cased == lex.cased
