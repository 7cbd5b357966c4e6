"""Rank moments, not passages: every candidate moment is scored by a small linear model of a few signals.

Candidates are the moments inside the fused passages (dense + BM25 over chunks) plus the moments whose own vector
is closest to the question (a first-stage dense search at the length the model was trained on). Each is described
by signals that do not depend on any one question's words (FEATURES):

- `window`: cosine of the question to the moment;
- `around`: IDF-weighted share of the question's focus terms (its words less framing words such as "say",
  "discuss", and speaker names) said within a minute of it;
- `chunk_rank` / `chunk_cosine`: how the passage holding it ranked in the fused chunk search, and its cosine;
- `speaker`: +1 when the question names the moment's speaker, -1 when it names someone else, 0 otherwise;
- `bm25`: the BM25 score of the passage holding it over the best one among the fused passages (0 when BM25 did
  not find it);
- `deep`: cosine of the question to the moment by the moment model (all-mpnet-base-v2, rag/mpnet.py: its
  sentences' vectors, computed at ingest, summed), which tells the answering moment from its neighbours far better
  than the index's small model.

The weights are fitted per question (a listwise loss: the answering moments must beat the other candidates of
the same question), and a second model decides whether the moments answer at all (ABSTAIN_WEIGHTS, a logistic
regression). Both are fitted on the development sets with leave-one-episode-out cross-validation reported
(`python eval/fit_moments.py`, eval/fit-moments.md); never on one question and never on the blind sets. Signals
and models tried and dropped are listed there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from rag.casing import typed_in_lower_case, without_possessive, written_as_name
from rag.episode_route import without_episode_name
from rag.lexical import tokenize
from rag.models import EpisodeMeta, Passage
from rag.moments import EpisodeMoments
from rag.places import AMBIGUOUS, is_place, places_within, same_place

FEATURES = ("window", "around", "chunk_rank", "chunk_cosine", "speaker", "bm25", "deep")

# Fitted on the development sets' candidate moments (positive: a moment starting within 15 s of a gold start or
# inside the gold span) per question: the weights under which a question's answering moments outscore its other
# candidates (a listwise loss, eval/fit_moments.py `Listwise`), leave-one-episode-out cross-validated (README,
# Evaluation). One logistic regression over every candidate of every question (how these were fitted before) weighed
# the passage's rank most, since it separates questions whose best passage holds the answer from those whose does
# not; within one question the moment's own match matters more: top moment within 60 s 0.52/0.43/0.48 → 0.60/0.59/
# 0.63 held out (#459/#491/#494); with the moment model's cosine (`deep`) 0.63/0.70/0.71, the small model's cosine
# then weighing against a moment (what it alone finds close repeats the question's words more often than it answers).
# Scores are on the softmax's scale: one point is a factor e in how likely a moment is the one that answers. Signals
# that added nothing under cross-validation are listed in eval/fit-moments.md.
WEIGHTS = dict(window=-6.13, around=6.47, chunk_rank=0.93, chunk_cosine=5.39, speaker=2.1, bm25=1.42, deep=21.65)
INTERCEPT = -9.93

# Abstention: the probability that the question is answered, from the best moment's score and whether the names
# and numbers the question asks about are said near the moments the answer would cite (a place in any of its
# names: rag/places.py). Fitted on the development sets' 226 answerable and 77 unanswerable questions; the
# threshold is read off the cross-validated curve (held out by episode): the one refusing the most unanswerable less
# answerable questions among those whose false refusals stay under 7 % (eval/fit_moments.py `chosen_threshold`):
# 0.82 of unanswerable refused, 0.053 of answerable.
ABSTAIN_WEIGHTS = dict(score=0.24, missing_first=-1.81, missing_all=-1.74, unknown=-0.82)
ABSTAIN_INTERCEPT = 0.29
ABSTAIN_BELOW = 0.45
# The development unanswerables are near misses (their best moment matches well; a name is what is missing), so the
# model above barely weighs how well the best moment matches. A question nothing in the episodes is close to
# ("the best sourdough recipe") is the other kind: abstain too when the best moment's score is below what 98.7 % of
# the development sets' answerable questions reach (their 1.3 % quantile, eval/fit-moments.md).
WEAK_SCORE = 1.6

# Whether the answer's first citation is the moment that answers (within a minute): a logistic regression on the
# best moment's score and its margin over the best moment said elsewhere (another stretch of talk, `margin`), fitted
# on the development sets' answered questions with each episode's signals from a ranker fitted without it
# (eval/fit_moments.py, "Confidence in the first citation"). A ranking whose runner-up is another place scoring
# almost as well is right far less often (held-out AUC in eval/fit-moments.md), and the answer says so.
CONFIDENCE_WEIGHTS = dict(score=0.1, margin=0.78)
CONFIDENCE_INTERCEPT = -1.3
# Unsure below an even chance: more likely wrong than right. Not tuned (the curve is in eval/fit-moments.md).
SURE_AT = 0.5
# The margin when no other place is among the passages read, and its ceiling: about the 95th percentile of the
# development answers' margins, where the probability is above 0.97 whatever the score.
MARGIN_CAP = 6.0


@dataclass(frozen=True)
class Ranking:
    """One fitted ranker and the abstention rule fitted on its scores."""

    weights: dict[str, float]
    intercept: float
    abstain_weights: dict[str, float]
    abstain_intercept: float
    abstain_below: float
    weak_score: float
    confidence_weights: dict[str, float] | None = None  # None: no confidence model for this ranker
    confidence_intercept: float = 0.0


RANKING = Ranking(WEIGHTS, INTERCEPT, ABSTAIN_WEIGHTS, ABSTAIN_INTERCEPT, ABSTAIN_BELOW, WEAK_SCORE,
                  CONFIDENCE_WEIGHTS, CONFIDENCE_INTERCEPT)
# Without the moment model (PODRAG_MOMENT_MODEL=none): the ranker fitted before it came.
WITHOUT_MOMENT_MODEL = Ranking(
    dict(window=11.98, around=6.71, chunk_rank=-0.78, chunk_cosine=9.3, speaker=2.12, bm25=2.11, deep=0.0), -10.79,
    dict(score=0.17, missing_first=-1.7, missing_all=-2.07, unknown=-0.8), 0.83, 0.45, 0.4)

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
    phrases: tuple[tuple[str, ...], ...] = ()  # the names of several words it asks about, each as its tokens

    def missing_near(self, moments: EpisodeMoments, lo: np.ndarray, hi: np.ndarray) -> tuple[str, ...]:
        """The names not said between sentences lo and hi: tokens, and names of several words (as their tokens
        joined by spaces) whose words are not said together in one sentence."""
        missing = [t for t in self.names if not self.said(t, moments, lo, hi)]
        missing += [" ".join(p) for p in self.phrases if not moments.said_in_order(p, int(lo[0]), int(hi[0]))]
        return tuple(dict.fromkeys(missing))

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
                   speakers: Sequence[str], cased: frozenset[str] = frozenset(),
                   episodes: Mapping[str, EpisodeMeta] | None = None) -> QuestionTerms:
    """Focus terms (with IDF over `documents` passages), the speakers named, and whether a number is wanted.
    `episodes`: the indexed episodes, whose names in "the X episode" only point (rag/episode_route.py)."""
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
    asked = without_episode_name(without_pointers(question), episodes or {})
    names = tuple(t for t in asked_names(asked, cased) if t not in name_tokens)
    alternatives = {t: alt for t, alt in place_alternatives(question).items() if t in names}
    unknown = tuple(t for t in names if not any(all(document_frequency.get(x, 0) for x in way)
                                                for way in ((t,), *alternatives.get(t, ()))))
    phrases = tuple(p for p in asked_phrases(asked, cased) if not set(p) <= name_tokens)
    return QuestionTerms(idf, frozenset(named), bool(_QUANTITY.search(question)), math.log(1 + documents),
                         names, unknown, alternatives, phrases)


# Nouns that name someone or something by its relation to a name: "Facebook's founder" is a person, "the ChatGPT
# maker" a company, and the episodes may say who (Zuckerberg, Meta, OpenAI) without ever saying the name that points.
_RELATIONS = frozenset("founder founders co-founder co-founders cofounder cofounders ceo chief head boss parent owner "
                       "maker creator chairman president leader".split())
_POSSESSIVE = ("'s", "’s", "'")


def without_pointers(question: str) -> str:
    """The question without the names that only point at what it asks about ("What did Facebook's founder say"
    → "What did its founder say"; "the OpenAI CEO" → "the ceo"): the founder, not Facebook, is what must be said
    near the answer, and may be said by name alone; the role is no name either. The name itself may still be asked
    about elsewhere in the question ("Did OpenAI's CEO say OpenAI …" keeps the second). One pass over the words (a
    question of any length costs no more than its words). The name of an indexed episode ("the DeepSeek episode")
    points too: rag/episode_route.py `without_episode_name`."""
    words = question.split()

    def run_start(k: int) -> int:
        """Where the run of capitalised words ending just before word k starts (the question's own words, such as
        "Did", and a word with punctuation after it end a run)."""
        while k > 0 and words[k - 1][:1].isupper() and words[k - 1].lower() not in _NOT_NAMES \
                and words[k - 1] == words[k - 1].rstrip(_PUNCTUATION_AFTER):
            k -= 1
        return k

    for k, word in enumerate(words):
        if without_possessive(word.strip(_AROUND_WORDS)) not in _RELATIONS:
            continue
        words[k] = word.lower()
        # "X's <role>" or "X's <adjective> <role>": the possessor, and the capitalised words before it, point
        owner = next((j for j in (k - 1, k - 2) if j >= 0 and words[j].endswith(_POSSESSIVE) and words[j][:1].isupper()
                      and all(w.islower() for w in words[j + 1 : k])), None)
        if owner is not None:
            first = run_start(owner)
            words[first : owner + 1] = ["its"] + [""] * (owner - first)
            continue
        # "the X <role>"
        first = run_start(k)
        if 0 < first < k and words[first - 1] in ("the", "The"):
            words[first:k] = [""] * (k - first)
    return " ".join(w for w in words if w)


def place_alternatives(question: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """For each token of a place the question names ('Beijing', 'South Korea', 'Tennessee'), the other ways to say
    it and the places inside it, each as its tokens ((('china',), ('chines',), ...); 'tennesse' -> (('memphi',),
    ...)): a question about a state is answered where its city is named."""
    words = question_words(question)
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for n in (2, 1):
        for k in range(len(words) - n + 1):
            said = _unpossessed(words[k : k + n])
            ways = _place_ways(said.lower())
            if ways:  # most words are no place: nothing to tokenize
                own = _tokens_of(said)
                for t in own:
                    out.setdefault(t, tuple(w for w in ways if w != own))
    return out


def _unpossessed(words: Sequence[str]) -> str:
    """Words as one name, without the possessive that ends it ("South Korea's" → "South korea")."""
    return " ".join([*words[:-1], without_possessive(words[-1])])


@lru_cache(maxsize=1024)
def _place_ways(place: str) -> tuple[tuple[str, ...], ...]:
    """Every other way to say the place, then every place inside it, each as its tokens (one tokenizer call: a
    continent holds hundreds)."""
    names = sorted(same_place(place) - AMBIGUOUS) + sorted(places_within(place) - AMBIGUOUS)
    return tuple(dict.fromkeys(w for w in map(tuple, tokenize(names)) if w)) if names else ()


@lru_cache(maxsize=4096)
def _tokens_of(text: str) -> tuple[str, ...]:
    return tuple(tokenize([text])[0])


_NOT_NAMES = frozenset("i i'm i've i'd i'll ok okay ai lex what why how who when which where whose does did do is are "
                       "was were in on at the a an and or if according so".split())


_AROUND_WORDS = ".'’-,;:!?()\"“”"  # punctuation a question's word is written between
_PUNCTUATION_AFTER = _AROUND_WORDS.replace("'", "")  # ends a run of words (as before, not a straight apostrophe)


def question_words(question: str) -> list[str]:
    """The question's words as written, without surrounding punctuation ("Mistral's", "GPT-4o", "R1")."""
    return [w.strip(_AROUND_WORDS) for w in re.findall(r"[\w'’.-]+", question)]


