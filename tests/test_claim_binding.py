"""Numbers bound to their context, roles and order: the checks a bag of words cannot make (rag/claims/binding.py)."""

import pytest

from rag.claims.binding import (
    bound_numbers,
    claimed_order,
    reversed_order,
    swapped_comparison,
    swapped_roles,
    swapped_sides,
)
from rag.claims.entities import sibling_codes

PASSAGE = ("The old cluster trained the model in about 40 days last year. "
           "The new cluster did the same run in 3 days this spring.")


@pytest.mark.parametrize("claim, outcome", [
    ("The old cluster took about 40 days and the new cluster took 3 days", "pass"),
    ("The old cluster took 3 days and the new cluster took about 40 days", "fail"),  # numbers on the wrong thing
    ("The old cluster took 40 days", "n/a"),  # one number: the plain comparison's job
    ("The old cluster took 40 days and cost $3", "n/a"),  # two numbers of different kinds: nothing to confuse
    ("The old cluster took 40 days and the new cluster took 9 weeks", "fail"),  # durations compare across units
    ("The old cluster took 40 days and the new one used 9 racks", "n/a"),  # racks: the passage does not say
])
def test_numbers_are_compared_in_the_context_the_claim_gives_them(claim, outcome):
    got, detail = bound_numbers(claim, PASSAGE)
    assert got == outcome, detail
    if outcome == "fail":
        assert detail.startswith("the claim says '") and "where the passage says '" in detail


def test_one_number_is_bound_to_its_context_where_the_passage_gives_its_kind_two_values():
    assert bound_numbers("The old cluster trained the model in 3 days", PASSAGE, alone=True)[0] == "fail"
    assert bound_numbers("The old cluster took about 40 days", PASSAGE, alone=True)[0] == "pass"
    # not clearly: the other value's context holds only one more of the claim's words than its own value's
    assert bound_numbers("The old cluster took 3 days", PASSAGE, alone=True)[0] == "n/a"
    assert bound_numbers("The old cluster took 3 days", "The old cluster took 3 days.", alone=True)[0] == "n/a"
    # a speaker correcting himself gives one thing two values: the claim's is his too
    rack = "We have suppliers for our 1.3 million component rack. Each rack is 1.3, one and a half million components."
    assert bound_numbers("each rack has about one and a half million components", rack, alone=True)[0] == "n/a"


def test_percentages_swapped_between_two_things():
    passage = "Prices went up by 20% and we were a 60% margin business back then."
    assert bound_numbers("prices went up by 60% when it was a 20% margin business", passage)[0] == "fail"
    assert bound_numbers("prices went up by 20% when it was a 60% margin business", passage)[0] == "pass"


ROLES = ("Alpha is the fast one that tries things quickly and breaks often. "
         "Beta is the careful one that reads everything first and rarely fails.")


def test_swapped_roles_are_a_conflict_and_the_right_roles_are_not():
    swapped = "Beta is the fast one that tries things quickly, and Alpha is the careful one that reads everything"
    right = "Alpha is the fast one that tries things quickly, and Beta is the careful one that reads everything"
    assert swapped_roles(swapped, ROLES, ["Beta", "Alpha"]) == "the claim says of Beta what the passage says of Alpha"
    assert swapped_roles(right, ROLES, ["Alpha", "Beta"]) is None
    # a thing the passage never mentions: it cannot tell
    assert swapped_roles("Gamma is fast, and Alpha is careful", ROLES, ["Gamma", "Alpha"]) is None
    # one thing only: no roles to swap
    assert swapped_roles("Alpha is the careful one", ROLES, ["Alpha"]) is None


@pytest.mark.parametrize("sentence, conflict", [
    ("I felt that o3-mini, specifically o3-mini-high is better than R1.", True),  # the sides swapped
    ("R1 is worse than o3-mini for brainstorming.", True),  # the opposite comparative, the same sides
    ("o3-mini is worse than R1.", False),  # both turned round: the same comparison
    ("R1 is better than o3-mini on price.", False),
    ("R1 and o3-mini are better than o1.", False),  # one side names both: no comparison between them
    ("o3-mini is cheaper than R1, rather than better.", False),  # another comparative
])
def test_a_comparison_said_the_other_way_round_is_a_conflict(sentence, conflict):
    got = swapped_comparison("R1 is better than o3-mini at brainstorming", sentence, ["R1", "o3-mini"])
    assert (got is not None) == conflict, got


