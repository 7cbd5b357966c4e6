"""Word helpers the claim checks share: singular forms, stop words, stemmed content words."""

from __future__ import annotations

from functools import lru_cache

from rag.lexical import tokenize


def singular(word: str) -> str:
    word = word.lower().strip("'’")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | {"i", "i'm", "it's", "yes", "yeah", "ok", "okay"}


def content_words(text: str) -> set[str]:
    """Stemmed content words (BM25's tokenizer), negations left out: 'was not profitable' -> {'profit'}."""
    return set(tokenize([text])[0]) - {"not", "no", "never", "none", "noth", "neither", "nor", "cannot", "without"}
