"""Claim checking: each offline check on its own, the decision, the checker on the tiny corpus, bad input, and the
real dev claim sets (eval/datasets/claims/*.jsonl) with the verdict and the minute of the evidence."""

import json
from pathlib import Path

import pytest

from rag.claims import (
    VERDICTS,
    Candidate,
    ClaimConfig,
    ClaimError,
    claim_entities,
    compare_numbers,
    decide,
    find_attribution,
    foreign_language,
    judge_offline,
    missing_entities,
    name_variants,
    parse_quantities,
    polarity_conflict,
)
from rag.claims.entities import other_place, other_version
from rag.claims.quantities import versioned_names
from rag.claims.words import says
from rag.models import Chunk, Moment, Passage

DATA = Path(__file__).resolve().parents[1] / "eval" / "datasets" / "claims"
PEOPLE = name_variants(["Dylan Patel", "Lex Fridman", "Nathan Lambert"], guests=["Dylan Patel", "Nathan Lambert"])


# -- attribution ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim, speakers, content", [
    ("Dylan Patel says DeepSeek has about 50,000 GPUs", ("Dylan Patel",), "DeepSeek has about 50,000 GPUs"),
    ("Nathan said that R1 is closed-weight", ("Nathan Lambert",), "R1 is closed-weight"),
    ("According to Dylan, DeepSeek built a cluster", ("Dylan Patel",), "DeepSeek built a cluster"),
    ("DeepSeek has 50,000 GPUs, Lex said.", ("Lex Fridman",), "DeepSeek has 50,000 GPUs"),
    ("Dylan and Nathan argue that export controls work", ("Dylan Patel", "Nathan Lambert"), "export controls work"),
    ("Nathan Lambert emphasizes the importance of open data", ("Nathan Lambert",),
     "emphasizes the importance of open data"),
    ("The guests highlight the scale of data centers", ("Dylan Patel", "Nathan Lambert"),
     "highlight the scale of data centers"),
    ("Mr. Patel says export controls work", ("Dylan Patel",), "export controls work"),
    ("In Nathan's view, open weights will win", ("Nathan Lambert",), "open weights will win"),
    ("Dylan's estimate is that DeepSeek has 50,000 GPUs", ("Dylan Patel",), "DeepSeek has 50,000 GPUs"),
    ("The host says the episode is long", ("Lex Fridman",), "the episode is long"),
    # other verbs of saying what one thinks of something
    ("Nathan cites Sam Altman on persuasion", ("Nathan Lambert",), "cites Sam Altman on persuasion"),
    ("Dylan calls the Arizona fab a paperweight", ("Dylan Patel",), "calls the Arizona fab a paperweight"),
    ("Lex gives credit to Matt for shipping it", ("Lex Fridman",), "gives credit to Matt for shipping it"),
    # about Nathan, not said by him; and a name that is not a speaker
    ("Nathan works at the Allen Institute", (), "Nathan works at the Allen Institute"),
    ("Sam Altman says Stargate has $500 billion", (), "Sam Altman says Stargate has $500 billion"),
])
def test_attribution_finds_who_the_claim_names(claim, speakers, content):
    a = find_attribution(claim, PEOPLE)
    assert a.speakers == speakers and a.content == content


def test_a_first_name_two_speakers_share_names_nobody():
    variants = name_variants(["Dylan Patel", "Dylan Field"])
    assert "dylan" not in variants and variants["patel"] == ("Dylan Patel",)
    assert find_attribution("Dylan says chips are hard", variants).speakers == ()


# -- numbers ----------------------------------------------------------------------------------------------------


def _values(text):
    return [(q.value, sorted(q.unit)) for q in parse_quantities(text)]


@pytest.mark.parametrize("text, figures", [
    ("Llama 3 was trained on 16,000 H100s", ["16,000 H100s"]),  # a versioned name opening the claim is no figure
    ("Nemotron 3 combines transformers and SSMs", []),
    ("He said Move 37 was great", []),
    ("Maybe 3 people came", ["3 people"]),  # but a count after a word that opens sentences is
    ("Basically 5 companies do it", ["5 companies"]),
    ("All 5 labs", ["5 labs"]),
])
def test_a_small_number_after_a_capitalised_word_is_part_of_a_name(text, figures):
    assert [q.text for q in parse_quantities(text)] == figures


