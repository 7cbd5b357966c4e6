"""Checks on a generated answer: do its `[n]` citations name sources that were given, and do those sources back
up the sentences that cite them?

Pure functions on text and passages (the support check takes the embedding function as an argument), so they are
tested without any LLM. The steps, in the order the LLM answerer uses them:

1. `CitationFilter` rewrites the answer as it streams. A citation naming a given source is renumbered by first
   appearance ([1], [2], ... under the answer) and, with a `MomentFinder`, resolved to the sentence of the passage
   that the claim before it relies on, so two claims citing one passage at different seconds get two numbers. A
   citation naming no given source (an invented `[9]`) is dropped and recorded. What the user sees while it
   streams is already the checked text.
2. `split_answer` cuts the finished answer into sentences, each with the citations that follow it.
3. `check_support` marks a sentence unsupported when it cites nothing, or when no sentence of the passages it cites
   is close enough to it in meaning, or when it states a number those passages do not contain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.answer.markers import CITATION, LEADING_CITATIONS, citation_numbers, numbers_in, strip_citations
from rag.chunking import split_sentences
from rag.models import Passage, Unsupported
from rag.numbers import find_numbers
from rag.timecodes import format_clock

# An unfinished bracket (or whitespace that may precede one) at the end of the streamed text so far: held back
# until the next piece shows whether it is a citation.
_OPEN_TAIL = re.compile(r"\s*(?:\[[^\[\]\n]{0,30})?$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
# How an answer says the sources do not answer: the prompt asks for "Not covered: ..."; models paraphrase.
_NOT_COVERED = re.compile(
    r"\bnot covered\b|\b(?:do|does|did)(?: not|n['’]t) (?:cover|answer|address|mention|say|discuss|contain|include)"
    r"|\bno (?:information|mention|source)\b|\bnot (?:mentioned|discussed|addressed)\b",
    re.I,
)
_NUMBER_BONUS = 0.1


def is_not_covered(text: str) -> bool:
    """Whether the text says the sources do not answer (the prompt's 'Not covered' or a paraphrase)."""
    return bool(_NOT_COVERED.search(text))


Embed = Callable[[list[str]], np.ndarray]
# (source number as given, claim) -> what a new citation number stands for; see CitationFilter
Resolve = Callable[[int, str], Hashable]


class CitationFilter:
    """Rewrites citations in streamed text: valid ones renumbered by first appearance, invented ones dropped.

    `feed` takes each piece as it arrives and returns what can be shown now; an unfinished `[...` is held back
    until it is complete. `flush` returns what is still held at the end. `removed` lists the numbers, as written,
    that named no given source.

    `resolve(n, claim)` says what a citation of source n by the sentence `claim` (the text written before the
    marker) stands for: by default the source itself; the LLM answerer returns (source, sentence of the passage),
    so two claims citing different moments of one passage get two numbers, each opening at its own second.
    `order[k-1]` is what new number k stands for.
    """

    def __init__(self, n_sources: int, resolve: Resolve | None = None):
        self.n_sources = n_sources
        self.resolve = resolve or (lambda n, _claim: n)
        self.order: list[Hashable] = []
        self.removed: list[int] = []
        self.text = ""  # everything returned so far
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        tail = _OPEN_TAIL.search(text)
        cut = tail.start() if tail and tail.end() - tail.start() < 40 else len(text)
        self._held = text[cut:]
        return self._emit(text[:cut])

    def flush(self) -> str:
        text, self._held = self._held, ""
        return self._emit(text)

    def _emit(self, text: str) -> str:
        out = re.sub(r"(\s*)" + CITATION.pattern, self._rewrite, text, flags=re.I)
        self.text += out
        return out

    def _rewrite(self, match: re.Match) -> str:
        claim = None
        kept = []
        for n in numbers_in(match.group(2)):
            if not 1 <= n <= self.n_sources:
                self.removed.append(n)
                continue
            if claim is None:
                claim = _last_sentence(self.text + match.string[: match.start()])
            key = self.resolve(n, claim)
            if key not in self.order:
                self.order.append(key)
            new = self.order.index(key) + 1
            if new not in kept:
                kept.append(new)
        # "[1][2]" rather than "[1, 2]": one format for readers and for the UI's citation chips.
        return match.group(1) + "".join(f"[{k}]" for k in kept) if kept else ""


def _last_sentence(text: str) -> str:
    """The sentence a citation at the end of `text` belongs to: the last one written, which is the one before
    the marker also when the marker follows a finished sentence ("claim. [2]")."""
    lines = [line for line in text.splitlines() if strip_citations(line)]
    if not lines:
        return ""
    sentences = [x for x in map(strip_citations, split_sentences(lines[-1][-2000:], max_words=10_000)) if x]
    return _LIST_MARKER.sub("", sentences[-1]) if sentences else ""


class MomentFinder:
    """Which sentence of a passage a claim relies on: the closest in meaning (embedding cosine), preferring one
    that contains the claim's numbers; never a question, which asserts nothing."""

    def __init__(self, passages: Sequence[Passage], embed: Embed):
        self.passages = passages
        self.embed = embed
        self._cache: dict[int, tuple[list[int], list[str], np.ndarray]] = {}

    def _units(self, s: int) -> tuple[list[int], list[str], np.ndarray]:
        if s not in self._cache:
            index, texts = [], []
            for i, (text, moment) in enumerate(self.passages[s].chunk.sentences()):
                if text.rstrip().endswith("?"):
                    continue
                index.append(i)
                texts.append(text)
                if moment.speaker:  # "Dylan Patel believes ..." is closer to the labelled sentence
                    index.append(i)
                    texts.append(f"{moment.speaker}: {text}")
            self._cache[s] = (index, texts, self.embed(texts) if texts else np.zeros((0, 1)))
        return self._cache[s]

    def find(self, n: int, claim: str) -> int:
        """The index (in passage n's `chunk.sentences()`, n from 1) of the sentence `claim` relies on."""
        index, texts, vectors = self._units(n - 1)
        if not index or not claim.strip():
            return 0
        scores = vectors @ self.embed([claim])[0]
        numbers = _values(claim)
        best = max(range(len(index)),
                   key=lambda u: scores[u] + (_NUMBER_BONUS if numbers & _values(texts[u], True) else 0.0))
        return index[best]


@dataclass
class AnswerSentence:
    text: str  # as written, citations included
    claim: str  # without citations or a list marker: what is checked
    cited: list[int]  # citation numbers after it, as in the text


def split_answer(text: str) -> list[AnswerSentence]:
    """The answer's sentences with their citations. A citation that starts a sentence ("claim. [2] Next") belongs
    to the sentence before it; lines (list items) are split too."""
    pieces: list[str] = []
    for line in text.splitlines():
        for sentence in split_sentences(line, max_words=10_000):
            lead = LEADING_CITATIONS.match(sentence)
            if lead and pieces:
                pieces[-1] += " " + lead.group(0).strip()
                sentence = sentence[lead.end() :].strip()
            if sentence:
                pieces.append(sentence)
    out = []
    for p in pieces:
        claim = _LIST_MARKER.sub("", strip_citations(p)).strip()
        out.append(AnswerSentence(p, claim, list(dict.fromkeys(citation_numbers(p)))))
    return out


def needs_citation(sentence: AnswerSentence) -> bool:
    """Headings, lead-ins ending in ':' and statements that the sources say nothing are not claims."""
    claim = sentence.claim.strip("*_# ")
    return bool(re.search(r"[A-Za-z0-9]", claim)) and not claim.endswith(":") and not is_not_covered(claim)


@dataclass(frozen=True)
class SupportConfig:
    # Cosine (all-MiniLM-L6-v2) between an answer sentence and the closest sentence, or pair of neighbouring
    # sentences, of the passages it cites. Set on hand-written claims (tests/test_answer_validation.py:
    # paraphrases 0.5-0.9, other claims about the same episode 0.1-0.4); on the golden sets (eval/answer_checks.py)
    # it flags 6% of faithful reference answers and 94% of answers citing the wrong passage, numbers included.
    min_similarity: float = 0.45


@dataclass
class SupportReport:
    unsupported: list[Unsupported] = field(default_factory=list)
    similarity: dict[int, float] = field(default_factory=dict)  # answer sentence index -> best cosine


def _numbers(text: str, spelled: bool = False) -> list[tuple[str, set[str]]]:
    """The numbers a text states (rag/numbers.py), each as written and as the values it may stand for: '37 billion'
    is 37 or 37e9. With `spelled`, numbers in words count too ('thirty-seven billion': spoken transcripts spell
    numbers out). Lone digits are too common to check unless a scale follows."""
    out = []
    for n in find_numbers(text):
        if not (n.digits or spelled):
            continue
        if not n.scale and len(f"{n.base:g}".replace(".", "").lstrip("-")) < 2:
            continue
        out.append((n.text, {f"{n.base:.6g}", f"{n.value:.6g}"}))
    return out


def _values(text: str, spelled: bool = False) -> set[str]:
    return set().union(*(keys for _, keys in _numbers(text, spelled)))


def _passage_values(passage: Passage) -> set[str]:
    c = passage.chunk
    times = " ".join(format_clock(m.start) for m in c.moments if m.start is not None)
    return _values(" ".join([c.text, times, c.chapter or "", c.section or ""]), spelled=True)


def check_support(sentences: Sequence[AnswerSentence], sources: Sequence[Passage], embed: Embed,
                  config: SupportConfig | None = None) -> SupportReport:
    """Which sentences their cited sources do not support, and why.

    `sources[k-1]` is the passage that citation `[k]` names (numbers out of range were removed before this).
    """
    cfg = config or SupportConfig()
    report = SupportReport()
    # Each passage sentence, alone and with its speaker's name, and each pair of neighbouring sentences (an answer
    # sentence often merges two). A question asserts nothing, so alone it supports no claim.
    units: list[tuple[int, str]] = []  # (source index, text)
    for s, p in enumerate(sources):
        sents = p.chunk.sentences()
        for i, (text, moment) in enumerate(sents):
            if not text.rstrip().endswith("?"):
                units.append((s, text))
                if moment.speaker:
                    units.append((s, f"{moment.speaker}: {text}"))
            if i + 1 < len(sents):
                units.append((s, f"{text} {sents[i + 1][0]}"))
    claims = [(k, s) for k, s in enumerate(sentences) if s.cited or needs_citation(s)]
    texts = [s.claim for _, s in claims] + [u[1] for u in units]
    vectors = embed(texts) if texts else np.zeros((0, 1))
    claim_vecs, unit_vecs = vectors[: len(claims)], vectors[len(claims) :]
    unit_source = np.array([u[0] for u in units], dtype=int)

    for (k, sentence), vec in zip(claims, claim_vecs):
        if not sentence.cited:
            report.unsupported.append(Unsupported(sentence.claim, "no citation"))
            continue
        cited = [n - 1 for n in sentence.cited if 0 < n <= len(sources)]
        mask = np.isin(unit_source, cited)
        best = float((unit_vecs[mask] @ vec).max()) if mask.any() else -1.0
        report.similarity[k] = best
        present = set().union(*(_passage_values(sources[s]) for s in cited))
        missing = [shown for shown, keys in _numbers(sentence.claim) if not keys & present]
        if missing:
            shown = ", ".join(dict.fromkeys(missing))
            report.unsupported.append(Unsupported(sentence.claim, f"the cited source does not contain {shown}"))
        elif best < cfg.min_similarity:
            report.unsupported.append(Unsupported(
                sentence.claim, f"the cited source does not support it (similarity {best:.2f} < {cfg.min_similarity})"
            ))
    return report
