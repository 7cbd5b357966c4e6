"""Names in a claim ('DeepSeek', 'Elon Musk', 'o3-mini') and whether a passage mentions them, allowing for spelling
('Deep Seek') and partial names ('Musk')."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.claims.words import says, singular, stopwords
from rag.places import AMBIGUOUS, country_us_as_usa, names_place, related_places, same_place

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")


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
        plain_capital = tok[0].isupper() and tok.lower() not in stopwords() and (i > 0 or tok.isupper() or starts_name)
        if (has_digit and has_alpha) or inner_cap or plain_capital:
            capitalised = tok[0].isupper() and not has_digit
            if out and capitalised and start == previous_end + 1 and out[-1][0].isupper():
                out[-1] = f"{out[-1]} {tok}"
            else:
                out.append(tok)
            previous_end = end if capitalised else -2
        else:
            previous_end = -2
    out = list(dict.fromkeys(out))
    # An acronym the claim spells out itself ('TI ... Texas Instruments') is checked as the full name.
    initials = {"".join(w[0] for w in e.split()).upper() for e in out if " " in e}
    return [e for e in out if not (e.isupper() and e in initials)]


def _squash_tokens(text: str) -> set[str]:
    """Lower-case word tokens, singular, plus each run of two or three glued ('deep seek' -> 'deepseek',
    'ps pdf kit' -> 'pspdfkit')."""
    words = [singular(w) for w in re.findall(r"[a-z0-9]+", country_us_as_usa(text).lower())]
    return (set(words) | {a + b for a, b in zip(words, words[1:])}
            | {a + b + c for a, b, c in zip(words, words[1:], words[2:])})


def missing_entities(entities: Sequence[str], text: str, speakers: Sequence[str] = ()) -> list[str]:
    """The entities that `text` (or the names of its speakers) does not mention. A name of several words counts
    as mentioned when any of its words is ('Musk' for 'Elon Musk'); a model name needs all its parts ('o3 mini')."""
    present = _squash_tokens(text + " " + " ".join(speakers))
    return [e for e in entities if not _present(e, present)]


def frequent_names(sentences: Sequence[str], at_least: int = 10) -> list[str]:
    """Names an episode keeps coming back to (capitalised words inside sentences, at least `at_least` times): what
    the conversation is about, so that a sentence saying "we" or "it" is about them too."""
    counts: dict[str, int] = {}
    for sentence in sentences:
        for m in re.finditer(r"(?<=\s)[A-Z][A-Za-z0-9]*[A-Za-z0-9]", sentence):
            word = m.group(0)
            if word.lower() not in stopwords():
                counts[word] = counts.get(word, 0) + 1
    return sorted(w for w, n in counts.items() if n >= at_least)


def mentions(text: str, entity: str) -> bool:
    """Whether `text` mentions the entity (as `missing_entities` decides it)."""
    return _present(entity, _squash_tokens(text))


def _present(entity: str, present: set[str]) -> bool:
    # a claim's "United States" is the conversation's "US" or "American"
    places = same_place(" ".join(re.findall(r"[a-z0-9]+", entity.lower())))
    if places:
        # every word of a place's name ("united states"), not any ("states"): unlike a person's ("Musk")
        return any("".join(alias.split()) in present or all(w in present for w in alias.split())
                   for alias in places - AMBIGUOUS)
    return _present_as_written(entity, present)


def _present_as_written(entity: str, present: set[str]) -> bool:
    if " " in entity:
        words = [singular(w) for w in re.findall(r"[a-z0-9]+", entity.lower())]
        return any(w in present for w in words) or "".join(words) in present
    parts = [singular(p) for p in re.findall(r"[a-z0-9]+", entity.lower())]
    return not parts or "".join(parts) in present or all(p in present for p in parts)


_CODE = re.compile(r"\b([A-Za-z]{1,3})-?(\d{1,4})\b")


def sibling_codes(claim: str, sentence: str) -> str | None:
    """Why a sentence speaks of another model or chip than the claim's: it names a sibling (same letters, another
    number) and not the claim's own: 'The H20 is cut back on FLOPS' is not about the claim's H800. None otherwise."""
    def codes(text: str) -> dict[tuple[str, str], str]:
        return {(m.group(1).lower(), m.group(2)): m.group(0) for m in _CODE.finditer(text)}

    claimed, said = codes(claim), codes(sentence)
    if not claimed or claimed.keys() & said.keys():
        return None
    other = next((said[k] for k in sorted(said) if any(k[0] == q for q, _ in claimed)), None)
    if other is None:
        return None
    return f"the sentence is about {other}, not {', '.join(claimed.values())}"


def _versions(name: str) -> re.Pattern[str]:
    """'Llama 4' -> the name said with any version ('Llama 4.5' is one)."""
    word = name.rsplit(" ", 1)[0]
    # not a list of them ('CUDA 1, 2, 3, 13'), nor a number the name begins ('Llama 405b')
    return re.compile(rf"\b{re.escape(word)}\s+(\d+(?:\.\d+)*)(?![\w.]*\d)(?!\w)(?!,\s*\d)", re.I)


def names_version(names: Sequence[str], sentence: str) -> bool:
    """Whether the sentence says one of the versioned names with any version."""
    return any(_versions(name).search(sentence) for name in names)


def other_version(names: Sequence[str], sentence: str) -> tuple[str, str] | None:
    """A versioned name of the claim's that the sentence says with another version, and not with its own ('CUDA
    13.2' for the claim's 'CUDA 12'): the claim's name and what the sentence says."""
    for name in names:
        said = [m.group(0) for m in _versions(name).finditer(sentence)]
        if said and not says(sentence, name):
            return name, said[0]
    return None


def other_place(claim: str, sentence: str) -> str | None:
    """Why a sentence speaks of another place than the claim's: it names a place that is neither the claim's nor
    inside or around it, and not the claim's own ('Stargate is in Abilene, Texas' is not about a claim's Memphis).
    None otherwise."""
    claimed = [e for e in claim_entities(claim) if names_place(e)]
    if not claimed or any(mentions(sentence, p) for p in claimed):
        return None
    other = next((q for q in claim_entities(sentence) if names_place(q)
                  and not any(related_places(p, q) for p in claimed)), None)
    return f"the sentence is about {other}, not {', '.join(claimed)}" if other else None
