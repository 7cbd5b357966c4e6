"""Answers written by the optional LLM, streamed, grounded in numbered sources, and checked before they are shown as
final.

`LLMAnswerer` builds the prompt (rag/answer/prompts.py), streams the reply of the one LLM client (rag/llm.py)
through the citation filter and checks it (rag/answer/validation.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer import final_answer
from rag.answer.citations import Links, at_moments, cite_sentence, no_links
from rag.answer.prompts import Titles, answer_messages
from rag.answer.validation import (
    CitationFilter,
    MomentFinder,
    SupportConfig,
    check_support,
    is_not_covered,
    split_answer,
)
from rag.embedding import CachedEmbedder
from rag.llm import Generation, LLMClient, LLMError, without_reasoning
from rag.models import Answer, Passage, Turn

NOT_COVERED_TEXT = "The episodes don't seem to cover this. The closest passages are listed below."

@dataclass(frozen=True)
class LLMAnswerConfig:
    max_sentences: int = 5
    closest: int = 3  # passages shown with an abstention
    support: SupportConfig = SupportConfig()


class LLMAnswerer:
    """Cited answers from an LLM: numbered sources in, streamed text out, then a checked `Answer`."""

    mode = "llm"

    def __init__(self, client: LLMClient, embedder: CachedEmbedder, links: Links | None = None,
                 titles: Titles | None = None, config: LLMAnswerConfig | None = None):
        self.client = client
        self.embedder = embedder
        self.links = links or no_links
        self.titles = titles
        self.config = config or LLMAnswerConfig()

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray | None = None,
               history: Sequence[Turn] = ()) -> Answer:
        """The `Answerer` protocol: the final answer, not streamed."""
        return final_answer(self.stream(question, passages, history))

    def stream(self, question: str, passages: list[Passage], history: Sequence[Turn] = (),
               deadline: float | None = None) -> Iterator[str | Answer]:
        """Text pieces as the LLM writes them (citations already renumbered, invented ones dropped), then the
        checked `Answer`. Raises `LLMError` when the LLM fails, at any point."""
        if not passages:
            yield NOT_COVERED_TEXT
            yield Answer(NOT_COVERED_TEXT, True, self.mode, [], model=self.client.label())
            return
        messages = answer_messages(question, passages, history, self.titles, self.config.max_sentences)
        generation = Generation()
        moments = MomentFinder(passages, self.embedder.embed)
        # a citation stands for (source number, sentence of that passage): its own moment
        citations = CitationFilter(len(passages), lambda n, claim: (n, moments.find(n, claim)))
        for piece in without_reasoning(self.client.stream(messages, deadline, generation)):
            shown = citations.feed(piece)
            if shown:
                yield shown
        tail = citations.flush()
        if tail:
            yield tail
        yield self.check(citations, passages, generation)

    def check(self, citations: CitationFilter, passages: list[Passage], generation: Generation) -> Answer:
        """The final answer: its citations resolved to moments, unsupported sentences and removed citations listed."""
        text = citations.text.strip()
        if not text:
            raise LLMError(f"the LLM at {self.client.settings.llm_place()} gave no answer text (only reasoning, or "
                           "citations of sources it was not given)")
        sentences = split_answer(text)
        model = generation.model or self.client.label()
        notice = None
        if generation.finish_reason == "length":
            notice = "The answer was cut off at the length limit (PODRAG_LLM_MAX_TOKENS)."
        if not citations.order and is_not_covered(text):
            closest = at_moments(passages, self.links, self.config.closest)
            return Answer(text, True, self.mode, [], closest=closest, notice=notice, model=model,
                          removed_citations=citations.removed, sentences=len(sentences))
        keys: list[tuple[int, int]] = citations.order  # new number k -> keys[k-1] = (source number, sentence)
        sources = [passages[n - 1] for n, _ in keys]
        report = check_support(sentences, sources, self.embedder.embed, self.config.support)
        cited = [cite_sentence(k, passages[n - 1], i, self.links) for k, (n, i) in enumerate(keys, start=1)]
        return Answer(text, False, self.mode, cited, notice=notice, model=model, unsupported=report.unsupported,
                      removed_citations=citations.removed, sentences=len(sentences))