def _a_place(word: str) -> bool:
    """Whether the word names a place on rag/places.py's list ("japan", "taiwanese"), possessive or not."""
    word = without_possessive(word)
    return word not in AMBIGUOUS and is_place(word)


def asked_names(question: str, cased: frozenset[str] = frozenset()) -> list[str]:
    """Tokens of the names and numbers a question asks about: capitalised words after its first word (Sora,
    Gemini, TikTok), and words with digits (R1, 5090, 2.0). What a near-miss question hinges on. A question typed
    in lower case names what the episodes write as names (`cased`, lower-cased words, rag/casing.py: "tsmc") and
    the places rag/places.py knows ("japan"), said in the episodes or not."""
    words = question_words(question)
    lower_case = bool(cased) and typed_in_lower_case(words)
    out: list[str] = []
    for k, w in enumerate(words):
        if not w or w.lower() in _NOT_NAMES:
            continue
        if (k > 0 and w[0].isupper()) or _DIGIT.search(w) or lower_case and (written_as_name(w, cased) or _a_place(w)):
            out.extend(_tokens_of(w))
    return list(dict.fromkeys(out))


def asked_phrases(question: str, cased: frozenset[str] = frozenset()) -> list[tuple[str, ...]]:
    """The names of several words a question asks about, each as its tokens: runs of capitalised words after its
    first ("Deep Research", "Scale AI", "Run:ai"), ended by a possessive or punctuation ("OpenAI's Deep Research" is
    "Deep Research"; "o1 Pro, R1" two names), without a leading place ("US CHIPS Act": the CHIPS Act, however its
    country is said). Hyphenated words with a lower-case part ("GPT-3-level") are not names of several words, nor
    is a run whose every word is a name on its own ("TSMC Arizona", "Chinese AI", a follow-up's carried subject
    "GPUs SemiAnalysis DeepSeek"): those are several names, each looked for by itself. `cased`: the words the
    episodes write as names (rag/casing.py)."""
    runs: list[list[str]] = []
    run: list[str] = []
    for k, raw in enumerate(question.split()):
        w = raw.strip(_AROUND_WORDS)
        compound = "-" in w and any(part.islower() for part in w.split("-"))
        name = bool(w) and not compound and ((k > 0 and w[0].isupper()) or _named_by_its_letters(w))
        if not name:
            runs.append(run)
            run = []
            continue
        run.append(w)
        if without_possessive(w) != w.lower() or re.search(r"[,;:!?()\"“”]$", raw.rstrip(".")) or ":" in w:
            runs.append(run)
            run = []
    runs.append(run)
    out = []
    for run in runs:
        # "US" written in capitals is the country, not the pronoun rag/places.py cannot tell it from in lower case
        while len(run) > 2 and (_a_place(run[0]) or (run[0].isupper() and bool(same_place(run[0].lower())))):
            run = run[1:]
        if run and is_place(_unpossessed(run)):
            continue  # "South Asia" is said as "India" too: its words are names with the place's other ways
        tokens = _tokens_of(" ".join(w.replace(":", " ") for w in run))
        if len(tokens) >= 2 and not all(_a_name_alone(w, cased) for w in run):
            out.append(tokens)
    return list(dict.fromkeys(out))