@pytest.mark.parametrize("text, expected", [
    ("we believe they have closer to 50,000 GPUs", [(50000, ["gpu"])]),
    ("it cost $5.5 million to train", [(5.5e6, ["usd"])]),
    ("200K GPUs in Memphis", [(200000, ["gpu", "memphi"])]),
    ("that data center is 2.2 gigawatts", [(2.2, ["gigawatt"])]),
    ("no one spent more than a billion dollars", [(1e9, ["usd"])]),
    ("it saves 80 to 90% of memory", [(80, ["memory"]), (90, ["percent"])]),
    ("in 2021 they built it", [(2021, ["calendar-year"])]),
    ("the H800 and GPT-4 and o3-mini", []),  # digits inside names are not numbers
    ("escalate tensions over episode #459", []),  # 'ten' inside a word; an episode number
    ("the Move 37 moment of the 405B Tulu 3 model", [(405e9, ["model", "tulu"])]),  # a number after a name names
    ("faster than Codex 5.3, as of October 2022", [(2022, ["calendar-year"])]),  # ... but not after a month
    ("about half of its capacity", [(50, ["percent"])]),  # a share in words
])
def test_quantities_carry_value_scale_and_unit(text, expected):
    assert _values(text) == expected


@pytest.mark.parametrize("claim, passage, outcome", [
    ("about 50,000 GPUs", "closer to 50,000 GPUs", "pass"),
    ("about 20,000 GPUs", "closer to 50,000 GPUs", "fail"),
    ("the CHIPS Act is $50 million", "the CHIPS Act is only like $50 billion", "fail"),  # scale words count
    ("in 1999", "in June 4th, 1989", "fail"),  # years are exact, not 'about'
    ("found after 20 years", "found after 10 years", "fail"),
    ("about 50,000 GPUs", "a 2.2 gigawatt data center", "n/a"),  # nothing comparable
    ("DeepSeek has many GPUs", "closer to 50,000 GPUs", "n/a"),  # the claim has no number
    ("they had 10,000 H100 GPUs", "they bought 10,000 A100 GPUs in 2021", "fail"),  # a number on another thing
    ("they had 10,000 H100s", "they bought 10,000 A100s in 2021", "fail"),
    ("it took two weeks", "I asked for two days", "fail"),  # durations compare across units
    ("it took two years", "about 24 months later", "pass"),
    ("he does one-on-ones with his staff", "you cannot have 60 people on your staff", "n/a"),  # 'one' is no figure
    ("a market cap of one and a half billion dollars", "it went down to $1.5 billion", "pass"),
    ("comparable to Llama 4", "you're taking Llama 3, 4, 5B", "n/a"),  # a bare small digit proves nothing
    ("for three decades", "Three decades, and we don't have a contract", "pass"),
    ("in roughly twelve months", "went from 4% to 60% in like a year", "pass"),  # 'a year' matches a figure...
    ("within a decade", "selling millions of GPUs a year", "n/a"),  # ... but never refutes one: often a rate
    ("quantum computers within a decade", "we scaled up a million times in the last 10 years", "n/a"),  # nor backs
    ("he convinced them a decade ago", "About three years ago, I convinced them", "fail"),  # '… ago' is no rate
    ("he built the prototype in a week", "you built a prototype in one hour", "fail"),  # how long it took is no rate
    ("it took them a year", "they shipped it in a week", "fail"),
    ("he built it in a week", "he ships ten apps a month", "n/a"),  # against a rate, still nothing
    ("$1,000 for a million tokens", "pay $1000 per million tokens", "pass"),
    # a limit holds for any value on its side, and for a limit that implies it
    ("over 100,000 GitHub stars", "with now over 175,000 stars", "pass"),
    ("over 100,000 GitHub stars", "175,000 stars", "pass"),
    ("over 200,000 GitHub stars", "175,000 stars", "fail"),
    ("175,000 stars", "over 100,000 stars", "n/a"),  # the passage's limit neither backs nor refutes it
    ("it does not cost more than $20", "it costs $15", "pass"),  # a negated 'more than' is an upper limit
    # two limits otherwise compare as values: another figure for the same limit
    ("no one has spent more than $100 million", "No one spent more than a billion dollars", "fail"),
    ("about half of its capacity in the US", "roughly 20% of their capacity in the US", "fail"),
    # a figure the claim denies is not claimed; a value the passage denies is no rival (unless as a limit)
    ("bought in late 2023, not in 2024", "It was purchased in late 2023.", "pass"),
    ("bought in late 2023, not in 2024", "It was purchased in 2022.", "fail"),
    ("bought in late 2023", "these GPUs were not even purchased in 2024", "n/a"),
    ("they had 10,000 GPUs", "we never had more than 2,000 GPUs", "fail"),
    # people counted by the general word are the employees counted; but no rival figure for them
    ("NVIDIA has 43,000 employees", "It was 43,000 people that made CUDA successful.", "pass"),
    ("NVIDIA has 43,000 employees", "a million people use CUDA", "n/a"),
    ("TSMC has 90,000 employees", "TSMC has some like 90,000 engineers", "n/a"),  # two particular words differ
])
def test_numbers_compare_value_and_unit(claim, passage, outcome):
    got, detail = compare_numbers(parse_quantities(claim), parse_quantities(passage))
    assert got == outcome, detail
    if outcome == "fail":
        assert "the claim says" in detail and "the passage says" in detail


