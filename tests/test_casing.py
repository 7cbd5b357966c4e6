"""rag/casing.py: the words the episodes write as names, so a question typed in lower case still names them."""

from rag.casing import CaseTally, as_written, typed_in_lower_case, written_as_name
from rag.claims import claim_entities
from rag.claims.quantities import versioned_names
from rag.moment_rank import asked_names


def _names(*texts):
    tally = CaseTally()
    tally.update(texts)
    return tally.names()


def test_a_word_written_capitalised_mid_sentence_is_a_name():
    names = _names("We asked TSMC in Arizona about it. The fab in Arizona is slow.",
                   "So the chips ship. Chips are late, and the chips cost more.")
    assert {"tsmc", "arizona"} <= names
    assert "chips" not in names  # capitalised only where a sentence starts
    assert "the" not in names and "so" not in names and "we" not in names


def test_capitals_a_speaker_label_or_a_list_gives_are_not_counted():
    names = _names("Nathan Lambert: Yeah, it works.\n- Compute matters.\n1. Training is cheap.",
                   "yeah, compute and training")
    assert "lambert" in names
    assert not {"yeah", "compute", "training"} & names


def test_a_word_written_both_ways_is_a_name_only_when_mostly_capitalised():
    assert "apple" in _names("they like Apple and Apple likes them, an apple")
    assert "apple" not in _names("they like Apple, an apple a day, the apple tree")


def test_written_as_name_takes_possessives_and_every_part_of_a_hyphenated_word():
    cased = frozenset({"ai", "arc", "agi", "tsmc", "jensen"})
    assert written_as_name("tsmc's", cased) and written_as_name("jensen’s", cased)
    assert written_as_name("arc-agi", cased)
    assert not written_as_name("ai-generated", cased)  # only its "AI" is a name
    assert not written_as_name("chips", cased)


def test_a_question_typed_in_lower_case_names_what_the_episodes_write_as_names():
    cased = frozenset({"tsmc", "arizona", "nvidia"})
    assert typed_in_lower_case(["did", "they", "talk", "about", "tsmc"])
    assert not typed_in_lower_case(["Did", "they", "talk", "about", "TSMC"])
    assert asked_names("did they talk about tsmc's fab in arizona?", cased) == ["tsmc", "arizona"]
    assert asked_names("did they talk about tsmc's fab in arizona?") == []  # without the index's words
    # a question with capitals is read as written: its lower-case words are not names
    assert asked_names("Did Jensen talk about nvidia?", cased) == ["jensen"]
    # a place on rag/places.py's list is a name even when the episodes never say it; the pronoun "us" is not
    assert asked_names("did they tell us about tsmc's fab in japan?", cased) == ["tsmc", "japan"]


def test_a_claim_typed_in_lower_case_gets_the_capitals_its_checks_read_names_by():
    cased = frozenset({"nvidia", "cuda", "tsmc", "arizona", "ai"})
    claim = as_written("the fab tsmc built in arizona runs on nvidia's cuda 12", cased)
    assert claim == "the fab Tsmc built in Arizona runs on Nvidia's Cuda 12"
    assert claim_entities(claim) == ["Tsmc", "Arizona", "Nvidia", "Cuda"] and versioned_names(claim) == ["Cuda 12"]
    assert claim_entities("the fab tsmc built in arizona runs on nvidia's cuda 12") == []  # what it lost
    # a claim with capitals of its own is read as written; a hyphenated word only when each part is a name
    assert as_written("the fab TSMC built in arizona", cased) == "the fab TSMC built in arizona"
    assert as_written("an ai-generated tweet", cased) == "an ai-generated tweet"
