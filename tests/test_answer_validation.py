"""Checks on generated answers: citations that name no source, sentences that cite nothing, sources that do not
say what the sentence claims. The support check runs the real embedding model."""

import pytest

from rag.answer.validation import (
    CitationFilter,
    MomentFinder,
    SupportConfig,
    check_support,
    citation_numbers,
    is_not_covered,
    split_answer,
    strip_citations,
)
from rag.models import Chunk, Moment, Passage


def passage(sentences: list[tuple[float, str, str]], episode="ep") -> Passage:
    """A passage of (start, speaker, sentence)."""
    text, moments = "", []
    for start, speaker, sentence in sentences:
        if text:
            text += " "
        moments.append(Moment(len(text), start, speaker))
        text += sentence
    chunk = Chunk(f"{episode}-{sentences[0][0]}", episode, "transcript", text, sentences[0][0], sentences[-1][0] + 10,
                  list(dict.fromkeys(s for _, s, _ in sentences)), "Chapter", None, moments, 0)
    return Passage(chunk, 1.0, 1, None)


GPUS = passage([
    (10.0, "Lex Fridman", "So how many GPUs does DeepSeek really have?"),
    (15.0, "Dylan Patel", "We believe they actually have closer to 50,000 GPUs, spread over research and the "
                          "hedge fund."),
    (26.0, "Nathan Lambert", "The paper only talks about the 2,000 H800 chips used for the final pre-training run."),
])
BREAD = passage([
    (0.0, "Ana Silva", "We bake sourdough bread every morning at four, with a starter that is twelve years old."),
    (14.0, "Ana Silva", "The secret is a long cold fermentation of thirty six hours in the fridge."),
], episode="bread")


def run_filter(pieces: list[str], n_sources: int) -> tuple[list[str], CitationFilter]:
    f = CitationFilter(n_sources)
    shown = [f.feed(p) for p in pieces] + [f.flush()]
    return shown, f


def test_citations_are_parsed_in_their_usual_forms():
    assert citation_numbers("a [1]. b [2, 3] c [Source 4] d [1;5] e [0:57:36] f [laughs]") == [1, 2, 3, 4, 1, 5]
    assert strip_citations("They have 50,000 GPUs [1][2].") == "They have 50,000 GPUs."


def test_filter_renumbers_by_first_appearance_and_drops_invented_sources():
    shown, f = run_filter(["Dylan says 50,000 [", "3", "]. Nathan says 2,000 [1][", "9]. Again [3]."], 3)
    assert "".join(shown) == f.text == "Dylan says 50,000 [1]. Nathan says 2,000 [2]. Again [1]."
    assert f.order == [3, 1] and f.removed == [9]


def test_filter_holds_back_only_what_may_still_become_a_citation():
    f = CitationFilter(2)
    assert f.feed("They have") == "They have"
    assert f.feed(" about [") == " about"  # " [" may start a citation: held back
    assert f.feed("1") == ""
    assert f.feed("] GPUs") == " [1] GPUs"
    assert f.feed(" [laughs] ok") == " [laughs] ok"
    assert f.flush() == ""


def test_a_group_of_citations_keeps_the_valid_ones():
    shown, f = run_filter(["Claim [2, 7, 1]."], 2)
    assert f.text == "Claim [1][2]." and f.removed == [7]


def test_citation_at_the_start_of_a_sentence_belongs_to_the_one_before():
    sentences = split_answer("Dylan says they have 50,000 GPUs. [1] Nathan disagrees [2].\n- A list item [3]")
    assert [(s.claim, s.cited) for s in sentences] == [
        ("Dylan says they have 50,000 GPUs.", [1]), ("Nathan disagrees.", [2]), ("A list item", [3])]


@pytest.mark.parametrize("text", ["Not covered: the episodes do not answer this.",
                                  "The sources don't mention Sora.", "There is no information about that."])
def test_not_covered_paraphrases_are_recognised(text):
    assert is_not_covered(text)


def test_a_faithful_answer_is_supported(embedder):
    sentences = split_answer("Dylan Patel believes DeepSeek has closer to 50,000 GPUs [1]. "
                             "The paper only mentions 2,000 H800 chips for the final training run [1].")
    assert check_support(sentences, [GPUS], embedder.embed).unsupported == []