# -- entities ---------------------------------------------------------------------------------------------------


def test_entities_are_names_acronyms_and_model_names():
    assert claim_entities("DeepSeek trained R1 on H800 chips from TSMC") == ["DeepSeek", "R1", "H800", "TSMC"]
    assert claim_entities("Elon Musk's Memphis cluster has 200,000 GPUs") == ["Elon Musk", "Memphis", "GPUs"]
    # a capital that only starts the sentence, and numbers with suffixes, are not names
    assert claim_entities("However, it was released on January 27th") == ["January"]


def test_missing_entities_tolerates_spelling_and_partial_names():
    text = "Elon's cluster in Memphis. Deep Seek released o3 mini"
    assert missing_entities(["Elon Musk", "Memphis", "DeepSeek", "o3-mini"], text) == []
    assert missing_entities(["Anthropic", "Memphis"], text) == ["Anthropic"]
    assert missing_entities(["Nathan"], "I work at the Allen Institute", speakers=["Nathan Lambert"]) == []
    # a place said in another way
    assert missing_entities(["United States", "China"], "capacity in the US, which the Chinese lack") == []
    assert missing_entities(["United Kingdom"], "capacity in the US") == ["United Kingdom"]
    # "us" the pronoun is not the country, nor is "states" alone the United States
    assert missing_entities(["US", "United States"], "tell us about the states") == ["US", "United States"]
    assert missing_entities(["U.S."], "the U.S. government") == []


def test_an_acronym_the_claim_spells_out_is_checked_as_the_full_name():
    assert claim_entities("the TI calculator, since Texas Instruments makes it") == ["Texas Instruments"]


# -- negation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim, sentence, conflict", [
    ("R1 is closed-weight", "Plus, R1 is open-weight and o3-mini is not.", "'closed'"),
    ("R1 is open-weight", "Plus, R1 is open-weight and o3-mini is not.", None),  # the 'not' is o3-mini's
    ("the US government never banned the H800", "the US government banned the H800.", "negated"),
    ("the alignment of these models is unclear", "Today, the alignment of these models is very clear.", "'clear'"),
    ("Stargate doesn't have $500 billion", "It definitely doesn't have $500 billion.", None),
    ("DeepSeek was not profitable", "We haven't defined chain of thought.", None),  # another proposition
    # an auxiliary is not a shared word: 'has' does not make one the other's negation
    ("DeepSeek has 10,000 H100s", "Because DeepSeek has not raised much money.", None),
    ("DeepSeek has 10,000 H100s", "DeepSeek has not got 10,000 H100s.", "negated"),
    # the same event on the other side of the same anchor, even when the anchor sits in a clause of its own
    ("the October 2022 export rule came only after ChatGPT had been released",
     "the US government realized in October 7th, 2022, before ChatGPT released, that restriction", "“before ChatGPT"),
    ("they trained it after the holidays", "we did that before the launch", None),  # another anchor
    # "not just X" says X and more: the opposite of "a pure X", no negation of "X"
    ("Nemotron 3 is a pure transformer model",
     "I love about Nemotron 3 is it's not just a pure transformer model, it's transformer and SSMs.", "not just"),
    ("Nemotron 3 is a transformer model", "Nemotron 3 is not just a transformer model, it's also SSMs.", None),
    ("Nemotron 3 is not a transformer model", "Nemotron 3 is not just a transformer model.", "negated"),
    # 'rarely' denies what usually holds
    ("the power grid rarely has excess power", "And so 99% of the time, our power grid has excess power.", "negated"),
    ("the model rarely used Heartbeat", "And the model rarely used Heartbeat, but then I was in the hospital.", None),
    # speech: the topic named before 'that was', a word said twice, a filler between commas are one clause
    ("putting CUDA on GeForce was an easy decision", "Well, the putting CUDA on GeForce, that was a strategic "
     "decision that was very, very hard to do, because it cost the company enormous amounts", "'hard'"),
    ("it's very hard to add a feature", "Features, of course, like, it's very easy to, like, add a feature.", "'easy'"),
    ("adding a feature is easy", "Adding a feature is easy, but shipping it is hard.", None),  # another clause
])
def test_polarity_conflicts_are_judged_within_the_matching_clause(claim, sentence, conflict):
    got = polarity_conflict(claim, sentence)
    if conflict is None:
        assert got is None
    else:
        assert got is not None and conflict in got


