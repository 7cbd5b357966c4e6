"""Rank moments, not passages: every candidate moment is scored by a small linear model of a few signals.

Candidates are the moments inside the fused passages (dense + BM25 over chunks) plus the moments whose own vector
is closest to the question (a first-stage dense search at the length the model was trained on). Each is described
by signals that do not depend on any one question's words (FEATURES):

- `window`: cosine of the question to the moment;
- `around`: IDF-weighted share of the question's focus terms (its words less framing words such as "say",
  "discuss", and speaker names) said within a minute of it;
- `chunk_rank` / `chunk_cosine`: how the passage holding it ranked in the fused chunk search, and its cosine;
- `speaker`: +1 when the question names the moment's speaker, -1 when it names someone else, 0 otherwise.

A second model orders the moments an answer quotes (LEAD_FEATURES: the same signals, `region`, how far behind the
best quoted one it is, and whether a name asked about is missing near it), and a third decides whether the moments
answer at all (ABSTAIN_WEIGHTS). All three are fitted by logistic regression on the development sets, with
leave-one-episode-out cross-validation reported (`python eval/fit_moments.py`, eval/fit-moments.md); never on one
question and never on the blind sets. Signals tried and dropped are listed there.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.lexical import tokenize
from rag.moments import EpisodeMoments
from rag.places import AMBIGUOUS, same_place

FEATURES = ("window", "around", "chunk_rank", "chunk_cosine", "speaker")

# Fitted by logistic regression on the development sets' candidate moments (positive: a moment starting within
# 15 s of a gold start or inside the gold span), leave-one-episode-out cross-validated (README, Evaluation).
# Signals that added nothing under cross-validation (chapter-title cosine, best single sentence, the moment's own
# term coverage, "is a question", "holds a number") were dropped.
WEIGHTS = dict(window=4.31, around=3.5, chunk_rank=8.51, chunk_cosine=2.39, speaker=0.78)
INTERCEPT = -4.81

# Abstention: the probability that the question is answered, from the best moment's score and whether the names
# and numbers the question asks about are said near the moments the answer would cite (a place in any of its
# names: rag/places.py). Fitted on the development sets' 226 answerable and 77 unanswerable questions; the
# threshold is the highest on the cross-validated curve (held out by episode) whose false refusals stay under 7 %:
# 0.82 of unanswerable refused, 0.062 of answerable.
ABSTAIN_WEIGHTS = dict(score=0.32, missing_first=-1.96, missing_all=-1.87, unknown=-0.99)
ABSTAIN_INTERCEPT = 0.62
ABSTAIN_BELOW = 0.35
# The development unanswerables are near misses (their best moment matches well; a name is what is missing), so the
# model above barely weighs how well the best moment matches. A question nothing in the episodes is close to
# ("the best sourdough recipe") is the other kind: abstain too when the best moment's score is below what 98.7 % of
# the development sets' answerable questions reach (1.3 % of them fall below 2.0; 1 % of the unanswerable ones).
WEAK_SCORE = 2.0

# Which of the quoted moments leads the answer (its first citation: where a click opens the video). The ranker
# above chooses the moments; this second model, fitted on the moments the offline answer quotes (positive: starts
# within 60 s of a gold start), orders them. Its extra signals: `region`, the best cosine of the question among
# the other moments said within a minute (the conversation around it is on the question too: as a ranking signal
# it moved the top moment to the right minute more often but quoted moments that said less, eval/fit-moments.md),
# `behind`, the moment's score minus the best quoted one's, and `missing`, whether a name or number the question
# asks about is said nowhere near it. Ordering only: what is quoted, and so every other answer measure, is the
# ranker's. `bm25` is the BM25 score of the passage holding it over the best one among the fused passages (0 when
# BM25 did not find it): as a ranking signal it put the right second first more often but quoted less of the
# answer on #491 (eval/fit-moments.md), as an order it only helps. Fitted and cross-validated by
# eval/fit_moments.py (development sets, held out by episode).
LEAD_FEATURES = (*FEATURES, "region", "bm25", "behind", "missing")
LEAD_WEIGHTS = dict(window=1.69, around=1.68, chunk_rank=-1.39, chunk_cosine=0.36, speaker=0.86, region=2.7,
                    bm25=1.51, behind=0.55, missing=-0.27)
LEAD_INTERCEPT = -3.35

AROUND_SECONDS = 60.0  # "within a minute": the surroundings that must hold the question's focus
NAMES_SECONDS = 90.0  # a name the question asks about must be said this near a cited moment
GLOBAL_MOMENTS = 30  # moments taken per episode from the moment-level dense search

# Words that frame a question rather than name what it is about.
_FRAMING = (
    "say said says saying talk talks talked talking discuss discussed discusses discussion mention mentioned "
    "mentions think thinks thought explain explains explained explanation believe believes believed according "
    "episode episodes podcast conversation guest guests host anyone someone somebody anybody describe describes "
    "described view views opinion opinions argue argues argued claim claims point points reason reasons why how "
    "what which who whom whose when where does did do doing done they he she them their his her him it its "
    "lex fridman interview asked ask asks tell tells told give gives gave kind sort thing things way ways really "
    "actually also even still much many"
)


@lru_cache(maxsize=1)
def framing() -> frozenset[str]:
    """The framing words' tokens; computed on first use (tokenizing imports bm25s and scipy, ~0.3 s, which
    `podcast-rag episodes` and the app's start need not pay)."""
    return frozenset(tokenize([_FRAMING])[0])