def test_each_claim_cites_the_moment_it_relies_on(embedder):
    """Two claims citing one passage get two numbers, each at its own sentence (not the passage start, which is
    Lex's question)."""
    finder = MomentFinder([GPUS, BREAD], embedder.embed)
    f = CitationFilter(2, lambda n, claim: (n, finder.find(n, claim)))
    shown = [f.feed(p) for p in ["Dylan Patel believes DeepSeek has closer to 50,000 GPUs [", "1]. Nathan says the ",
                                 "paper only mentions 2,000 H800 chips. [1] Ana ferments dough for 36 hours [2]. ",
                                 "DeepSeek has 50,000 GPUs [1]."]] + [f.flush()]
    assert "".join(shown) == ("Dylan Patel believes DeepSeek has closer to 50,000 GPUs [1]. Nathan says the paper "
                              "only mentions 2,000 H800 chips. [2] Ana ferments dough for 36 hours [3]. "
                              "DeepSeek has 50,000 GPUs [1].")
    assert f.order == [(1, 1), (1, 2), (2, 1)]


def test_uncited_and_off_source_sentences_are_marked(embedder):
    sentences = split_answer("Dylan says they have closer to 50,000 GPUs [1]. DeepSeek was founded by physicists. "
                             "Ana bakes bread every morning at four [1]. They run 90,000 GPUs in total [1].")
    report = check_support(sentences, [GPUS, BREAD], embedder.embed)
    reasons = {u.sentence: u.reason for u in report.unsupported}
    assert reasons["DeepSeek was founded by physicists."] == "no citation"
    assert reasons["Ana bakes bread every morning at four."].startswith("the cited source does not support it")
    assert reasons["They run 90,000 GPUs in total."] == "the cited source does not contain 90,000"
    assert "Dylan says they have closer to 50,000 GPUs." not in reasons
    # citing the right source makes the bread sentence supported
    fixed = check_support(split_answer("Ana bakes bread every morning at four [2]."), [GPUS, BREAD], embedder.embed)
    assert fixed.unsupported == []


@pytest.mark.slow  # judges meaning: the real model
def test_lead_ins_and_not_covered_sentences_need_no_citation(embedder):
    sentences = split_answer("Here is what they said:\nDylan says about 50,000 GPUs [1]. "
                             "The sources do not say what Nathan thought.")
    assert check_support(sentences, [GPUS], embedder.embed).unsupported == []


@pytest.mark.slow  # judges meaning: the real model
def test_threshold_separates_paraphrases_from_other_claims(embedder):
    """The calibration behind SupportConfig.min_similarity, on hand-written claims about the same passages."""
    supported = ["Dylan Patel believes DeepSeek has around 50,000 GPUs [1].",
                 "According to Dylan, the GPUs are split between research and the hedge fund [1].",
                 "Nathan Lambert notes the paper only mentions 2,000 H800 chips for the final run [1].",
                 "Ana ferments the dough cold for thirty six hours [2]."]
    unsupported = ["DeepSeek was founded in 2015 by a group of physicists [1].",
                   "Nathan thinks open models will win in the long run [1].",
                   "PWNED [1].", "The bakery is in Lisbon and opened last year [2]."]
    cfg = SupportConfig()
    for text in supported:
        assert check_support(split_answer(text), [GPUS, BREAD], embedder.embed, cfg).unsupported == [], text
    for text in unsupported:
        assert check_support(split_answer(text), [GPUS, BREAD], embedder.embed, cfg).unsupported, text


@pytest.mark.parametrize("claim, ok", [
    ("It activates 37 billion parameters per token [1].", True),  # spelled out in the transcript
    ("It has about 2,000 GPUs for the run [1].", True),
    ("They charge $60-70 per million tokens [1].", True),
    ("It activates 47 billion parameters per token [1].", False),
    ("It has about 20,000 GPUs for the run [1].", False),
])
def test_numbers_are_matched_whether_written_in_digits_or_words(embedder, claim, ok):
    source = passage([(0.0, "Nathan Lambert", "It has six hundred billion parameters but only activates "
                                              "thirty-seven billion parameters per token."),
                      (9.0, "Nathan Lambert", "They trained on about two thousand GPUs for the run."),
                      (15.0, "Dylan Patel", "The price used to be sixty to seventy dollars per million tokens.")])
    report = check_support(split_answer(claim), [source], embedder.embed)
    assert (not any("does not contain" in u.reason for u in report.unsupported)) is ok, report.unsupported
    if not ok:  # the reason quotes the number as the answer wrote it
        assert report.unsupported[0].reason.endswith(("contain 47 billion", "contain 20,000")), report.unsupported