# -- language ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, language", [
    ("Dylan Patel dit que DeepSeek a environ 50 000 GPU", "French"),
    ("Nathan sagt, dass R1 geschlossene Gewichte hat", "German"),
    ("迪伦说DeepSeek大约有5万个GPU", "Chinese"),
    ("R1 costs two dollars per million output tokens and o1 costs $60", None),
    ("Lex said o3-mini is open-weight", None),
    ("GPUs?", None),  # too short to tell
    ("Джексон говорит, что у DeepSeek 50 000 GPU", "Russian"),
    ("Jensen dice che CUDA è gratuito", "Italian"),
    # short English claims of names and a few words, which read as Aragonese, Dutch, Danish or Hausa to the model
    ("Llama 4 is a dense model", None),
    ("DeepSeek V3 is open weight", None),
    ("Jensen loves CUDA", None),
    ("he ran a marathon in Antarctica", None),
    ("Moltbook went viral", None),
])
def test_foreign_language_is_recognised(text, language):
    assert foreign_language(text) == language


# -- the decision -----------------------------------------------------------------------------------------------


def _candidate(speaker, label, score=0.7, start=10.0):
    chunk = Chunk("c", "ep", "transcript", "text", start, start + 5, [speaker], None, None,
                  [Moment(0, start, speaker)], 0)
    c = Candidate(Passage(chunk, 1.0, 1, None), 0, f"{speaker} sentence", "", start, start + 5, speaker)
    c.label, c.score, c.similarity, c.decided_by = label, score, score, "similarity"
    return c


def test_decision_prefers_the_named_speaker_then_someone_else_then_contradiction():
    dylan, nathan = _candidate("Dylan Patel", "supported"), _candidate("Nathan Lambert", "supported")
    assert decide(("Nathan Lambert",), [dylan, nathan]).evidence[0] is nathan
    d = decide(("Lex Fridman",), [dylan, nathan])
    assert d.verdict == "misattributed" and d.decided_by == "speaker" and "Dylan Patel said it" in d.explanation
    assert decide((), [_candidate("Dylan Patel", "contradicted")]).verdict == "contradicted"
    assert decide((), [_candidate("Dylan Patel", "unrelated")]).verdict == "not_found"
    assert decide((), []).verdict == "not_found"


def test_a_much_closer_contradiction_outweighs_a_weak_support():
    weak, strong = _candidate("Dylan Patel", "supported", 0.55), _candidate("Dylan Patel", "contradicted", 0.85)
    assert decide((), [strong, weak]).verdict == "contradicted"
    assert decide((), [_candidate("Dylan Patel", "contradicted", 0.6), weak]).verdict == "supported"


def test_a_sentence_beside_one_that_gives_another_figure_does_not_back_the_claim():
    """It backs the claim's words but not its figure, and the sentence before it gives another figure."""
    text = ("About three years ago, I convinced several of the CEOs. At first it sounded ridiculous, but they "
            "believed me.")
    chunk = Chunk("c", "ep", "transcript", text, 10.0, 20.0, ["Jensen Huang"], None, None,
                  [Moment(0, 10.0, "Jensen Huang")], 0)
    passage = Passage(chunk, 1.0, 1, None)
    first, second = text.split(". ", 1)
    cands = [Candidate(passage, 0, first + ".", text, 10.0, 15.0, "Jensen Huang"),
             Candidate(passage, 1, second, text, 15.0, 20.0, "Jensen Huang")]
    for c, (sim, cov) in zip(cands, [(0.6, 0.6), (0.7, 0.6)]):
        c.similarity = c.sentence_similarity = sim
        c.coverage = c.sentence_coverage = cov
        c.score = 0.7 * sim + 0.3 * cov
    statement = "a decade ago he convinced several CEOs, who believed him"
    judge_offline(statement, cands, ClaimConfig())
    assert [(c.label, c.decided_by) for c in cands] == [("contradicted", "numbers"), ("unrelated", "numbers")]
    assert decide((), cands).verdict == "contradicted"


def _judged(statement, sentences, background="DeepSeek and Meta.", coverage=0.25):
    """Each (sentence, similarity) judged against the statement as one passage's candidates, in a passage that
    opens with `background`."""
    text = f"{background} " + " ".join(s for s, _ in sentences)
    chunk = Chunk("c", "ep", "transcript", text, 10.0, 40.0, ["Dylan Patel"], None, None,
                  [Moment(0, 10.0, "Dylan Patel")], 0)
    passage = Passage(chunk, 1.0, 1, None)
    cands = []
    for i, (sentence, sim) in enumerate(sentences):
        c = Candidate(passage, i, sentence, sentence, 10.0 + 10 * i, 20.0 + 10 * i, "Dylan Patel")
        c.similarity = c.sentence_similarity = sim
        c.coverage = c.sentence_coverage = coverage
        c.score = 0.7 * sim + 0.3 * coverage
        cands.append(c)
    judge_offline(statement, cands, ClaimConfig())
    return cands