@pytest.mark.parametrize("claim, conflict", [
    ("data centers use more water than golf", True),  # the sides crossed over
    ("golf uses less water than data centers", True),  # the opposite comparative, the same sides
    ("golf uses more water than all data centers together", False),
    ("data centers use less water than golf", False),  # both turned round: the same comparison
])
def test_a_comparison_between_things_that_are_not_names_is_read_by_the_words_on_each_side(claim, conflict):
    sentence = "So, so the… or like golf is still using way more water than all data centers together."
    got = swapped_comparison(claim, sentence, [])
    assert (got is not None) == conflict, got


def test_a_comparative_of_several_words_compares_what_it_names():
    sentence = ("And then, for memory bandwidth and memory capacity, the H20 has more memory bandwidth and more memory "
                "capacity than the H100.")
    things = ["H100", "H20"]
    assert swapped_comparison("the H100 has more memory bandwidth than the H20", sentence, things)
    assert swapped_comparison("the H20 has less memory bandwidth than the H100", sentence, things)
    assert not swapped_comparison("the H20 has more memory bandwidth than the H100", sentence, things)
    assert not swapped_comparison("the H100 has more FLOPS than the H20", sentence, things)  # another quality


def test_comparisons_of_more_or_less_keep_their_adjective():
    things = ["Llama 3", "MIT"]
    assert swapped_comparison("the Llama 3 license is less restrictive than MIT",
                              "And the Llama 3 license is more restrictive than MIT.", things)
    assert swapped_comparison("Llama 3 is more restrictive than MIT", "MIT is more restrictive than Llama 3.", things)
    assert not swapped_comparison("Llama 3 is more restrictive than MIT", "Llama 3 is less popular than MIT.", things)


@pytest.mark.parametrize("claim, order", [
    ("They first built the compiler and then wrote the debugger", ("built the compiler", "wrote the debugger")),
    ("They built the compiler, and then wrote the debugger", ("They built the compiler", "wrote the debugger")),
    ("The app started out as a game and became a platform", ("a game", "became a platform")),
    # no explicit sequence: a conversation may mention an effect before its cause
    ("They wrote the debugger only after they built the compiler", None),
    ("They built the compiler before the debugger", None),
    ("DeepSeek will eventually release R2", None),
    ("If export controls tighten, then China builds its own chips", None),  # a condition
    ("They built a compiler", None),
])
def test_the_order_a_claim_states(claim, order):
    assert claimed_order(claim) == order


CONVERSATION = ("We built the compiler first, that took a year. It was painful. "
                "Then, only once it worked, we wrote the debugger on top of it.")


def test_reversed_order_is_a_conflict():
    assert reversed_order("They first wrote the debugger and then built the compiler", CONVERSATION)
    assert reversed_order("They first built the compiler and then wrote the debugger", CONVERSATION) is None
    # a step the conversation does not tell: no verdict on the order
    assert reversed_order("They first wrote the manual and then built the compiler", CONVERSATION) is None


def test_what_was_kept_and_what_was_cut_said_the_other_way_round():
    """"X kept A but cut B" against a passage where X kept B and cut A: the same words, the other way round."""
    passage = ("So, the H800 was the same performance as H100 on FLOPS, but it just had the interconnect bandwidth "
               "cut. DeepSeek knew how to use it.")
    claim = "the H800 kept the H100's interconnect bandwidth but had its FLOPS cut back."
    assert swapped_sides(claim, passage) == ("the claim says “kept” of interconnect bandwidth and “cut back” of "
                                             "FLOPS; the passage says it the other way round")
    assert swapped_sides("the H800 kept its FLOPS but had the interconnect bandwidth cut", passage) is None
    assert swapped_sides("Meta kept the research team but cut the product staff",
                         "Meta cut research, while the product staff was kept.") is not None
    # more / less is one change too
    assert swapped_sides("they spent more on compute but less on data",
                         "they spent less on compute, while they spent more on data.") is not None
    # a claim with only one side, or a passage that says nothing of either side, cannot be swapped
    assert swapped_sides("the H800 had its interconnect bandwidth cut", passage) is None
    assert swapped_sides(claim, "The H800 was sold in China.") is None


def test_a_sentence_about_a_sibling_chip_is_not_about_the_claims():
    assert sibling_codes("the H800 had its FLOPS cut", "The H20 is cut back on FLOPS.") == (
        "the sentence is about H20, not H800")
    assert sibling_codes("the H800 had its FLOPS cut", "The H800 and the H20 were both cut.") is None
    assert sibling_codes("the H800 had its FLOPS cut", "The A100 is an older chip.") is None  # not a sibling
    assert sibling_codes("DeepSeek trained V3 cheaply", "R1 came out in January.") is None
    assert sibling_codes("OpenAI's o3 reasons longer", "o1 was the first reasoning model.") == (
        "the sentence is about o1, not o3")
