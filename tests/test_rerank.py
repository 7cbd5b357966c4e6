"""The moment ranker: passages ranked by their best moment, each carrying it (start, speaker, text)."""

import numpy as np

from rag.models import TranscriptSentence
from rag.moments import EpisodeMoments
from rag.rerank import _answer_span
from rag.settings import Settings


def test_passages_carry_their_best_moment_and_are_ranked_by_it(tiny_assistant):
    question = "How long is the dough kept cold in the fridge?"
    hits = tiny_assistant.search(question, k=3)
    assert hits and [p.rank for p in hits] == list(range(1, len(hits) + 1))
    best = hits[0].moment
    assert best is not None and "fermentation" in best.text
    assert best.start is not None and hits[0].chunk.start <= best.start <= hits[0].chunk.end
    assert [p.score for p in hits] == sorted((p.score for p in hits), reverse=True)


def test_a_name_the_question_asks_about_is_missing_near_the_moment(tiny_assistant):
    hits = tiny_assistant.search("What do they say about Sora and the dough?", k=3)
    assert hits and "sora" in hits[0].moment.missing and "sora" in hits[0].moment.unknown


def test_a_name_typed_in_lower_case_is_still_asked_about(tiny_assistant):
    # "deepseek" is written DeepSeek in the episodes: typed in lower case it is still what the question hinges on
    for question in ("How long is the dough kept cold at DeepSeek?", "how long is the dough kept cold at deepseek?"):
        hits = tiny_assistant.search(question, k=1)
        assert hits[0].chunk.episode_id == "tiny-500" and hits[0].moment.missing == ("deepseek",), question


def test_assistant_ranks_by_moment_by_default_and_can_be_told_not_to(tiny_assistant):
    assert Settings(_env_file=None).rerank is True
    assert tiny_assistant.retriever.reranker is not None
    hits = tiny_assistant.search("thirty six hours of cold fermentation", k=2)
    assert hits and hits[0].chunk.episode_id == "tiny-500"
    tiny_assistant.settings.rerank = False
    tiny_assistant.__dict__.pop("retriever", None)
    assert tiny_assistant.retriever.reranker is None
    assert all(p.moment is None for p in tiny_assistant.search("thirty six hours of cold fermentation", k=2))


def test_over_a_large_catalogue_moments_come_from_the_retrieved_passages_alone(tiny_assistant, monkeypatch):
    """Over more than GLOBAL_EPISODES episodes, no episode is built whole (~0.2 s each on first sight): the moments
    inside the retrieved passages compete, and the answer still lands on the moment."""
    import rag.rerank

    question = "How long is the dough kept cold in the fridge?"
    whole = tiny_assistant.search(question, k=3)
    built: list[str] = []
    store = tiny_assistant.moments
    original = store.get
    monkeypatch.setattr(store, "get", lambda e: built.append(e) or original(e))
    monkeypatch.setattr(rag.rerank, "GLOBAL_EPISODES", 0)
    hits = tiny_assistant.search(question, k=3)
    assert built == []
    assert hits[0].moment is not None and "fermentation" in hits[0].moment.text
    assert (hits[0].chunk.id, hits[0].moment.start) == (whole[0].chunk.id, whole[0].moment.start)


def _said(text, start, speaker):
    return TranscriptSentence(text, start, start + 5, speaker, "Chips")


def _span(sents, bounds):
    """The sentences the quote of moment 0 holds, given each moment's sentence bounds."""
    vectors = np.eye(len(sents), dtype=np.float32)
    a, b = _answer_span(EpisodeMoments("ep", sents, bounds, vectors, vectors, [frozenset()] * len(sents)), 0)
    return sents[a : b + 1]


def test_the_quote_opens_at_the_answer_and_leaves_out_the_next_question():
    """A question another speaker asks at the start of a moment is skipped (the quote opens at the answer); one
    asked at its end opens the next exchange and is left out, and so is another speaker's "Yeah." before it."""
    sents = [_said("So how many GPUs do they have?", 0, "Lex Fridman"),
             _said("We believe closer to 50,000 GPUs.", 5, "Dylan Patel"),
             _said("Spread over research and trading.", 10, "Dylan Patel"),
             _said("Yeah.", 15, "Nathan Lambert"),
             _said("Why doesn't Google sell TPUs?", 20, "Lex Fridman"),
             _said("Because they use them all.", 25, "Dylan Patel"),
             _said("Why would they sell them?", 30, "Dylan Patel")]
    others = [(i, i) for i in range(1, 7)]
    assert [s.text for s in _span(sents, [(0, 3)] + others)] == [
        "We believe closer to 50,000 GPUs.", "Spread over research and trading."]
    # the same question at the end of the speaker's own turn is part of what he says
    assert _span(sents, [(5, 6)] + others)[-1].text == "Why would they sell them?"