_QUANTITY = re.compile(r"\b(how (many|much|long|big|large|old|often|fast|far)|what (year|percentage|share|number|price)"
                       r"|when|what percent)\b", re.I)
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class QuestionTerms:
    """What the ranker needs to know of a question, computed once."""

    focus: dict[str, float]  # focus term -> IDF
    named: frozenset[str]  # speakers the question names
    wants_number: bool
    max_idf: float = 1.0  # the IDF of a term no passage contains
    names: tuple[str, ...] = ()  # tokens of the names and numbers it asks about (not the speakers')
    unknown: tuple[str, ...] = ()  # of those, the ones no passage of the index contains
    # a name token -> the other ways to say the same place, each as its tokens ('beij' -> (('china',),
    # ('chines',), ...): rag/places.py)
    alternatives: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def said(self, name: str, moments: EpisodeMoments, lo: np.ndarray, hi: np.ndarray) -> bool:
        """Whether the name (or another way to say the same place) is said between sentences lo and hi."""
        return any(all(moments.said_in(t, lo, hi)[0] for t in way)
                   for way in ((name,), *self.alternatives.get(name, ())))

    @property
    def total(self) -> float:
        return sum(self.focus.values()) or 1.0

    def coverage(self, terms: frozenset[str]) -> float:
        return sum(w for t, w in self.focus.items() if t in terms) / self.total

    def missing(self, terms: frozenset[str]) -> list[str]:
        return [t for t in self.focus if t not in terms]


def question_terms(question: str, document_frequency: dict[str, int], documents: int,
                   speakers: Sequence[str]) -> QuestionTerms:
    """Focus terms (with IDF over `documents` passages), the speakers named, and whether a number is wanted."""
    named = set()
    name_tokens: set[str] = set()
    for s in speakers:
        if any(len(word) > 2 and re.search(rf"\b{re.escape(word)}\b", question, re.I) for word in s.split()):
            named.add(s)
            name_tokens.update(_tokens_of(s))
        # "Jensen" names Jensen Huang's tokens even when he is not whom the question is about
        name_tokens.update(t for t in _tokens_of(s) if re.search(rf"\b{re.escape(t)}", question, re.I))
    tokens = list(dict.fromkeys(tokenize([question])[0]))
    framing_ = framing()
    focus = [t for t in tokens if t not in framing_ and t not in name_tokens] or tokens
    idf = {t: math.log(1 + documents / (1 + document_frequency.get(t, 0))) for t in focus}
    names = tuple(t for t in asked_names(question) if t not in name_tokens)
    alternatives = {t: alt for t, alt in place_alternatives(question).items() if t in names}
    unknown = tuple(t for t in names if not any(all(document_frequency.get(x, 0) for x in way)
                                                for way in ((t,), *alternatives.get(t, ()))))
    return QuestionTerms(idf, frozenset(named), bool(_QUANTITY.search(question)), math.log(1 + documents),
                         names, unknown, alternatives)


