"""Does a sentence say the opposite of a claim? A word against its opposite ('open' vs 'closed'), or a negation on
one side only, within the clause that states the same proposition."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.claims.words import content_words, key_words

# 'rarely' and 'seldom' deny what usually holds: "the grid rarely has excess power" against "99% of the time, our
# power grid has excess power"
_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor|cannot|without|rarely|seldom|hardly)\b"
                       r"|n['’]t\b", re.I)
# Words and their opposites; binding.py reads the comparatives among them ('better' / 'worse').
OPPOSITES = [
    ("open", "closed"), ("more", "less"), ("more", "fewer"), ("cheaper", "expensive"), ("increase", "decrease"),
    ("higher", "lower"), ("larger", "smaller"), ("bigger", "smaller"), ("faster", "slower"), ("better", "worse"),
    ("allowed", "banned"), ("legal", "illegal"), ("true", "false"), ("win", "lose"), ("winning", "losing"),
    ("easier", "harder"), ("ahead", "behind"), ("profitable", "unprofitable"), ("success", "failure"),
    ("permissive", "restrictive"), ("public", "private"), ("rise", "fall"), ("up", "down"), ("before", "after"),
    ("accelerate", "slow"), ("most", "least"), ("best", "worst"), ("strong", "weak"), ("stronger", "weaker"),
    ("greater", "smaller"), ("easy", "hard"), ("easy", "difficult"),
]
# a word said twice in a row ("very, very hard") and a filler between commas ("it's very easy to, like, add a
# feature"): speech, not clauses
_REPEATED = re.compile(r"\b(\w+),\s+\1\b", re.I)
_FILLER = re.compile(r",\s*(?:like|you know|i mean|um|uh)\s*,", re.I)
# Clauses end at a comma or a conjunction; not at a comma before a pronoun that takes the thing up again ("putting
# CUDA on GeForce, that was a decision that was very hard"): speech names its topic first.
_CLAUSE = re.compile(r"\s*(?:[;:]|,(?!\s*(?:that|it|this)(?:['’]s\b|\s+(?:was|is|were|are)\b))|\bbut\b|\band\b|"
                     r"\bwhereas\b|\bwhile\b|\bthough\b|\bbecause\b)\s*", re.I)


# "X came after ChatGPT" against "X, before ChatGPT released": the same event placed on the other side of the same
# anchor (the content words that follow). Clause splitting cannot see it when the anchor sits in its own clause.
_RELATION = re.compile(r"\b(before|after|prior to|until)\s+((?:[\w'’-]+\s+){0,3}[\w'’-]+)", re.I)


def _relation_side(word: str) -> str:
    return "after" if word.lower() == "after" else "before"


def relation_flip(claim: str, sentence: str) -> str | None:
    """Why the sentence puts the claim's event on the other side of the same anchor ('after ChatGPT' vs 'before
    ChatGPT released'), or None."""
    for m in _RELATION.finditer(claim):
        anchor = content_words(m.group(2))
        for n in _RELATION.finditer(sentence):
            if _relation_side(m.group(1)) != _relation_side(n.group(1)) and anchor & content_words(n.group(2)):
                return f"the claim says “{m.group(0)}”, the passage says “{n.group(0)}”"
    return None


# "not just X" says X and more: no negation, but the opposite of "only X" or "a pure X"
_NOT_ONLY = re.compile(r"(?:\bnot|n['’]t)\s+(?:just|only|merely|simply|solely)\b", re.I)
_ONLY = re.compile(r"\b(?:only|just|pure|purely|solely|merely|exclusively)\b", re.I)


def negated(text: str) -> bool:
    return bool(_NEGATION.search(_NOT_ONLY.sub(" ", text)))


def best_clause(claim: str, sentence: str) -> tuple[str, float]:
    """The clause of `sentence` sharing the most content words with `claim` ('R1 is open-weight' of 'Plus, R1 is
    open-weight and o3-mini is not'), and the share of the claim's content words it contains."""
    want = content_words(claim)
    sentence = _FILLER.sub("", _REPEATED.sub(r"\1 \1", sentence))
    clauses = [c for c in _CLAUSE.split(sentence) if c and c.strip()] or [sentence]
    best = max(clauses, key=lambda c: (len(want & content_words(c)), -len(c)))
    return best, (len(want & content_words(best)) / len(want) if want else 0.0)


@dataclass(frozen=True)
class Conflict:
    reason: str
    word: str = ""  # the claim's word the passage says the opposite of ('easy' against 'hard'), when that is why


def polarity_conflict(claim: str, sentence: str, min_overlap: float = 0.5) -> str | None:
    """Why the sentence says the opposite of the claim, or None (`conflict`'s reason)."""
    found = conflict(claim, sentence, min_overlap)
    return found.reason if found else None


def conflict(claim: str, sentence: str, min_overlap: float = 0.5) -> Conflict | None:
    """Why the sentence says the opposite of the claim, or None.

    Each clause of the claim is compared with the clause of the sentence that matches it best, and only when
    that clause repeats at least `min_overlap` of its content words, and two at least (the same proposition): a
    word against its opposite ('open' vs 'closed'), or a negation on one side only. First, an event placed before
    instead of after the same anchor (`relation_flip`).
    """
    flipped = relation_flip(claim, sentence)
    if flipped:
        return Conflict(flipped)
    for part in [c for c in _CLAUSE.split(claim) if c and c.strip()] or [claim]:
        clause, overlap = best_clause(part, sentence)
        # two shared words at least, an auxiliary not one of them: 'has' does not make 'DeepSeek has not raised
        # much money' the negation of 'DeepSeek has 10,000 H100s'
        if overlap < min_overlap or len(key_words(part) & key_words(clause)) < 2:
            continue
        part_words = set(re.findall(r"[a-z]+", part.lower()))
        clause_words = set(re.findall(r"[a-z]+", clause.lower()))
        # 'unclear' against 'clear', 'unprofitable' against 'profitable'
        pairs = OPPOSITES + [(w, w[2:]) for w in part_words | clause_words if w.startswith("un") and len(w) > 5]
        for a, b in pairs:
            for x, y in ((a, b), (b, a)):
                if x in part_words and y in clause_words and y not in part_words and x not in clause_words:
                    return Conflict(f"the claim says {x!r}, the passage says {y!r} (“{clause.strip()}”)", x)
        if _ONLY.search(_NOT_ONLY.sub(" ", part)) and _NOT_ONLY.search(clause) and not _NOT_ONLY.search(part):
            return Conflict(f"the claim says it is only that, the passage says not just that (“{clause.strip()}”)")
        if negated(part) != negated(clause):
            side = "the claim" if negated(part) else "the passage"
            return Conflict(f"only {side} is negated (“{clause.strip()}”)")
    return None