def test_the_claims_figure_given_to_another_named_thing_contradicts_it_however_it_is_worded():
    """'10,000 H100s' against 'It was 10,000 A100 GPUs.': the number attached to the wrong thing is the evidence,
    though the sentence's wording is far from the claim's (similarity under the topical gate), and it is shown
    before another figure for the claim's thing said of something else."""
    llama, a100 = _judged("DeepSeek has 10,000 H100s", [("So, like Llama 3, they trained on 16,000 H100s.", 0.58),
                                                        ("It was 10,000 A100 GPUs.", 0.41)])
    assert (a100.label, a100.decided_by) == ("contradicted", "numbers") and "'10,000 A100'" in a100.reason
    assert llama.label == "contradicted"
    d = decide(("Dylan Patel",), [llama, a100])
    assert d.verdict == "contradicted" and d.evidence[0] is a100
    # the claim's own name missing from the passage is the point, not a reason to set the sentence aside
    (h100,) = _judged("Meta trained Llama 3 on 16,000 A100s",
                      [("So, like Llama 3, they trained on 16,000 H100s.", 0.6)])
    assert (h100.label, h100.decided_by) == ("contradicted", "numbers")
    # the same figure for the same thing still backs it; a bare coincidence of numbers without names is no evidence
    (same,) = _judged("DeepSeek has 10,000 A100s", [("It was 10,000 A100 GPUs.", 0.41)])
    assert same.label != "contradicted"
    (bare,) = _judged("DeepSeek has 10,000 GPUs", [("There were 10,000 people at the show.", 0.3)])
    assert bare.label == "unrelated"


def test_a_sentence_stating_the_claims_figure_of_another_thing_beside_the_claims_own_does_not_back_it():
    """Jensen: Moore's Law gave 100 times in ten years, NVIDIA a million times. The sentence with 'a million times'
    is not about Moore's Law: the sentence before gives Moore's Law its figure."""
    text = ("And so in the last 10 years, Moore's Law would have progressed computing about 100 times in the last 10 "
            "years. We progressed and scaled up computing by a million times in the last 10 years.")
    first, second = text.split(". ")
    cands = _judged("Moore's Law would have progressed computing about a million times in the last 10 years",
                    [(first + ".", 0.95), (second, 0.9)], background="Moore's Law.")
    for c in cands:
        c.window = text
    judge_offline("Moore's Law would have progressed computing about a million times in the last 10 years", cands,
                  ClaimConfig())
    assert [(c.label, c.decided_by) for c in cands] == [("contradicted", "numbers")] * 2
    assert "where the passage says '100 times'" in cands[1].reason


@pytest.mark.parametrize("text, names", [
    ("NVIDIA is at CUDA 12", ["CUDA 12"]),
    ("Llama 3 was trained on 16,000 H100s", ["Llama 3"]),
    ("he uses Opus 4.6 for coding", ["Opus 4.6"]),
    ("Maybe 3 people came", []),  # a count after a word that opens the sentence
    ("released in October 2022", []),
])
def test_names_with_a_version_are_read_off_the_claim(text, names):
    assert versioned_names(text) == names


@pytest.mark.parametrize("names, sentence, other", [
    (["CUDA 12"], "We're at CUDA 13.2, and so we're evolving the architecture", ("CUDA 12", "CUDA 13.2")),
    (["Llama 3"], "now 100,000 GPUs that they're training on Llama 4 on currently", ("Llama 3", "Llama 4")),
    (["Llama 3"], "So, like Llama 3, they trained on 16,000 H100s.", None),
    (["Llama 3"], "I'm serving Llama 405b on it", None),  # a size, not a version
    (["CUDA 13.2"], "we were going to continue to make CUDA 1, 2, 3, 13", None),  # a list of them
])
def test_a_sentence_about_another_version_of_the_claims_name_is_recognised(names, sentence, other):
    assert other_version(names, sentence) == other


def test_says_finds_words_and_versions_not_inside_longer_ones():
    assert says("it was a very easy decision", "easy") and not says("it was easygoing", "easy")
    assert says("now using Gemini 2.0 Flash", "gemini 2.0") and not says("Gemini 2.05", "Gemini 2.0")


def test_what_would_back_the_claim_said_of_another_version_contradicts_it():
    """'we're now using Gemini 2.0 Flash Thinking' against 'Lex used Gemini 1.5 Flash Thinking'; a sentence about
    Gemini that says no version is no support either."""
    other, vague = _judged("Lex used Gemini 1.5 Flash Thinking", [
        ("So, we're now using Gemini 2.0 Flash Thinking Experimental.", 0.85),
        ("Gemini Flash Thinking is what I used for this.", 0.8)], background="Lex and Gemini.", coverage=0.6)
    assert (other.label, other.decided_by) == ("contradicted", "entities") and "'Gemini 2.0'" in other.reason
    assert (vague.label, vague.decided_by) == ("unrelated", "entities") and "Gemini 1.5" in vague.reason
    (same,) = _judged("Lex used Gemini 2.0 Flash Thinking", [
        ("So, we're now using Gemini 2.0 Flash Thinking Experimental.", 0.85)], background="Lex.", coverage=0.6)
    assert same.label == "supported"


