"""The one number parser: values with their scale, words read by text_to_num, years, and what is not a number."""

import pytest

from rag.numbers import close, find_numbers, has_number, word_value


def _found(text):
    return [(n.value, n.numeral, n.scale, n.currency, n.percent, n.times) for n in find_numbers(text)]


@pytest.mark.parametrize("text, expected", [
    ("closer to 50,000 GPUs", [(50000, "50,000", "", False, False, False)]),
    ("it cost $5.5 million", [(5.5e6, "5.5", "million", True, False, False)]),
    ("200K GPUs", [(200000, "200", "k", False, False, False)]),
    ("a billion dollars", [(1e9, "a", "billion", False, False, False)]),
    ("fifty thousand chips", [(50000, "fifty", "thousand", False, False, False)]),
    ("twenty-five racks", [(25, "twenty-five", "", False, False, False)]),
    ("80 to 90% of memory", [(80, "80", "", False, False, False), (90, "90", "", False, True, False)]),
    ("a 10x speedup", [(10, "10", "", False, False, True)]),
    ("a dozen labs", [(12, "a dozen", "", False, False, False)]),
    ("one and a half billion dollars", [(1.5e9, "one", "billion", False, False, False)]),
    ("two and a half years", [(2.5, "two", "", False, False, False)]),
    ("5 m away", [(5, "5", "", False, False, False)]),  # a spaced one-letter scale is not a scale
    ("$1000 per million tokens", [(1000, "1000", "", True, False, False),
                                  (1e6, "per", "million", False, False, False)]),
    ("from 4% to 60% in like a year", [(4, "4", "", False, True, False), (60, "60", "", False, True, False),
                                       (1, "a", "", False, False, False)]),  # one unit of time
])
def test_numbers_have_value_scale_and_kind(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text", [
    "the H800 and GPT-4 and o3-mini",  # digits inside names
    "episode #459",
    "no one knows", "the one that works",  # the pronoun
    "escalate tensions",  # 'ten' inside a word
    "a model", "per hour", "a yearly thing",  # an article before anything but a scale word or a unit of time
])
def test_what_is_not_a_number(text):
    assert find_numbers(text) == []


def test_years_and_positions():
    [year] = find_numbers("in 2021 they built it")
    assert year.is_year and year.value == 2021 and "in 2021 they"[year.start:year.end] == "2021"
    assert not find_numbers("$2000")[0].is_year and not find_numbers("2,000 chips")[0].is_year


def test_word_values_come_from_text_to_num():
    assert word_value("three hundred and twenty") == 320
    assert word_value("thirty-seven") == 37
    assert word_value("a dozen") == 12
    assert word_value("banana") is None


def test_has_number_is_a_cheap_filter_over_digits_and_words():
    assert has_number("about ten of them") and has_number("H100") and not has_number("no quantity here")


def test_close_is_relative():
    assert close(49_500, 50_000, 0.05) and not close(40_000, 50_000, 0.05) and close(0, 0, 0.0)