def test_the_quote_leaves_out_another_speakers_closing_words_cut_off_but_keeps_what_they_finish():
    sents = [_said("We believe closer to 50,000 GPUs.", 0, "Dylan Patel"),
             _said("That's a lot of GPUs.", 5, "Lex Fridman"),
             _said("We, as SemiAnalysis, so we should say", 8, "Lex Fridman"),
             _said("Yeah.", 10, "Dylan Patel")]
    others = [(i, i) for i in range(1, 4)]
    assert [s.text for s in _span(sents, [(0, 2)] + others)] == [
        "We believe closer to 50,000 GPUs.", "That's a lot of GPUs."]
    # the answering speaker's own last words stay, finished or not
    assert _span([sents[0], _said("and the rest of", 5, "Dylan Patel")], [(0, 1), (1, 1)])[-1].text == \
        "and the rest of"


def test_the_quote_runs_on_while_its_speaker_goes_on_up_to_quote_words(monkeypatch):
    """The fact asked for often comes a sentence or two after the moment that matched: the quote runs on through the
    same speaker's next sentences (its first second unchanged), not into another speaker's turn, a question of the
    speaker's own (it opens the next thread), the next chapter or past QUOTE_WORDS words."""
    import rag.rerank

    sents = [_said("The founder owns most of the company.", 0, "Dylan Patel"),
             _said("Like over half of it.", 5, "Dylan Patel"),
             _said("Fifty or sixty percent, and he is a very technical boss.", 10, "Dylan Patel"),
             _said("Is that normal in China?", 15, "Dylan Patel"),
             _said("Not at all.", 20, "Dylan Patel")]
    one = [(i, i) for i in range(len(sents))]
    assert [s.text for s in _span(sents, one)] == [s.text for s in sents[:3]]
    monkeypatch.setattr(rag.rerank, "QUOTE_WORDS", 12)
    assert [s.text for s in _span(sents, one)] == [s.text for s in sents[:2]]
    monkeypatch.setattr(rag.rerank, "QUOTE_WORDS", 100)
    sents[2] = _said("Fifty or sixty percent.", 10, "Nathan Lambert")
    assert [s.text for s in _span(sents, one)] == [s.text for s in sents[:2]]
    sents[2] = TranscriptSentence("Fifty or sixty percent.", 10, 15, "Dylan Patel", "Hedge funds")
    assert [s.text for s in _span(sents, one)] == [s.text for s in sents[:2]]


def test_the_answers_sentence_cut_off_by_a_yeah_is_quoted_to_its_end(monkeypatch):
    monkeypatch.setattr("rag.rerank.QUOTE_WORDS", 0)  # the quote's own end, not how far it may run on
    sents = [_said("There just won't be enough power, GPUs, infrastructure", 0, "Dylan Patel"),
             _said("Yeah.", 5, "Lex Fridman"),
             _said("to operate this, and shift everything in the world.", 6, "Dylan Patel"),
             _said("But who gets to point the AGI at a task?", 12, "Dylan Patel")]
    others = [(i, i) for i in range(1, 4)]
    assert [s.text for s in _span(sents, [(0, 1)] + others)] == [s.text for s in sents[:3]]
    # a question in between is no backchannel: the answer stops where it was cut off
    sents[1] = _said("Why power?", 5, "Lex Fridman")
    assert [s.text for s in _span(sents, [(0, 1)] + others)] == [sents[0].text]
    # a finished sentence needs no continuation
    sents[:2] = [_said("There won't be enough power.", 0, "Dylan Patel"), _said("Yeah.", 5, "Lex Fridman")]
    assert [s.text for s in _span(sents, [(0, 1)] + others)] == [sents[0].text]


def test_the_quote_opens_after_an_interrupted_start_or_a_yeah():
    sents = [_said("TS-", 0, "Dylan Patel"), _said("Yeah.", 2, "Lex Fridman"),
             _said("Arizona is getting better as time goes on.", 4, "Nathan Lambert"),
             _said("TSMC has built a fifth of its capacity there.", 9, "Dylan Patel")]
    bounds = [(0, 2), (1, 2), (2, 3), (3, 3)]
    quote = _span(sents, bounds)
    # opens at Nathan's answer, runs on by two sentences
    assert quote[0].speaker == "Nathan Lambert" and quote[-1] is sents[3]
    # a short sentence that says something is no interruption
    sents[0] = _said("TSMC is fine.", 0, "Dylan Patel")
    assert _span(sents, bounds)[0] is sents[0]
