"""Word helpers the claim checks share: singular forms, stop words, stemmed content words."""

from __future__ import annotations

import re
from functools import lru_cache

from rag.lexical import stopwords_plus, tokenize


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


def key_words(text: str) -> set[str]:
    """Content words less the longer stop-word list (auxiliaries such as 'has', 'did', 'can'): what two clauses
    must share to state the same proposition, so 'DeepSeek has 10,000 H100s' and 'DeepSeek has not raised much
    money' share only 'deepseek'."""
    return content_words(text) - stopwords_plus()


def says(text: str, phrase: str) -> bool:
    """Whether `text` says `phrase` as words ('easy', 'Gemini 1.5'), in any case: not inside a longer word or
    number ('Gemini 1.50')."""
    words = r"\s+".join(re.escape(w) for w in phrase.split())
    return bool(re.search(rf"(?<![\w.]){words}(?!\w|\.\d)", text, re.I))