def _named_by_its_letters(word: str) -> bool:
    """A digit or a capital after the first letter ("R1", "xAI", "DeepSeek", "TSMC"): a name wherever it stands."""
    return bool(_DIGIT.search(word)) or any(c.isupper() for c in word[1:])


def _a_name_alone(word: str, cased: frozenset[str]) -> bool:
    """Whether a capitalised word is a name by itself (digits, a capital inside, a place, or written as a name by the
    episodes), not an ordinary word that is part of one ("Scale" in "Scale AI")."""
    return _named_by_its_letters(word) or _a_place(word) or written_as_name(word, cased)


@dataclass(frozen=True)
class ChunkSignal:
    rank: int  # 1-based rank in the fused chunk search
    cosine: float  # the chunk's dense cosine
    bm25: float = 0.0  # the chunk's BM25 score over the best among the fused passages (0: BM25 did not find it)


def features(moments: EpisodeMoments, ids: Sequence[int], query: np.ndarray, terms: QuestionTerms,
             chunk_of: Sequence[ChunkSignal | None], deep_query: np.ndarray | None = None) -> np.ndarray:
    """The signals of moments `ids` of one episode, one row each, columns in FEATURES order; `deep_query` is the
    question's vector by the moment model (the `deep` column stays 0 without it)."""
    ids = list(ids)
    rows = np.zeros((len(ids), len(FEATURES)), dtype=np.float32)
    if not ids:
        return rows
    window = moments.moment_vectors[ids] @ query
    lo, hi = moments.spans(ids, AROUND_SECONDS)
    around = sum((w * moments.said_in(t, lo, hi) for t, w in terms.focus.items()), np.zeros(len(ids))) / terms.total
    rows[:, 0] = window
    rows[:, 1] = around
    if deep_query is not None and moments.deep_vectors is not None:
        rows[:, 6] = moments.deep_vectors[ids] @ deep_query
    for r, i in enumerate(ids):
        signal = chunk_of[r]
        if signal:
            rows[r, 2] = 1.0 / (signal.rank + 1)
            rows[r, 3] = signal.cosine
            rows[r, 5] = signal.bm25
        if terms.named:
            rows[r, 4] = 1.0 if moments.sentences[moments.bounds[i][0]].speaker in terms.named else -1.0
    return rows