def place_alternatives(question: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """For each token of a place the question names ('Beijing', 'South Korea'), the other ways to say it, each as
    its tokens ((('china',), ('chines',), ...)."""
    words = question_words(question)
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for n in (2, 1):
        for k in range(len(words) - n + 1):
            said = " ".join(words[k : k + n])
            places = same_place(said)
            own = _tokens_of(said)
            ways = tuple(dict.fromkeys(w for w in (_tokens_of(p) for p in sorted(places - AMBIGUOUS))
                                       if w and w != own))
            for t in own if ways else ():
                out.setdefault(t, ways)
    return out


@lru_cache(maxsize=4096)
def _tokens_of(text: str) -> tuple[str, ...]:
    return tuple(tokenize([text])[0])


_NOT_NAMES = frozenset("i i'm i've i'd i'll ok okay ai lex what why how who when which where whose does did do is are "
                       "was were in on at the a an and or if according so".split())


def question_words(question: str) -> list[str]:
    """The question's words as written, without surrounding punctuation ("Mistral's", "GPT-4o", "R1")."""
    return [w.strip(".'’-,;:!?()\"“”") for w in re.findall(r"[\w'’.-]+", question)]


def asked_names(question: str) -> list[str]:
    """Tokens of the names and numbers a question asks about: capitalised words after its first word (Sora,
    Gemini, TikTok), and words with digits (R1, 5090, 2.0). What a near-miss question hinges on."""
    words = question_words(question)
    out: list[str] = []
    for k, w in enumerate(words):
        if not w or w.lower() in _NOT_NAMES:
            continue
        if (k > 0 and w[0].isupper()) or _DIGIT.search(w):
            out.extend(_tokens_of(w))
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class ChunkSignal:
    rank: int  # 1-based rank in the fused chunk search
    cosine: float  # the chunk's dense cosine


def features(moments: EpisodeMoments, ids: Sequence[int], query: np.ndarray, terms: QuestionTerms,
             chunk_of: Sequence[ChunkSignal | None]) -> np.ndarray:
    """The signals of moments `ids` of one episode, one row each, columns in FEATURES order."""
    ids = list(ids)
    rows = np.zeros((len(ids), len(FEATURES)), dtype=np.float32)
    if not ids:
        return rows
    window = moments.moment_vectors[ids] @ query
    lo, hi = moments.spans(ids, AROUND_SECONDS)
    around = sum((w * moments.said_in(t, lo, hi) for t, w in terms.focus.items()), np.zeros(len(ids))) / terms.total
    rows[:, 0] = window
    rows[:, 1] = around
    for r, i in enumerate(ids):
        signal = chunk_of[r]
        if signal:
            rows[r, 2] = 1.0 / (signal.rank + 1)
            rows[r, 3] = signal.cosine
        if terms.named:
            rows[r, 4] = 1.0 if moments.sentences[moments.bounds[i][0]].speaker in terms.named else -1.0
    return rows


def region(moments: EpisodeMoments, i: int, query: np.ndarray) -> float:
    """The best cosine of the question among the other moments that start within AROUND_SECONDS of moment `i`
    (the moment's own cosine when there are none, or when it has no time: a summary sentence)."""
    own = float(moments.moment_vectors[i] @ query)
    if moments.starts[i] < 0:
        return own
    lo, hi = (int(x[0]) for x in moments.spans([i], AROUND_SECONDS))
    near = moments.moment_vectors[lo:hi] @ query
    near[i - lo] = -1.0
    return float(near.max()) if hi - lo > 1 else own


def lead_probability(signals: Sequence[float], behind: float, missing: bool) -> float:
    """How likely a quoted moment is where the answer is said, to order the quoted moments (see LEAD_WEIGHTS);
    `signals` are the moment's FEATURES, region and bm25, as the ranker computed them."""
    values = (*signals, behind, float(missing))
    return _logistic(sum(LEAD_WEIGHTS[f] * v for f, v in zip(LEAD_FEATURES, values, strict=True)) + LEAD_INTERCEPT)


def score(rows: np.ndarray) -> np.ndarray:
    """The model's log-odds that each moment is where the answer is said."""
    w = np.array([WEIGHTS[f] for f in FEATURES], dtype=np.float32)
    return rows @ w + INTERCEPT


def answerable_probability(score_: float, missing_first: bool, missing_all: bool, unknown: bool) -> float:
    """How likely the question is answered by the moments found (see ABSTAIN_WEIGHTS)."""
    w = ABSTAIN_WEIGHTS
    return _logistic(w["score"] * score_ + w["missing_first"] * missing_first + w["missing_all"] * missing_all
                     + w["unknown"] * unknown + ABSTAIN_INTERCEPT)


def _logistic(z: float) -> float:
    """Log-odds to a probability (the fitted models are logistic regressions)."""
    return 1.0 / (1.0 + math.exp(-z))