def test_a_sentence_that_does_not_say_the_claims_version_does_not_back_it():
    """'NVIDIA is going to keep CUDA around' is about CUDA, not about the claim's CUDA 12."""
    (vague,) = _judged("NVIDIA is at CUDA 12", [("NVIDIA is going to keep CUDA around and maintain it.", 0.8)],
                       background="NVIDIA.", coverage=0.67)
    assert (vague.label, vague.decided_by) == ("unrelated", "entities") and "CUDA 12" in vague.reason
    (said,) = _judged("NVIDIA is at CUDA 12", [("NVIDIA is at CUDA 12 today.", 0.9)], background="NVIDIA.",
                      coverage=1.0)
    assert said.label == "supported"


def test_a_sentence_that_never_says_the_disputed_word_does_not_back_the_claim():
    """Another sentence says the opposite of the claim's 'easy': one on the same topic that never says 'easy' is
    no support for it (it backed the claim before, by its shared words)."""
    topic, hard = _judged("putting CUDA on GeForce was an easy decision", [
        ("We ought to put CUDA on GeForce and put it into every single PC.", 0.8),
        ("Putting CUDA on GeForce, that was a strategic decision that was very, very hard to do.", 0.85)],
        coverage=0.6)
    assert (hard.label, hard.decided_by) == ("contradicted", "negation")
    assert (topic.label, topic.decided_by) == ("unrelated", "negation") and "'easy'" in topic.reason
    assert decide(("Dylan Patel",), [topic, hard]).verdict == "contradicted"
    # a sentence that does say the word still backs it
    easy, _ = _judged("putting CUDA on GeForce was an easy decision", [
        ("Putting CUDA on GeForce was an easy decision for us.", 0.9),
        ("Putting CUDA on GeForce, that was a strategic decision that was very, very hard to do.", 0.85)],
        coverage=0.6)
    assert easy.label == "supported"


def test_a_comparison_is_backed_only_by_a_sentence_that_compares():
    """Which way a comparison goes is read from a 'than'; a sentence on the topic that compares nothing backs
    neither way round."""
    (c,) = _judged("DeepSeek has more GPUs than Meta", [("Meta has hundreds of thousands of GPUs for DeepSeek.", 0.8)])
    assert (c.label, c.decided_by) == ("unrelated", "roles")
    (c,) = _judged("DeepSeek has more GPUs than Meta", [("DeepSeek has more GPUs than Meta does.", 0.9)], coverage=1.0)
    assert c.label == "supported"


def test_the_claims_own_figure_negated_contradicts_it_and_never_backs_it():
    # worded far enough from the claim that a negation alone would not count (sentence similarity under 0.55)
    (c,) = _judged("DeepSeek will cost $500 billion",
                   [("It definitely doesn't have $500 billion, doesn't even have $100 billion.", 0.5)])
    assert (c.label, c.decided_by) == ("contradicted", "negation")


def test_a_sentence_about_another_place_does_not_back_the_claims():
    assert other_place("the first Stargate site is in Memphis",
                       "So, Stargate is in Abilene, Texas, the first $100 billion of it.") == \
        "the sentence is about Abilene, not Memphis"
    assert other_place("the first Stargate site is in Abilene", "So, Stargate is in Abilene, Texas.") is None
    assert other_place("xAI built its cluster in Tennessee", "Elon's cluster in Memphis, 200,000 GPUs.") is None
    assert other_place("TSMC builds fabs in Arizona", "TSMC has built 20% of their capacity in the US.") is None
    assert other_place("TSMC builds fabs in Japan", "TSMC has built 20% of their capacity in the US.")
    assert other_place("TSMC builds fabs in Japan", "Let us build it.") is None  # 'us' is no place
    # Memphis is named in the passage (so the claim's names are all there), but not by the sentence
    (c,) = _judged("the first DeepSeek site is in Memphis", [("So, DeepSeek is in Abilene, Texas.", 0.8)],
                   background="DeepSeek, xAI and Memphis.")
    assert (c.label, c.decided_by) == ("unrelated", "entities")


def test_what_the_named_speaker_says_against_it_outweighs_someone_elses_support():
    """'Peter ran PSPDFKit for 3 years': Lex's 'vanished for three years' backs the words, Peter's '13 years'
    refutes the figure."""
    lex = _candidate("Lex Fridman", "supported", 0.6)
    peter = _candidate("Peter Steinberger", "contradicted", 0.55)
    assert decide(("Peter Steinberger",), [lex, peter]).verdict == "contradicted"
    # unless the other's words are much closer to the claim
    assert decide(("Peter Steinberger",), [_candidate("Lex Fridman", "supported", 0.8), peter]).verdict == \
        "misattributed"


# -- the checker on the tiny corpus -----------------------------------------------------------------------------