def ranking(moment_model: bool) -> Ranking:
    """The ranker (and abstention rule) for moments scored with or without the moment model."""
    return RANKING if moment_model else WITHOUT_MOMENT_MODEL


def score(rows: np.ndarray, ranking_: Ranking = RANKING) -> np.ndarray:
    """Each moment's score as the one where the answer is said (the softmax's scale, see WEIGHTS)."""
    w = np.array([ranking_.weights[f] for f in FEATURES], dtype=np.float32)
    return rows @ w + ranking_.intercept


def answerable_probability(score_: float, missing_first: bool, missing_all: bool, unknown: bool,
                           ranking_: Ranking = RANKING) -> float:
    """How likely the question is answered by the moments found (see ABSTAIN_WEIGHTS)."""
    w = ranking_.abstain_weights
    return _logistic(w["score"] * score_ + w["missing_first"] * missing_first + w["missing_all"] * missing_all
                     + w["unknown"] * unknown + ranking_.abstain_intercept)


def margin(passages: Sequence[Passage]) -> float:
    """How far the first passage's moment scores above the best moment of another stretch of talk (another
    episode, or more than a minute away) among `passages`; MARGIN_CAP when they are all the same place."""
    best = passages[0].moment if passages else None
    if best is None:
        return 0.0
    elsewhere = [p.moment.score for p in passages[1:] if p.moment is not None and not best.near(p.moment)]
    return min(MARGIN_CAP, best.score - max(elsewhere)) if elsewhere else MARGIN_CAP


def cited_probability(passages: Sequence[Passage], ranking_: Ranking = RANKING) -> float | None:
    """How likely the first passage's moment is where the answer is said (see CONFIDENCE_WEIGHTS); None when its
    ranker has no confidence model or the first passage has no moment."""
    w = ranking_.confidence_weights
    if w is None or not passages or passages[0].moment is None:
        return None
    return _logistic(w["score"] * passages[0].moment.score + w["margin"] * margin(passages)
                     + ranking_.confidence_intercept)


def _logistic(z: float) -> float:
    """Log-odds to a probability (the fitted models are logistic regressions)."""
    return 1.0 / (1.0 + math.exp(-z))
