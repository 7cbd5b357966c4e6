"""Numbers in text: the one parser the claim checker, the answer checks and the extractive answerer share.

`find_numbers("closer to 50,000 GPUs, $5.5 million, fifty thousand")` gives each number with its value (scale
applied: 5.5e6), the numeral as written, its scale word, and whether it is money, a percentage or a multiple.
Numbers written in words ("fifty thousand", "twenty-five", "a billion") are read with text_to_num; a calendar
year is recognised; digits inside names ("H800", "GPT-4", "o3-mini", "#459") are not numbers; nor is the pronoun
"one" ("no one", "the one").

What a number *counts* (its unit: GPUs, years) is the caller's business: the claim checker reads the words after
it (rag/claims/quantities.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from text_to_num import text2num

# Word numbers the pattern recognises; their value comes from text_to_num ("twenty-five" -> 25).
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_WORDS = (*_UNITS, "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
          "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
          "a hundred", "dozen", "a dozen")
# What text_to_num does not read: "a" only counts before a scale word ("a billion dollars", "per million") or a
# unit of time ("in a year"); see _NUMBER.
_SPECIAL = {"dozen": 12.0, "a dozen": 12.0, "a hundred": 100.0, "a": 1.0, "an": 1.0, "per": 1.0}
SCALES = {"hundred": 1e2, "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9,
          "b": 1e9, "bn": 1e9, "trillion": 1e12, "tn": 1e12}
_WORD_ALTERNATIVES = "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
_NUMBER = re.compile(
    rf"(?<![\w.#])(?:(?P<cur>[$€£])\s?)?(?<![A-Za-z]-)"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?"
    rf"|(?:{_WORD_ALTERNATIVES})(?:[- ](?:{'|'.join(_UNITS)}))?\b"
    # "a billion dollars", "$1,000 per million tokens"; "a year", "an hour" (one of a unit of time)
    rf"|(?:an?|per)(?=\s(?:thousand|million|billion|trillion)\b)"
    rf"|an?(?=\s(?:year|month|week|day|hour|decade|minute)\b))"
    rf"(?P<half>\s+and\s+a\s+half\b)?"
    rf"(?:\s?(?P<scale>hundred|thousand|million|billion|trillion|k|m|mn|b|bn|tn)\b)?"
    rf"(?P<tail>\s?(?:%|percent\b|per cent\b|x\b))?"
    rf"(?![\w.,]\d)",
    re.IGNORECASE,
)
_PRONOUN_ONE = re.compile(r"\b(?:no|any|every|some|the|this|that|which)\s+$", re.IGNORECASE)
# Anything that looks like a number, digits or words: a cheap test for "does this sentence state a quantity?"
_ANY_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|"
                         r"trillion)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    """One number as a text states it."""

    value: float  # with its scale: '$5.5 million' -> 5_500_000.0
    base: float  # before the scale word: 5.5
    text: str  # as matched: '$5.5 million'
    start: int
    end: int
    numeral: str  # the number itself as written: '5.5', '50,000', 'fifty'
    scale: str = ""  # 'million', 'k', ... lower-case, or ''
    currency: bool = False  # '$', '€', '£' before it
    percent: bool = False  # '%', 'percent' after it
    times: bool = False  # 'x' after it: '10x'

    @property
    def digits(self) -> bool:
        """Written with digits (rather than in words)."""
        return self.numeral[:1].isdigit()

    @property
    def is_year(self) -> bool:
        """A bare whole number between 1900 and 2100: a calendar year, compared exactly."""
        return (self.numeral.isdigit() and not (self.scale or self.currency or self.percent or self.times)
                and 1900 <= self.value <= 2100)


def word_value(words: str) -> float | None:
    """The value of a number written in words ('fifty', 'twenty-five', 'a dozen'), or None."""
    key = " ".join(words.lower().split())
    if key in _SPECIAL:
        return _SPECIAL[key]
    try:
        return float(text2num(key.replace("-", " "), "en"))
    except ValueError:
        return None


def numeral_value(numeral: str) -> float | None:
    """'50,000' -> 50000.0, '5.5' -> 5.5, 'fifty' -> 50.0; None when it is not a number."""
    plain = numeral.replace(",", "")
    try:
        return float(plain)
    except ValueError:
        return word_value(plain)


def find_numbers(text: str) -> list[Number]:
    """Every number `text` states, in order, with its scale and kind (see the module's docstring)."""
    out: list[Number] = []
    for m in _NUMBER.finditer(text):
        numeral = m.group("num")
        base = numeral_value(numeral)
        if base is None:
            continue
        if m.group("half"):  # "one and a half billion"
            base += 0.5
        if numeral.lower() == "one" and _PRONOUN_ONE.search(text[: m.start()]):
            continue  # "no one", "the one": a pronoun, not a count
        scale = (m.group("scale") or "").lower()
        # "5 m" is ambiguous (metres, minutes); only a one-letter scale glued to digits counts: "50k", "$6M".
        if scale and len(scale) <= 2 and m.group(0)[m.start("scale") - m.start() - 1].isspace():
            scale = ""
        tail = (m.group("tail") or "").strip().lower()
        out.append(Number(
            value=base * SCALES.get(scale, 1.0), base=base, text=m.group(0).strip(), start=m.start(), end=m.end(),
            numeral=numeral, scale=scale, currency=bool(m.group("cur")),
            percent=tail in ("%", "percent", "per cent"), times=tail == "x",
        ))
    return out


def has_number(text: str) -> bool:
    """Whether the text mentions a number at all, in digits or words: a cheap filter (it does not parse)."""
    return bool(_ANY_NUMBER.search(text))


def close(a: float, b: float, tolerance: float) -> bool:
    """Equal within `tolerance` of the larger: 49,500 is 'about' 50,000 at 0.05."""
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-9)
