"""What each number and name in a claim is bound to, compared with the passage: the checks that a bag of words (and an
embedding) cannot make, because a claim with its parts swapped uses the same words.

- Numbers on the wrong thing: "Moore's Law gave a million times, NVIDIA 100 times" against a passage that says it
  the other way round. Each number is bound to its context (the words of its clause) and to what it counts (its
  unit); a claim number is compared with the passage number whose context it shares most.
- Swapped roles: "Codex is the silly coworker and Opus the reliable weirdo" against "Opus is the silly one, Codex
  the weirdo". Each clause of the claim that names one thing is compared with the passage's clauses about that
  thing and about the other one.
- Swapped comparisons: "R1 is better than o3-mini" against "o3-mini is better than R1" (or "R1 is worse than
  o3-mini"): the two things on each side of the same comparative, or of its opposite.
- Kept and cut: "the H800 kept the interconnect but had its FLOPS cut" against "the same FLOPS, but the interconnect
  cut". The two sides of one change (kept / cut, more / less), each with the words of its clause, are compared with
  the passage's clauses on each side.
- Reversed order: "first R1, then V3" against a passage that tells V3 first. The two steps of a sequence the claim
  states are located in the conversation around the candidate, which narrates a sequence in its order.

Each returns a reason when it finds a conflict (or, for numbers, 'pass' / 'fail' / 'n/a'), and abstains otherwise:
these checks only ever turn a match into a contradiction when the evidence for it is clear.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from rag.claims.entities import mentions
from rag.claims.polarity import OPPOSITES
from rag.claims.quantities import Quantity, parse_quantities
from rag.claims.records import Outcome
from rag.claims.words import content_words, key_words
from rag.lexical import tokenize
from rag.numbers import close

# Where a clause ends: punctuation, and the words that join two statements.
_CLAUSE_END = re.compile(r"[,;:.!?]|\b(?:while|whereas|but|and then|then|although|though|and)\b", re.IGNORECASE)
_CONTEXT_WORDS = 8  # words of a number's clause on each side that bind it


# -- numbers ----------------------------------------------------------------------------------------------------


def _number_context(text: str, q: Quantity, others: Sequence[Quantity]) -> set[str]:
    """The stemmed content words of the clause a number sits in, up to the numbers beside it (its own digits and
    unit words are context too: they say what it counts)."""
    lo = max([o.end for o in others if o.end <= q.start], default=0)
    hi = min([o.start for o in others if o.start >= q.end], default=len(text))
    before, after = text[lo : q.start], text[q.end : hi]
    cuts = list(_CLAUSE_END.finditer(before))
    left = before[cuts[-1].end() :] if cuts else before
    cut = _CLAUSE_END.search(after)
    right = after[: cut.start()] if cut else after
    left_words, right_words = left.split()[-_CONTEXT_WORDS:], right.split()[:_CONTEXT_WORDS]
    return set(tokenize([" ".join(left_words + right_words)])[0])


def bound_numbers(claim: str, passage: str, tolerance: float = 0.05, alone: bool = False) -> tuple[Outcome, str]:
    """For a claim stating two or more numbers of one kind (with `alone`, any number of the claim's, when the passage
    states two values of its kind: "Moore's Law … 100 times. We … a million times."): does each sit, in the passage,
    in the context the claim gives it? 'fail' when a claim number's closest-context passage number (same kind) has
    another value, 'pass' when every one finds its own value there, 'n/a' when the passage cannot tell (a number
    missing, a tie)."""
    claimed = [q for q in parse_quantities(claim) if not q.denied]
    stated = parse_quantities(passage)
    if len(claimed) < (1 if alone else 2) or not stated:
        return "n/a", "no numbers to bind" if alone else "fewer than two numbers to bind"
    # Only numbers that another claim number could be confused with need binding: same kind of thing.
    if not alone and not any(a.compatible(b) for i, a in enumerate(claimed) for b in claimed[i + 1 :]):
        return "n/a", "the claim's numbers count different things"
    # Binding needs at least two of the passage's numbers to choose between; one number is compared plainly.
    if len({p.value for p in stated if any(q.compatible(p) for q in claimed)}) < 2:
        return "n/a", "the passage states fewer than two numbers of that kind"
    for q in claimed:
        rivals = [p for p in stated if q.compatible(p)]
        if not rivals:
            return "n/a", f"the passage does not state {q.text!r}"
        want = _number_context(claim, q, claimed)
        scored = sorted(((len(want & _number_context(passage, p, stated)), p) for p in rivals), key=lambda x: -x[0])
        best_score, best = scored[0]
        if best_score == 0 or (len(scored) > 1 and scored[1][0] == best_score
                               and not close(scored[1][1].value, best.value, tolerance)):
            return "n/a", f"the passage does not bind {q.text!r} clearly"
        exact = 0.0 if "calendar-year" in q.unit else tolerance
        if not close(q.value, best.value, exact):
            # A lone figure the passage states too is another value's only when that one's context is clearly
            # the claim's ("our 1.3 million component rack. Each rack is 1.3, one and a half million components"
            # corrects itself; "Moore's Law … 100 times. We … a million times" does not).
            own = max((n for n, p in scored if close(q.value, p.value, exact)), default=None)
            if alone and own is not None and best_score - own < 2:
                return "n/a", f"the passage does not bind {q.text!r} clearly"
            return "fail", f"the claim says {q.text!r} where the passage says {best.text!r}"
    return "pass", "each number is where the claim puts it (" + ", ".join(repr(q.text) for q in claimed) + ")"


# -- roles ------------------------------------------------------------------------------------------------------


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_END.split(text) if c and c.strip()]


def swapped_roles(claim: str, passage: str, entities: Sequence[str], min_words: int = 2) -> str | None:
    """Why the passage gives two things the claim's roles the other way round, or None.

    The claim must have (at least) two clauses, each naming exactly one of `entities`; each such clause's other
    words are compared with the passage clauses that name its thing and with those that name the other thing. The
    roles are swapped when, for both, the other thing's clauses share more of those words (at least `min_words`).
    """
    parts: list[tuple[str, set[str]]] = []
    for clause in _clauses(claim):
        named = [e for e in entities if mentions(clause, e)]
        if len(named) == 1:
            words = content_words(clause) - set(tokenize([named[0]])[0])
            if words:
                parts.append((named[0], words))
    things = list(dict.fromkeys(e for e, _ in parts))
    if len(things) < 2:
        return None
    passage_clauses = _clauses(passage)

    def shared(words: set[str], thing: str) -> int:
        return max((len(words & content_words(c)) for c in passage_clauses if mentions(c, thing)), default=-1)

    swapped = []
    for thing, words in parts:
        others = [t for t in things if t != thing]
        own = shared(words, thing)
        if own < 0:
            return None  # the passage does not speak of this thing: it cannot say
        other = max(others, key=lambda t: shared(words, t))
        if shared(words, other) >= max(own + 1, min_words):
            swapped.append((thing, other))
    if len(swapped) >= 2 or (swapped and len(things) == 2 and len(parts) == 2):
        thing, other = swapped[0]
        return f"the claim says of {thing} what the passage says of {other}"
    return None


# "better than", "more capable than", "cheaper than"; not "rather than", "other than"
_COMPARATIVE = re.compile(r"\b((?:more|less|fewer)(?:\s+[\w-]+){1,3}?|(?!rather\b|other\b)[a-z]+er|worse|better)"
                          r"\s+than\b", re.IGNORECASE)
# how far a comparison's second side runs: to the end of its clause
_SIDE_END = re.compile(r"[,;:.!?]|\b(?:but|while|whereas|although|though)\b", re.IGNORECASE)
_OPPOSITE_COMPARATIVES = frozenset(frozenset(pair) for pair in OPPOSITES)


def compares(text: str) -> bool:
    """Whether the text states a comparison ('more GPUs than OpenAI', 'better than R1')."""
    return bool(_COMPARATIVE.search(text))


def _comparatives(text: str) -> Iterator[tuple[str, str, str]]:
    """(comparative, the text before it, its clause after 'than') for each comparison in the text."""
    for m in _COMPARATIVE.finditer(text):
        yield " ".join(m.group(1).lower().split()), text[: m.start()], _SIDE_END.split(text[m.end():], maxsplit=1)[0]


def _comparisons(text: str, things: Sequence[str]) -> list[tuple[str, str, str]]:
    """(comparative, the thing before it, the thing after 'than') for each comparison between two of `things` in
    the text: 'o3-mini is better than R1' -> ('better', 'o3-mini', 'R1'). A side naming both things, or neither,
    makes no comparison."""
    out = []
    for word, before, after in _comparatives(text):
        left = [t for t in things if mentions(before, t)]
        right = [t for t in things if mentions(after, t)]
        if len(left) == 1 and len(right) == 1 and left != right:
            out.append((word, left[0], right[0]))
    return out


def _sides(text: str) -> list[tuple[str, set[str], set[str]]]:
    """(comparative, the words of its clause before it, the words after 'than') for each comparison in the text:
    'golf is still using way more water than all data centers' -> ('more water', {golf, still, use, way},
    {data, center})."""
    return [(word, key_words(_SIDE_END.split(before)[-1]), key_words(after))
            for word, before, after in _comparatives(text)]


def _compared(word: str, said: str) -> bool:
    """Whether two comparatives compare the same quality: the same word ('better'), or 'more' with a word of what
    is compared in common ('more memory bandwidth' and 'more memory capacity')."""
    return bool(set(word.split()[1:]) & set(said.split()[1:])) or (len(word.split()) == len(said.split()) == 1)


def _same(word: str, said: str) -> bool:
    return word.split()[0] == said.split()[0] and _compared(word, said)


def _opposite(word: str, said: str) -> bool:
    """'more open' against 'less open', 'better' against 'worse'."""
    return frozenset((word.split()[0], said.split()[0])) in _OPPOSITE_COMPARATIVES and _compared(word, said)


def swapped_comparison(claim: str, sentence: str, things: Sequence[str]) -> str | None:
    """Why the sentence compares the claim's two things the other way round ('o3-mini is better than R1' for
    'R1 is better than o3-mini', or 'R1 is worse than o3-mini'), or None. Things that are not names ('data
    centers', 'golf') are told by the words on each side of the comparative, crossed over more than kept."""
    named = _comparisons(claim, things)
    for word, a, b in named:
        for said, x, y in _comparisons(sentence, [a, b]):
            if (_same(word, said) and (x, y) == (b, a)) or (_opposite(word, said) and (x, y) == (a, b)):
                return f"the claim says “{a} … {word} than {b}”, the passage “{x} … {said} than {y}”"
    if named:
        return None
    for word, left, right in _sides(claim):
        for said, before, after in _sides(sentence):
            crossed, kept = (left & after, right & before), (left & before, right & after)
            if _same(word, said) and all(crossed) and sum(map(len, crossed)) > sum(map(len, kept)):
                return (f"the claim says “{_said(claim, left)}” {word} than “{_said(claim, right)}”; the passage "
                        "says it the other way round")
            if _opposite(word, said) and all(kept) and sum(map(len, kept)) > sum(map(len, crossed)):
                return f"the claim says “{word} than”, the passage “{said} than”, of the same two sides"
    return None


# -- what was kept and what was cut -----------------------------------------------------------------------------

# Two sides of one change: "kept A but cut B". A claim that joins the two sides in two clauses can give each side
# the other's object; said the other way round, it has the same words.
_KEPT = re.compile(r"\b(?:keep|keeps|kept|same|retain\w*|unchanged|preserv\w*|maintain\w*|intact|untouched)\b", re.I)
_CUT = re.compile(r"\b(?:cut\w*(?: back)?|reduc\w*|lowered|nerf\w*|remov\w*|dropp\w*|slash\w*|crippl\w*|capped|halved|"
                  r"throttl\w*|downgrad\w*|limited|restricted)\b", re.I)
_SIDES = [(_KEPT, _CUT), (re.compile(r"\b(?:more|increas\w*|rais\w*|higher|grew|grow\w*)\b", re.I),
                           re.compile(r"\b(?:less|fewer|decreas\w*|lower|shrank|shrink\w*|fell)\b", re.I))]


def swapped_sides(claim: str, passage: str) -> str | None:
    """Why the passage puts the claim's two objects on the other sides of one change ("the H800 kept the interconnect
    but had its FLOPS cut" against "the same FLOPS, but the interconnect cut"), or None.

    The claim must have one clause on each side (kept / cut, more / less). The words that tell its two clauses apart
    (less the subject both are about: what precedes the change in the first clause) are looked for in the passage's
    clauses on each side: swapped when each clause's words are found more on the other side than on its own."""
    for first, second, a, b, wa, wb in _claim_sides(claim):
        passage_clauses = _clauses_with_sides(passage)
        pa = set().union(*(_distinct(c, first, second) for c in _on_side(passage_clauses, first, second)))
        pb = set().union(*(_distinct(c, first, second) for c in _on_side(passage_clauses, second, first)))
        if len(wa & pb) > len(wa & pa) and len(wb & pa) > len(wb & pb):
            return (f"the claim says “{first.search(a).group(0)}” of {_said(a, wa & pb)} and "
                    f"“{second.search(b).group(0)}” of {_said(b, wb & pa)}; the passage says it the other way round")
    return None


@lru_cache(maxsize=256)
def _claim_sides(claim: str) -> tuple[tuple[re.Pattern, re.Pattern, str, str, frozenset[str], frozenset[str]], ...]:
    """For each change the claim states once on each side: the two sides' patterns, its clause on each, and the
    words that tell those clauses apart. Read once per claim, not once per candidate sentence it is judged against."""
    clauses = _clauses_with_sides(claim)
    out = []
    for first, second in _SIDES:
        a, b = _on_side(clauses, first, second), _on_side(clauses, second, first)
        if len(a) != 1 or len(b) != 1:
            continue
        change = first.search(clauses[0]) or second.search(clauses[0])
        subject = _distinct(clauses[0][: change.start()], first, second) if change else set()
        wa, wb = _distinct(a[0], first, second) - subject, _distinct(b[0], first, second) - subject
        if wa - wb and wb - wa:
            out.append((first, second, a[0], b[0], frozenset(wa - wb), frozenset(wb - wa)))
    return tuple(out)


def _on_side(clauses: list[str], side: re.Pattern, other: re.Pattern) -> list[str]:
    return [c for c in clauses if side.search(c) and not other.search(c)]


def _clauses_with_sides(text: str) -> list[str]:
    # "but" and "while" join the two sides; "and" often joins the objects of one side ("FLOPS and memory")
    return [c.strip() for c in re.split(r"[,;:.!?]|\b(?:but|while|whereas|although|though)\b", text, flags=re.I)
            if c and c.strip()]


def _said(clause: str, stems: set[str]) -> str:
    """The clause's own words for stemmed tokens, in its order ('flop' -> 'FLOPS')."""
    return " ".join(w for w in re.findall(r"[\w'’-]+", clause) if set(tokenize([w])[0]) & stems)


def _distinct(clause: str, first: re.Pattern, second: re.Pattern) -> set[str]:
    return key_words(second.sub(" ", first.sub(" ", clause)))


# -- order ------------------------------------------------------------------------------------------------------

# Only explicit sequences: "first X (and) then Y", "X, and then Y", "X and only afterwards Y", "started (out) as X
# and ... Y". Not "X after Y" or "X before Y": people often tell an effect before its cause, so the order in which
# a conversation mentions two things says when they happened only when it narrates a sequence.
_THEN = r"(?:then|afterwards|after that|later|subsequently|next|eventually)"
_ORDERED = [
    re.compile(rf"\bfirst\b(?P<a>.+?),?\s*(?:and\s+)?(?:only\s+)?{_THEN}\b(?P<b>.+)$", re.IGNORECASE),
    re.compile(r"^(?P<a>.+?)(?:,\s*|\s+and\s+)(?:only\s+)?(?:then|afterwards|after that)\b(?P<b>.+)$",
               re.IGNORECASE),
    re.compile(r"\bstart(?:ed|s)?\s+(?:out\s+)?(?:as|with)\b(?P<a>.+?)\band\b(?P<b>.+)$", re.IGNORECASE),
]


def claimed_order(claim: str) -> tuple[str, str] | None:
    """The two steps a claim puts in order, earlier first, or None when it orders nothing."""
    for pattern in _ORDERED:
        m = pattern.search(claim)
        if m and re.search(r"\b(?:if|unless|when)\b", m.group("a"), re.IGNORECASE):
            return None  # "if X, then Y" is a condition, not a sequence
        if m and m.group("a").strip(" ,") and m.group("b").strip(" ,."):
            return m.group("a").strip(" ,"), m.group("b").strip(" ,.")
    return None


def _position(step: set[str], sentences: list[set[str]], need: float = 0.6) -> int | None:
    """The first sentence holding at least `need` of a step's distinctive words."""
    if not step:
        return None
    for i, words in enumerate(sentences):
        if len(step & words) >= max(1, math.ceil(need * len(step))):
            return i
    return None


def reversed_order(claim: str, conversation: str) -> str | None:
    """Why the conversation (in time order) tells the claim's two steps the other way round, or None."""
    order = claimed_order(claim)
    if not order:
        return None
    first, second = (content_words(s) for s in order)
    first, second = first - second, second - first  # what tells the steps apart
    sentences = [content_words(s) for s in re.split(r"(?<=[.!?])\s+", conversation) if s.strip()]
    a, b = _position(first, sentences), _position(second, sentences)
    if a is None or b is None or a == b or a < b:
        return None
    return f"the claim puts “{order[0]}” before “{order[1]}”; the conversation tells them the other way round"
