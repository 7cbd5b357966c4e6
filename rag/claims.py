"""Check a claim against what was actually said: "Dylan Patel says DeepSeek has about 50,000 GPUs".

The claim is split into who it names ("Dylan Patel says") and what it states ("DeepSeek has about 50,000 GPUs").
Transcript passages are retrieved for the statement, every sentence of them (with its neighbours) becomes a
candidate, and each candidate is judged supported / contradicted / unrelated: offline by small heuristic checks
(similarity, named entities, numbers and units, negation and opposite words), or by an LLM when one is configured.
The speaker check then compares who said the supporting sentence with who the claim names.

Verdicts: `supported` (said, by the person named if any), `misattributed` (said, but by someone else),
`contradicted` (the conversation states otherwise, e.g. another number), `not_found` (the evidence is too weak to
say: the checker prefers this to a guess). The explanation names the check that decided.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from rag.errors import PodragError
from rag.lexical import tokenize
from rag.models import Citation, Filters, Passage
from rag.timecodes import audio_link, format_clock, video_link

log = logging.getLogger(__name__)

Verdict = Literal["supported", "contradicted", "misattributed", "not_found"]
Label = Literal["supported", "contradicted", "unrelated"]
Outcome = Literal["pass", "fail", "n/a"]
VERDICTS: tuple[Verdict, ...] = ("supported", "contradicted", "misattributed", "not_found")

MAX_CLAIM_CHARS = 1000


class ClaimError(PodragError):
    """A claim that cannot be checked as given (empty, too long)."""


# -- attribution: who the claim says said it --------------------------------------------------------------------

_SAY = (
    r"(?:says?|said|saying|claims?|claimed|thinks?|thought|argues?|argued|believes?|believed|mentions?|mentioned|"
    r"states?|stated|explains?|explained|notes?|noted|points? out|pointed out|tells?|told|suggests?|suggested|"
    r"estimates?|estimated|predicts?|predicted|insists?|insisted|admits?|admitted|agrees?|agreed|warns?|warned|"
    r"reckons?|reckoned|confirms?|confirmed|clams?|asserts?|asserted|is saying|was saying)"
)


_DISCOURSE = (
    "introduc|explain|emphasi[sz]|highlight|argu|contrast|expand|rais|discuss|note|describ|stress|advocat|warn|"
    "question|contemplat|reflect|wrap|mention|share|compar|point|suggest|predict|claim|believ|agree|disagree|add|"
    "ask|delve|explor|outlin|detail|recount|recall|elaborat|underscor|acknowledg|admit|observ|speculat|caution|"
    "criticiz|prais|offer|present|propos|recommend|urg|insist|reveal|weigh|conclud|summari[sz]|clarif|estimat|"
    "counter|respond|repl|challeng|say|said|think|thought|tell|told|stat"
)


@dataclass(frozen=True)
class Attribution:
    speakers: tuple[str, ...]  # full names as the transcript spells them; () when the claim names nobody
    content: str  # the statement itself, without "X says (that)"


def name_variants(people: Sequence[str], guests: Sequence[str] = ()) -> dict[str, tuple[str, ...]]:
    """Lower-case ways to name each person ('dylan patel', 'dylan', 'patel') -> full names.

    A first or last name two people share is left out (it would not say who is meant); 'the guests' names the
    episode's guests.
    """
    variants: dict[str, set[str]] = {}
    for full in people:
        words = full.split()
        for v in {full, words[0], words[-1]} if words else {full}:
            variants.setdefault(v.lower(), set()).add(full)
    out = {v: tuple(sorted(names)) for v, names in variants.items() if len(names) == 1 or v in (p.lower() for p in people)}
    if guests:
        for v in ("the guests", "both guests", "the two guests", "guests"):
            out[v] = tuple(guests)
    return out


def find_attribution(claim: str, variants: dict[str, tuple[str, ...]]) -> Attribution:
    """Who the claim names as the speaker, and what it says they said.

    Recognised: "NAME says (that) X", "NAME and NAME argue X", "According to NAME, X", "X, NAME said", and a
    sentence whose subject is a speaker ("Nathan Lambert emphasizes X", as summaries write). A name elsewhere in
    the claim ("DeepSeek hired Dylan") is not an attribution.
    """
    text = " ".join(claim.split())
    if not variants:
        return Attribution((), text)
    name = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    names = rf"(?P<names>(?:{name})(?:\s*(?:,|and|&)\s*(?:{name}))*)"
    patterns = [
        rf"^according to {names}\s*[,:]?\s+(?P<content>.+)$",
        rf"^{names}(?:\s*\([^)]*\))?\s*,?\s+(?:(?:also|really|actually|once|then|even|clearly)\s+)?{_SAY}"
        rf"(?:\s+that)?\s*[,:]?\s+(?P<content>.+)$",
        rf"^(?P<content>.+?)\s*[,;—–-]\s*{names}\s+{_SAY}\s*[.!]?$",
        rf"^(?P<content>.+?)\s*[,;—–-]\s*{_SAY}\s+{names}\s*[.!]?$",
        # "Nathan Lambert emphasizes the importance of ...", as summaries write: the speaker is the subject of a
        # verb of speaking or arguing (not of any verb: "Nathan works at AI2" is about Nathan, not by him).
        rf"^{names}(?:\s*\([^)]*\))?\s+(?P<content>(?:also\s+|then\s+)?(?:{_DISCOURSE})[a-z]*\b.+)$",
    ]
    for pattern in patterns:
        m = re.match(pattern, text, flags=re.IGNORECASE)
        if m:
            found = [p for p in re.split(r"\s*(?:,|\band\b|&)\s*", m.group("names"), flags=re.I) if p]
            speakers = tuple(dict.fromkeys(s for p in found for s in variants.get(p.lower(), ())))
            content = m.group("content").strip().strip("\"“”")
            if speakers and content:
                return Attribution(speakers, content)
    return Attribution((), text)


# -- numbers and units ------------------------------------------------------------------------------------------

_WORD_NUMBER = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a hundred": 100, "dozen": 12, "a dozen": 12,
    # "a" only counts before a scale word ("a billion dollars"); see _QUANTITY
}
_SCALE = {"hundred": 1e2, "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9,
          "b": 1e9, "bn": 1e9, "trillion": 1e12, "tn": 1e12}
_WORDNUM = "|".join(sorted((re.escape(w) for w in _WORD_NUMBER), key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?<![\w.#])(?:(?P<cur>[$€£])\s?)?(?<![A-Za-z]-)"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|(?:{_WORDNUM})(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?\b"
    rf"|an?(?=\s(?:thousand|million|billion|trillion)\b))"
    rf"(?:\s?(?P<scale>hundred|thousand|million|billion|trillion|k|m|mn|b|bn|tn)\b)?"
    rf"(?P<tail>\s?(?:%|percent\b|per cent\b|x\b))?"
    rf"(?![\w.,]\d)",
    re.IGNORECASE,
)
_UNIT_SKIP = {"more", "of", "or", "so", "plus", "like", "roughly", "about", "the", "a", "an", "to", "in", "and",
              "which", "that", "are", "were", "is", "was", "be", "these", "those", "total", "different", "new",
              "individual", "whole", "around", "than", "over", "at", "just", "ish"}
_MONEY_WORDS = {"dollar", "dollars", "usd", "bucks", "euros", "euro"}


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: frozenset[str]  # the words that follow it ('gpu', 'h800'), or 'usd' / 'percent' / 'year' / 'x'
    text: str

    def compatible(self, other: Quantity) -> bool:
        """Do both count the same kind of thing (so a different value is a contradiction)?"""
        return bool(self.unit & other.unit)


def _number_value(num: str) -> float | None:
    num = num.lower().replace(",", "")
    if num in ("a", "an"):
        return 1.0
    try:
        return float(num)
    except ValueError:
        pass
    parts = re.split(r"[- ]", num)
    if " ".join(parts) in _WORD_NUMBER:
        return float(_WORD_NUMBER[" ".join(parts)])
    if all(p in _WORD_NUMBER for p in parts):
        return float(sum(_WORD_NUMBER[p] for p in parts))
    return None


def _singular(word: str) -> str:
    word = word.lower().strip("'’")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def parse_quantities(text: str) -> list[Quantity]:
    """Numbers with their scale and unit: '$5.5 million' -> 5.5e6 usd; 'closer to 50,000 GPUs' -> 50000 {gpu}.

    A bare whole number between 1900 and 2100 is a calendar year. Digits inside names (H800, GPT-4, o3) are not
    numbers.
    """
    out: list[Quantity] = []
    for m in _QUANTITY.finditer(text):
        value = _number_value(m.group("num"))
        if value is None:
            continue
        if m.group("num").lower() == "one" and re.search(r"\b(?:no|any|every|some|the|this|that|which)\s+$", text[: m.start()], re.I):
            continue  # "no one", "the one": a pronoun, not a count
        scale = (m.group("scale") or "").lower()
        # "5 m" is ambiguous (metres, minutes); only trust a one-letter scale glued to digits: "50k", "$6M".
        if len(scale) <= 2 and scale and m.group(0)[m.start("scale") - m.start() - 1].isspace():
            scale = ""
        value *= _SCALE.get(scale, 1.0)
        unit: set[str] = set()
        shown = m.group(0).strip()
        tail = (m.group("tail") or "").strip().lower()
        if m.group("cur"):
            unit.add("usd")
        if tail in ("%", "percent", "per cent"):
            unit.add("percent")
        elif tail == "x":
            unit.add("x")
        if not unit:
            following = re.findall(r"[A-Za-z][\w'’]*", text[m.end() : m.end() + 40])
            words = [w for w in following[:4] if w.lower() not in _UNIT_SKIP][:2]
            for w in words:
                if w.lower() in _MONEY_WORDS:
                    unit = {"usd"}
                    break
                unit.add(_singular(w))
            if words:
                shown = f"{shown} {words[0]}"
            raw = m.group("num")
            if 1900 <= value <= 2100 and raw.isdigit() and not scale:
                unit = {"calendar-year"}
        out.append(Quantity(value, frozenset(unit), shown))
    return out


def compare_numbers(claim: Sequence[Quantity], passage: Sequence[Quantity], tolerance: float = 0.05) -> tuple[Outcome, str]:
    """Does the passage state the claim's numbers? 'pass' when every one is there (within `tolerance`), 'fail'
    when one is missing and the passage gives a different value for the same kind of thing, 'n/a' otherwise."""
    if not claim:
        return "n/a", "the claim has no numbers"
    missing: list[Quantity] = []
    conflicts: list[tuple[Quantity, Quantity]] = []
    for q in claim:
        # Years are exact: 1999 is not "about" 1989.
        tol = 0.0 if "calendar-year" in q.unit else tolerance
        same = [p for p in passage if _close(q.value, p.value, tol) and (q.compatible(p) or not q.unit or not p.unit)]
        if same:
            continue
        rival = [p for p in passage if q.compatible(p)]
        if rival:
            conflicts.append((q, rival[0]))
        else:
            missing.append(q)
    if conflicts:
        q, p = conflicts[0]
        return "fail", f"the claim says {q.text!r}, the passage says {p.text!r}"
    if missing:
        return "n/a", "the passage does not state " + ", ".join(repr(q.text) for q in missing)
    return "pass", "the numbers match (" + ", ".join(repr(q.text) for q in claim) + ")"


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-9)


# -- named entities ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")
_STOP = None


def _stopwords() -> set[str]:
    global _STOP
    if _STOP is None:
        from bm25s.stopwords import STOPWORDS_EN

        _STOP = set(STOPWORDS_EN) | {"i", "i'm", "it's", "yes", "yeah", "ok", "okay"}
    return _STOP


def claim_entities(text: str) -> list[str]:
    """Names in a claim: capitalised words, acronyms and model names ('DeepSeek', 'TSMC', 'R1', 'o3-mini').

    Adjacent capitalised words make one name ('Elon Musk'); common words that merely start the sentence ('The')
    and numbers (left to the number check) are skipped.
    """
    out: list[str] = []
    previous_end = -2
    tokens = []
    for m in _TOKEN.finditer(text):
        raw = m.group(0).strip(".'’")
        tok = re.sub(r"['’]s$", "", raw)
        # a possessive ends a name: "Musk's Memphis cluster" is two names
        end = m.start() + len(tok) + (5 if tok != raw else 0)
        if "-" in tok and not any(ch.isdigit() for ch in tok):
            # "AI-driven" names AI; "o3-mini" (with a digit) stays whole
            pos = m.start()
            for part in tok.split("-"):
                if part:
                    tokens.append((part, pos, pos + len(part)))
                pos += len(part) + 1
        else:
            tokens.append((tok, m.start(), end))
    for i, (tok, start, end) in enumerate(tokens):
        has_digit = any(ch.isdigit() for ch in tok)
        has_alpha = any(ch.isalpha() for ch in tok)
        inner_cap = any(ch.isupper() for ch in tok[1:])
        if not has_alpha or re.fullmatch(r"\d[\d,.]*(?:st|nd|rd|th|s|k|m|bn?|x)?", tok, re.I):
            continue  # numbers ('27th', '50k') are the number check's business
        # The first word is capitalised anyway ('However', 'Despite'): it only counts when shaped like a name.
        starts_name = i + 1 < len(tokens) and tokens[i + 1][0][:1].isupper() and tokens[i + 1][1] == end + 1
        plain_capital = tok[0].isupper() and tok.lower() not in _stopwords() and (i > 0 or tok.isupper() or starts_name)
        if (has_digit and has_alpha) or inner_cap or plain_capital:
            capitalised = tok[0].isupper() and not has_digit
            if out and capitalised and start == previous_end + 1 and out[-1][0].isupper():
                out[-1] = f"{out[-1]} {tok}"
            else:
                out.append(tok)
            previous_end = end if capitalised else -2
        else:
            previous_end = -2
    return list(dict.fromkeys(out))


def _squash_tokens(text: str) -> set[str]:
    """Lower-case word tokens, singular, plus each adjacent pair glued ('deep seek' -> 'deepseek')."""
    words = [_singular(w) for w in re.findall(r"[a-z0-9]+", text.lower())]
    return set(words) | {a + b for a, b in zip(words, words[1:])}


def missing_entities(entities: Sequence[str], text: str, speakers: Sequence[str] = ()) -> list[str]:
    """The entities that `text` (or the names of its speakers) does not mention. A name of several words counts
    as mentioned when any of its words is ('Musk' for 'Elon Musk'); a model name needs all its parts ('o3 mini')."""
    present = _squash_tokens(text + " " + " ".join(speakers))
    out = []
    for e in entities:
        if " " in e:
            words = [_singular(w) for w in re.findall(r"[a-z0-9]+", e.lower())]
            if any(w in present for w in words) or "".join(words) in present:
                continue
            out.append(e)
            continue
        parts = [_singular(p) for p in re.findall(r"[a-z0-9]+", e.lower())]
        if not parts or "".join(parts) in present or all(p in present for p in parts):
            continue
        out.append(e)
    return out


# -- negation and opposite words --------------------------------------------------------------------------------

_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor|cannot|without)\b|n['’]t\b", re.I)
_OPPOSITES = [
    ("open", "closed"), ("more", "less"), ("more", "fewer"), ("cheaper", "expensive"), ("increase", "decrease"),
    ("higher", "lower"), ("larger", "smaller"), ("bigger", "smaller"), ("faster", "slower"), ("better", "worse"),
    ("allowed", "banned"), ("legal", "illegal"), ("true", "false"), ("win", "lose"), ("winning", "losing"),
    ("easier", "harder"), ("ahead", "behind"), ("profitable", "unprofitable"), ("success", "failure"),
    ("permissive", "restrictive"), ("public", "private"), ("rise", "fall"), ("up", "down"), ("before", "after"),
    ("accelerate", "slow"), ("most", "least"), ("best", "worst"), ("strong", "weak"), ("stronger", "weaker"),
]
_CLAUSE = re.compile(r"\s*(?:[,;:]|\bbut\b|\band\b|\bwhereas\b|\bwhile\b|\bthough\b|\bbecause\b)\s*", re.I)


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def _content_words(text: str) -> set[str]:
    """Stemmed content words (BM25's tokenizer), negations left out: 'was not profitable' -> {'profit'}."""
    return set(tokenize([text])[0]) - {"not", "no", "never", "none", "noth", "neither", "nor", "cannot", "without"}


def best_clause(claim: str, sentence: str) -> tuple[str, float]:
    """The clause of `sentence` sharing the most content words with `claim` ('R1 is open-weight' of 'Plus, R1 is
    open-weight and o3-mini is not'), and the share of the claim's content words it contains."""
    want = _content_words(claim)
    clauses = [c for c in _CLAUSE.split(sentence) if c and c.strip()] or [sentence]
    best = max(clauses, key=lambda c: (len(want & _content_words(c)), -len(c)))
    return best, (len(want & _content_words(best)) / len(want) if want else 0.0)


def polarity_conflict(claim: str, sentence: str, min_overlap: float = 0.5) -> str | None:
    """Why the sentence says the opposite of the claim, or None.

    Each clause of the claim is compared with the clause of the sentence that matches it best, and only when
    that clause repeats at least `min_overlap` of its content words, and two at least (the same proposition): a
    word against its opposite ('open' vs 'closed'), or a negation on one side only.
    """
    for part in [c for c in _CLAUSE.split(claim) if c and c.strip()] or [claim]:
        clause, overlap = best_clause(part, sentence)
        if overlap < min_overlap or overlap * len(_content_words(part)) < 2:
            continue
        part_words = set(re.findall(r"[a-z]+", part.lower()))
        clause_words = set(re.findall(r"[a-z]+", clause.lower()))
        # 'unclear' against 'clear', 'unprofitable' against 'profitable'
        pairs = _OPPOSITES + [(w, w[2:]) for w in part_words | clause_words if w.startswith("un") and len(w) > 5]
        for a, b in pairs:
            for x, y in ((a, b), (b, a)):
                if x in part_words and y in clause_words and y not in part_words and x not in clause_words:
                    return f"the claim says {x!r}, the passage says {y!r} (“{clause.strip()}”)"
        if negated(part) != negated(clause):
            side = "the claim" if negated(part) else "the passage"
            return f"only {side} is negated (“{clause.strip()}”)"
    return None


# -- language ---------------------------------------------------------------------------------------------------

_LANGUAGE_NAMES = {
    "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "nl": "Dutch",
    "ru": "Russian", "zh": "Chinese", "wuu": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic",
    "pl": "Polish", "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian", "hi": "Hindi",
}


def foreign_language(text: str) -> str | None:
    """The language a claim is written in when that is not English (py3langid, its bundled model), else None.

    The checks compare English words, so a claim in another language is reported rather than half-matched on
    its names and numbers. Very short texts are too short to tell and count as English.
    """
    import py3langid

    if len(re.findall(r"\w+", text)) < 3 and len(text.strip()) < 8:  # (scripts without spaces are one "word")
        return None
    code, _ = py3langid.classify(text)
    return None if code == "en" else _LANGUAGE_NAMES.get(code, f"another language (code {code!r})")


# -- records ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One heuristic's finding about a candidate passage."""

    name: str  # "similarity", "entities", "numbers", "negation", "speaker", "llm"
    outcome: Outcome
    detail: str


@dataclass
class Candidate:
    """A sentence of a retrieved passage (with its neighbours as context), judged against the claim."""

    passage: Passage
    index: int  # of the sentence in the passage's chunk
    sentence: str
    window: str  # the sentence with one neighbour each side
    start: float | None
    end: float | None
    speaker: str | None
    similarity: float = 0.0  # cosine, claim vs the sentence or its window (the higher)
    sentence_similarity: float = 0.0  # cosine, claim vs the sentence alone
    coverage: float = 0.0  # share of the claim's content words the window contains
    sentence_coverage: float = 0.0  # ... the sentence alone contains
    score: float = 0.0  # how close to the claim overall: ranks candidates and weighs support against contradiction
    label: Label = "unrelated"
    checks: list[Check] = field(default_factory=list)
    decided_by: str = ""
    reason: str = ""

    def where(self) -> str:
        return f"{self.speaker or 'someone'} at {format_clock(self.start)}"


@dataclass(frozen=True)
class Judgment:
    """What a judge (offline heuristics or an LLM) says about one candidate."""

    index: int  # position in the candidate list given to the judge
    label: Label
    reason: str = ""


class Judge(Protocol):
    """Anything that labels candidates: `judge(statement, candidates) -> one Judgment per candidate judged`."""

    name: str

    def __call__(self, statement: str, candidates: Sequence[Candidate]) -> list[Judgment]: ...


@dataclass
class ClaimCheck:
    claim: str
    verdict: Verdict
    explanation: str
    decided_by: str  # the check that decided: "numbers", "speaker", "negation", "similarity", "llm", ...
    evidence: list[Citation]
    labels: list[Label]  # one per evidence item: what the judge said about it
    named_speakers: tuple[str, ...] = ()
    statement: str = ""
    mode: str = "offline"  # "offline" or "llm: MODEL"
    notice: str | None = None  # e.g. why the LLM judge fell back to the offline checks
    closest: list[Citation] = field(default_factory=list)  # with `not_found`: what came nearest, to look at
    candidates: list[Candidate] = field(default_factory=list)  # everything judged, best first

    def to_json(self) -> dict:
        evidence = []
        for c, label in zip(self.evidence, self.labels):
            item = c.to_json()
            item["label"] = label
            evidence.append(item)
        out = {
            "claim": self.claim,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "decided_by": self.decided_by,
            "named_speakers": list(self.named_speakers),
            "statement": self.statement,
            "evidence": evidence,
            "mode": self.mode,
        }
        if self.closest:
            out["closest"] = [c.to_json() for c in self.closest]
        if self.notice:
            out["notice"] = self.notice
        return out


# -- the checker ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimConfig:
    passages: int = 12  # retrieved for each claim
    judged: int = 16  # best candidates that are judged
    evidence: int = 3  # shown with the verdict
    # Thresholds, set on the #459 case set (tests/test_claims.py; accuracy in the README):
    topical: float = 0.45  # similarity for a candidate to be about the claim at all
    topical_coverage: float = 0.5  # ... or this share of the claim's words with a lower similarity
    topical_floor: float = 0.3
    support: float = 0.62  # similarity at which a topical candidate supports the claim
    support_sentence_coverage: float = 0.5  # ... when the sentence itself has this share of the claim's words
    support_coverage: float = 0.7  # ... or this word coverage together with `support_floor`
    long_claim_words: int = 10  # a claim with this many content words may be restated by a sentence and its neighbours
    support_floor: float = 0.5
    polarity: float = 0.55  # similarity at which an opposite word or a negation contradicts
    # A contradiction this much closer to the claim than the best support outweighs it (the passage most about
    # the claim gives another number; a weaker one happens to contain the claim's number).
    contradiction_margin: float = 0.15


class ClaimChecker:
    """Checks claims against the transcripts of an index. `judge` replaces the offline checks (e.g. an LLM)."""

    def __init__(self, search: Callable[[str, int, Filters | None], list[Passage]],
                 embed: Callable[[Sequence[str]], np.ndarray],
                 people: Callable[[str | None], tuple[list[str], list[str]]],
                 links: Callable[[str], tuple[str | None, str | None]],
                 context: Callable[[str, float | None], str] | None = None,
                 judge: Judge | None = None, config: ClaimConfig | None = None):
        self.search = search  # (query, k, filters) -> passages
        self.embed = embed
        self.people = people  # episode id or None -> (speakers, guests)
        self.links = links  # episode id -> (video url, audio url)
        # (episode id, second) -> what was said in the minutes around it: a claim's "DeepSeek" is often only "they"
        # in the sentence that supports it, named a little earlier.
        self.context = context or (lambda _episode_id, _t: "")
        self.judge = judge
        self.config = config or ClaimConfig()

    def check(self, claim: str, episode_id: str | None = None) -> ClaimCheck:
        """The verdict on one claim, with the evidence that decided it."""
        text = " ".join((claim or "").split())
        if not text:
            raise ClaimError("the claim is empty: write one statement, e.g. “Dylan Patel says DeepSeek has about 50,000 GPUs”")
        if len(text) > MAX_CLAIM_CHARS:
            raise ClaimError(
                f"the claim is {len(text):,} characters long; the limit is {MAX_CLAIM_CHARS:,}: check one statement "
                "at a time (or a whole summary with `verify-summary`)"
            )
        speakers, guests = self.people(episode_id)
        attribution = find_attribution(text, name_variants(speakers, guests))
        statement = attribution.content
        language = foreign_language(statement)
        if language:
            return ClaimCheck(text, "not_found",
                              f"Not checked: the claim seems to be in {language}, and the transcripts and the checks "
                              "are English. Rephrase it in English.", "language", [], [],
                              attribution.speakers, statement)
        filters = Filters(episode_ids=(episode_id,) if episode_id else (), source_type="transcript")
        passages = self.search(statement, self.config.passages, filters)
        candidates = self._candidates(statement, passages)
        notice = None
        mode = "offline"
        if self.judge is not None and candidates:
            try:
                judged = self.judge(statement, candidates)
                for j in judged:
                    if 0 <= j.index < len(candidates):
                        c = candidates[j.index]
                        c.label, c.reason, c.decided_by = j.label, j.reason, "llm"
                        c.checks.append(Check("llm", "pass" if j.label == "supported" else
                                              "fail" if j.label == "contradicted" else "n/a", j.reason))
                mode = f"llm: {self.judge.name}"
            except Exception as exc:  # an LLM outage must not lose the answer: fall back to the offline checks
                log.warning("LLM judge failed: %s", exc)
                notice = f"the LLM judge failed ({_short(exc)}); the offline checks decided instead"
                judge_offline(statement, candidates, self.config, self.context)
        else:
            judge_offline(statement, candidates, self.config, self.context)
        decision = decide(attribution.speakers, candidates, self.config.contradiction_margin)
        chosen = decision.evidence[: self.config.evidence]
        closest = [] if chosen else candidates[:2]
        return ClaimCheck(
            text, decision.verdict, decision.explanation, decision.decided_by,
            [self._citation(n, c) for n, c in enumerate(chosen, 1)], [c.label for c in chosen],
            attribution.speakers, statement, mode, notice,
            closest=[self._citation(n, c) for n, c in enumerate(closest, 1)], candidates=candidates,
        )

    def _candidates(self, statement: str, passages: list[Passage]) -> list[Candidate]:
        cands: list[Candidate] = []
        seen: set[tuple[str, float | None, str]] = set()
        for p in passages:
            sentences = p.chunk.sentences()
            for i, (sentence, moment) in enumerate(sentences):
                key = (p.chunk.episode_id, moment.start, sentence)
                if key in seen or len(sentence.split()) < 3 or sentence.rstrip().endswith("?"):
                    continue  # a question asserts nothing (it still counts as context in its neighbours' window)
                seen.add(key)
                window = " ".join(s for s, _ in sentences[max(0, i - 1) : i + 2])
                nxt = sentences[i + 1][1].start if i + 1 < len(sentences) else p.chunk.end
                cands.append(Candidate(p, i, sentence, window, moment.start, nxt, moment.speaker))
        if not cands:
            return []
        vectors = self.embed([statement] + [c.sentence for c in cands] + [c.window for c in cands])
        q, sent, win = vectors[0], vectors[1 : 1 + len(cands)], vectors[1 + len(cands) :]
        want = set(tokenize([statement])[0])
        window_tokens = tokenize([c.window for c in cands])
        sentence_tokens = tokenize([c.sentence for c in cands])
        quantities = parse_quantities(statement)
        ranking: dict[int, float] = {}
        for c, sv, wv, wtoks, stoks in zip(cands, sent, win, window_tokens, sentence_tokens):
            c.sentence_similarity = float(np.dot(q, sv))
            c.similarity = max(c.sentence_similarity, float(np.dot(q, wv)))
            c.coverage = len(want & set(wtoks)) / len(want) if want else 0.0
            c.sentence_coverage = len(want & set(stoks)) / len(want) if want else 0.0
            c.score = 0.7 * c.similarity + 0.3 * c.coverage
            # A sentence stating the claim's number is worth judging even when it is worded differently.
            states_number = bool(quantities) and compare_numbers(quantities, parse_quantities(c.sentence))[0] != "n/a"
            ranking[id(c)] = c.score + (0.2 if states_number else 0.0)
        cands.sort(key=lambda c: -ranking[id(c)])
        return cands[: self.config.judged]

    def _citation(self, n: int, c: Candidate) -> Citation:
        video, audio = self.links(c.passage.chunk.episode_id)
        url = video_link(video, c.start) or audio_link(audio, c.start) or c.passage.url
        return Citation(n, c.passage, c.start, c.end, c.speaker, c.sentence, url, audio_link(audio, c.start))


def judge_offline(statement: str, candidates: Sequence[Candidate], config: ClaimConfig,
                  context: Callable[[str, float | None], str] | None = None) -> None:
    """Label each candidate with the heuristic checks, recording each check and which one decided.

    `context(episode_id, second)` gives the conversation around a candidate, where the claim's names are looked
    for (besides the candidate's own passage)."""
    entities = claim_entities(statement)
    quantities = parse_quantities(statement)
    long_claim = len(_content_words(statement)) >= config.long_claim_words
    for c in candidates:
        checks: list[Check] = []
        topical = c.similarity >= config.topical or (
            c.coverage >= config.topical_coverage and c.similarity >= config.topical_floor)
        checks.append(Check("similarity", "pass" if topical else "fail",
                            f"similarity {c.similarity:.2f}, {c.coverage:.0%} of the claim's words"))
        around = context(c.passage.chunk.episode_id, c.start) if context else ""
        context_text = f"{c.passage.chunk.text} {around}"
        missing = missing_entities(entities, context_text, c.passage.chunk.speakers)
        checks.append(Check("entities", "n/a" if not entities else "fail" if missing else "pass",
                            f"not mentioned: {', '.join(missing)}" if missing else
                            f"mentioned: {', '.join(entities)}" if entities else "the claim names nothing"))
        # Numbers are compared within the sentence itself: its neighbours are candidates of their own, and the
        # evidence shown must be the sentence that states the number.
        numbers, number_detail = compare_numbers(quantities, parse_quantities(c.sentence))
        checks.append(Check("numbers", numbers, number_detail))
        conflict = polarity_conflict(statement, c.sentence)
        checks.append(Check("negation", "fail" if conflict else "pass", conflict or "same polarity"))
        c.checks = checks

        if not topical:
            c.label, c.decided_by = "unrelated", "similarity"
        elif missing:
            c.label, c.decided_by = "unrelated", "entities"
        elif numbers == "fail":
            c.label, c.decided_by = "contradicted", "numbers"
        elif conflict and c.sentence_similarity >= config.polarity:
            c.label, c.decided_by = "contradicted", "negation"
        elif quantities and numbers != "pass":
            c.label, c.decided_by = "unrelated", "numbers"
        elif numbers == "pass" or (c.sentence_similarity >= config.support and (
                c.sentence_coverage >= config.support_sentence_coverage
                # a long statement (a summary's) is restated over a few sentences, not in one
                or (long_claim and c.coverage >= config.support_sentence_coverage))) or (
                c.sentence_coverage >= config.support_coverage and c.sentence_similarity >= config.support_floor):
            c.label, c.decided_by = "supported", "numbers" if numbers == "pass" else "similarity"
        else:
            c.label, c.decided_by = "unrelated", "similarity"
        c.reason = next((ch.detail for ch in checks if ch.name == c.decided_by), "")


def speaker_matches(named: Sequence[str], speaker: str | None) -> bool | None:
    """Whether a sentence's speaker is one the claim names; None when the claim names nobody or the speaker is
    unknown."""
    if not named or not speaker:
        return None
    return speaker in named


@dataclass
class Decision:
    verdict: Verdict
    evidence: list[Candidate]  # the candidates the verdict rests on, best first
    decided_by: str
    explanation: str


def decide(named: Sequence[str], candidates: list[Candidate], contradiction_margin: float = 0.15) -> Decision:
    """The verdict from labelled candidates: support by the named speaker (or anyone, when the claim names
    nobody) > support by someone else only (misattributed) > contradiction > not found; except that a
    contradiction much closer to the claim (by `contradiction_margin` in score) than any support wins."""
    supported = [c for c in candidates if c.label == "supported"]
    contradicted = [c for c in candidates if c.label == "contradicted"]
    if supported and contradicted and (
            max(c.score for c in contradicted) >= max(c.score for c in supported) + contradiction_margin):
        supported = []
    by_named = [c for c in supported if speaker_matches(named, c.speaker) is not False]
    if by_named:
        best = by_named[0]
        who = f"{best.speaker} said it" if named else f"{best.speaker or 'someone'} said it"
        return Decision("supported", by_named + [c for c in supported if c not in by_named], best.decided_by,
                        f"Supported: {who} at {format_clock(best.start)} — “{_clip(best.sentence)}” "
                        f"({_because(best)}).")
    if supported:
        best = supported[0]
        return Decision("misattributed", supported, "speaker",
                        f"Misattributed: the claim names {' and '.join(named)}, but {best.speaker or 'someone else'} "
                        f"said it at {format_clock(best.start)} — “{_clip(best.sentence)}” ({_because(best)}).")
    if contradicted:
        best = contradicted[0]
        return Decision("contradicted", contradicted, best.decided_by,
                        f"Contradicted: {best.where()} — “{_clip(best.sentence)}”; {best.reason}.")
    if not candidates:
        return Decision("not_found", [], "retrieval", "Not found: no transcript passage matched the claim.")
    closest = candidates[0]
    return Decision("not_found", [], closest.decided_by,
                    f"Not found: no passage backs it. The closest, {closest.where()} (“{_clip(closest.sentence)}”), "
                    f"was ruled out by the {closest.decided_by} check: {closest.reason}.")


def _because(c: Candidate) -> str:
    if c.decided_by == "llm":
        return f"LLM: {c.reason}" if c.reason else "judged by the LLM"
    sim = next((ch.detail for ch in c.checks if ch.name == "similarity"), "")
    if c.decided_by == "numbers":
        return f"{c.reason}; {sim}"
    return sim


def _clip(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _short(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 200 else text[:199] + "…"
