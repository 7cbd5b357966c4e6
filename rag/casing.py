"""Which words the episodes write as names, so a question typed in lower case still names what it asks about.

A question's names ("Sora", "TSMC", "R1") are what near-miss questions hinge on (rag/moment_rank.py
`asked_names`), and they are found by their capital letters. Typed in lower case ("did they talk about tsmc in
arizona?") a question has none, and the answer would quote whatever is nearest. The index knows better: a word its
texts write capitalised in mid-sentence at least twice as often as not (NVIDIA, Jensen, Arizona, Blackwell) is a
name. Tallied over every chunk's text while the BM25 index is built (rag/lexical.py), kept with it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from rag.models import Chunk

# A word not at the start of a text, a line or a sentence, nor after a speaker's label ("Nathan Lambert: Yeah"):
# a capital there says nothing.
_MID_SENTENCE_WORD = re.compile(
    r"(?<![.!?:]\s)(?<![.!?:]\s[\"“'‘(])"  # after a sentence's end or a label, maybe with a quote or bracket
    r"(?<!^)(?<!^[\"“'‘(\-•*])(?<!^[\-•*]\s)(?<!^\d\.\s)"  # at a line's start, maybe after a bullet or "1. "
    r"\b([A-Za-z][A-Za-z0-9'’]*)",
    re.MULTILINE)
# Written capitalised at least this many times as often as not, mid-sentence.
NAME_RATIO = 2


class CaseTally:
    """Counts how each word is written mid-sentence over the texts it is shown."""

    def __init__(self) -> None:
        self._forms: Counter[str] = Counter()

    def update(self, texts: Iterable[str]) -> None:
        for text in texts:
            self._forms.update(_MID_SENTENCE_WORD.findall(text))

    def watch(self, chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        """Pass `chunks` through, counting the words of their text on the way (the BM25 build reads them once)."""
        for chunk in chunks:
            self.update((chunk.text,))
            yield chunk

    def names(self) -> frozenset[str]:
        """The words written as names, lower-cased (words, not stems: "Chang" is a name, "change" is not)."""
        upper: Counter[str] = Counter()
        lower: Counter[str] = Counter()
        for form, n in self._forms.items():
            (upper if form[0].isupper() else lower)[form.lower()] += n
        return frozenset(w for w, n in upper.items() if n >= NAME_RATIO * lower[w])


def typed_in_lower_case(words: list[str]) -> bool:
    """Whether a question's words (as written) have no capital after the first: its casing says nothing."""
    return not any(ch.isupper() for w in words[1:] for ch in w)


def without_possessive(word: str) -> str:
    """The word lower-cased, without a possessive "'s" ("TSMC's" → "tsmc")."""
    return re.sub(r"['’]s$", "", word.lower())


def written_as_name(word: str, cased: frozenset[str]) -> bool:
    """Whether the episodes write `word` (as a question has it: "tsmc's", "jensen", "arc-agi") as a name; a
    hyphenated word when they write each part so ("ai-generated" is not: only its "AI" is a name)."""
    parts = [without_possessive(p) for p in word.split("-") if p]
    return bool(parts) and all(p in cased for p in parts)


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*")


def as_written(text: str, cased: frozenset[str]) -> str:
    """A text typed in lower case with the words the episodes write as names capitalised ("nvidia is at cuda 12"
    -> "Nvidia is at Cuda 12"), so that what is read off capitals (a claim's names, a name's version) reads as if
    it had been typed with them. A text with capitals of its own is left as it is."""
    if not cased or not typed_in_lower_case(_WORD.findall(text)):
        return text

    def capitalised(m: re.Match[str]) -> str:
        word = m.group(0)
        if not written_as_name(word, cased):
            return word
        return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))

    return _WORD.sub(capitalised, text)