@pytest.mark.parametrize("claim, verdict, decided_by", [
    ("Dylan says DeepSeek has about 50,000 GPUs", "supported", "numbers"),
    ("Nathan says DeepSeek has about 50,000 GPUs", "misattributed", "speaker"),
    ("Dylan says DeepSeek has about 20,000 GPUs", "contradicted", "numbers"),
    ("Dylan says the bakery opened in Lisbon sells croissants", "not_found", None),
])
def test_checker_on_the_tiny_corpus(tiny_assistant, claim, verdict, decided_by):
    result = tiny_assistant.check_claim(claim, "tiny-459")
    assert result.verdict == verdict, result.explanation
    if decided_by:
        assert result.decided_by == decided_by
    if verdict in ("supported", "misattributed", "contradicted"):
        first = result.evidence[0]
        assert first.start == 15.0 and first.speaker == "Dylan Patel" and "50,000" in first.quote
        assert first.url == "https://www.youtube.com/watch?v=abc123&t=15"
    data = result.to_json()
    assert data["verdict"] == verdict and data["explanation"] and isinstance(data["evidence"], list)
    assert data["verdict"] in VERDICTS


def test_claim_evidence_does_not_go_through_the_moment_ranking(tiny_assistant, monkeypatch):
    """The checker judges every sentence of the fused passages itself; the answer's moment ranking (tuned for
    answers) is not asked, so changing it cannot move a claim's evidence."""

    class Refuses:
        def rerank(self, *args, **kwargs):
            raise AssertionError("a claim check went through the moment ranking")

    assert tiny_assistant.retriever.reranker is not None  # the default: answers are re-ranked by moment
    monkeypatch.setattr(tiny_assistant.retriever, "reranker", Refuses())
    result = tiny_assistant.check_claim("Dylan says DeepSeek has about 50,000 GPUs", "tiny-459")
    assert result.verdict == "supported" and result.evidence[0].start == 15.0


def test_empty_and_huge_claims_are_refused_with_a_clear_message(tiny_assistant):
    with pytest.raises(ClaimError, match="the claim is empty"):
        tiny_assistant.check_claim("   ")
    with pytest.raises(ClaimError, match=r"10,000 characters long; the limit is 1,000"):
        tiny_assistant.check_claim("x" * 10_000)


def test_a_claim_in_another_language_is_not_guessed(tiny_assistant):
    result = tiny_assistant.check_claim("Dylan Patel dit que DeepSeek a environ 50 000 GPU")
    assert result.verdict == "not_found" and result.decided_by == "language"
    assert "French" in result.explanation and not result.evidence


def test_an_unknown_episode_is_an_error(tiny_assistant):
    from rag.errors import UnknownEpisodeError

    with pytest.raises(UnknownEpisodeError, match="no episode 'nope'"):
        tiny_assistant.check_claim("Dylan says DeepSeek has GPUs", "nope")


# -- the real #459 cases ----------------------------------------------------------------------------------------

# Known failures of the offline heuristics, kept visible (strict: the test fails if one starts passing).
KNOWN_FAILURES = {
    "o04": "'they were fantastically profitable' names DeepSeek only as 'they': no clause shares two words",
    "h17": "'the five levels' states 'five' with the unit 'level': the number check cannot tell 'level five'",
    "h24": "'2 nanometer' against 'five nanometer' about TSMC: a number conflict on a topic the claim merely touches",
    "h28": "'open domain' vs 'It's a closed domain.': that sentence is too short to reach the polarity threshold",
}


def _cases(name):
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


CASES = _cases("claims_459.jsonl") + _cases("claims_459_heldout.jsonl")


@pytest.mark.slow
@pytest.mark.parametrize("case", [
    pytest.param(c, id=c["id"], marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[c["id"]])]
                 if c["id"] in KNOWN_FAILURES else []) for c in CASES
])
def test_459_claim(corpus_assistant, case):
    result = corpus_assistant.check_claim(case["claim"], case["episode"])
    assert result.verdict == case["expected"], result.explanation
    if case["minutes"]:
        minute = int(result.evidence[0].start // 60)
        assert minute in case["minutes"], f"evidence at minute {minute}: {result.explanation}"
    else:
        assert not result.evidence


@pytest.mark.slow
@pytest.mark.parametrize("claim, verdict, minute, why", [
    # the number attached to the wrong chip, found however the sentence is worded (not Llama 3's 16,000 H100s)
    ("Dylan says DeepSeek has 10,000 H100s", "contradicted", 52, "the passage says '10,000 A100'"),
    ("Lex says R1 is better than o3-mini at brainstorming", "contradicted", 2, "“o3-mini … better than R1”"),
    ("Peter says he built the first OpenClaw prototype in a week", "contradicted", 5, "the passage says 'one hour'"),
    ("Dylan says the first Stargate site is in Memphis", "not_found", None, "about Abilene, not Memphis"),
    ("Peter says he ran PSPDFKit for 3 years", "contradicted", 130, "the passage says '13 years'"),
    ("Peter says OpenClaw has over 100,000 GitHub stars", "misattributed", 6, "Lex Fridman said it"),
    ("Peter says data centers use more water than golf", "contradicted", 189, "the other way round"),
    ("Jensen says each rack has about one and a half million components", "supported", 43, "Jensen Huang said it"),
    ("Jensen says Nemotron 3 is a pure transformer model", "contradicted", 66, "not just"),
    ("Jensen says Nemotron 3 combines transformers and SSMs", "supported", 66, "Jensen Huang said it"),
    ("Dylan says Llama 3 was trained on 16,000 H100s", "supported", 58, "the numbers match ('16,000 H100s')"),
    ("Jensen says Moore's Law would have progressed computing about a million times in the last 10 years",
     "contradicted", 38, "the passage says '100 times'"),
    ("Jensen says the power grid rarely has excess power", "contradicted", 48, "only the claim is negated"),
    ("Jensen says putting CUDA on GeForce was an easy decision", "contradicted", 10, "the passage says 'hard'"),
    ("Peter says it's very hard to add a feature", "contradicted", 83, "“of course it’s very easy to add a feature.”"),
    ("Lex says he used Gemini 1.5 Flash Thinking", "contradicted", 179, "the passage says 'Gemini 2.0'"),
    ("Dylan says Meta is training Llama 3 on 100,000 GPUs", "contradicted", 221, "the passage says 'Llama 4'"),
    ("Jensen says NVIDIA is at CUDA 12", "not_found", None, "not mentioned: CUDA 12"),
    # a short English claim is checked, not reported as written in another language
    ("Lex said he ran a marathon in Antarctica", "not_found", None, "Not found"),
])
def test_claims_a_user_checks_get_the_verdict_and_the_moment_that_decides_it(corpus_assistant, claim, verdict,
                                                                              minute, why):
    result = corpus_assistant.check_claim(claim)
    assert result.verdict == verdict and why in result.explanation, result.explanation
    if minute is not None:
        assert int(result.evidence[0].start // 60) == minute, result.explanation


# Floors: the verdicts right on each dev set when these were last measured (README, "Check a claim"); a change that
# loses one fails here. The #491/#494 set was written for the mechanisms of rag/claims/binding.py (see its file);
# dev2 was written without reading the checker, mostly paraphrases, and is the hardest (README-dev2.md).
ACCURACY_FLOORS = {"claims_459.jsonl": 50, "claims_459_heldout.jsonl": 28, "claims_491_494.jsonl": 60,
                   "claims_dev2.jsonl": 28}


@pytest.mark.slow
def test_dev_claim_accuracy_is_as_reported(corpus_assistant):
    """The figures in the README: verdict accuracy and confusion table on each dev claim set (printed with -s)."""
    from rag.evaluation.claims import report_rows, run_claims

    for name, at_least in ACCURACY_FLOORS.items():
        results, confusion = run_claims(corpus_assistant, DATA / name)
        print("\n" + "\n".join(report_rows(name, results, confusion)))
        assert confusion.right >= at_least, f"{name}: {confusion.right}/{confusion.total}"
        # when the verdict is right, its evidence is at the moment the case names
        moments = [r.right_moment for r in results if r.correct and r.right_moment is not None]
        assert sum(moments) >= 0.9 * len(moments)


def test_without_a_transcript_a_claim_is_not_checked_rather_than_not_found(assistant, tmp_path):
    """Only a transcript says who said what: against a summary alone, "not found" would read as "never said"."""
    from tests.conftest import write_episode

    write_episode(tmp_path / "c" / "sum-1", meta={"id": "sum-1", "title": "Summary only"},
                  summary="Summary\n1. Compute\nDylan says DeepSeek has about 50,000 GPUs. ([0:15])\n")
    assert assistant.ingest([tmp_path / "c"]).ok
    with pytest.raises(ClaimError, match="no indexed episode has a transcript to check the claim against"):
        assistant.check_claim("Dylan says DeepSeek has about 50,000 GPUs")
    with pytest.raises(ClaimError, match="sum-1 has no transcript to check the claim against"):
        assistant.check_claim("Dylan says DeepSeek has about 50,000 GPUs", "sum-1")
    # with a transcript beside it, the summary-only episode is still refused by name
    write_episode(tmp_path / "c" / "talk-1", [("00:00:00.000", "00:00:05.000", "Dylan Patel", "We have 50,000 GPUs.")],
                  meta={"id": "talk-1", "title": "Talk"})
    assert assistant.ingest([tmp_path / "c"]).ok
    assert assistant.check_claim("Dylan says they have 50,000 GPUs").verdict == "supported"
    with pytest.raises(ClaimError, match="sum-1 has no transcript"):
        assistant.check_claim("Dylan says DeepSeek has about 50,000 GPUs", "sum-1")
