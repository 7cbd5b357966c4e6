"""Answerers turn a question and retrieved passages into an `Answer` whose sentences cite numbered sources.

An answerer is anything with `answer(question, passages, query_vector) -> Answer`; the extractive one is the
offline default, the LLM one (rag/answer/llm.py) plugs in beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np

from rag.models import Answer, Passage


class Answerer(Protocol):
    mode: str

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer: ...


def final_answer(events: Iterable[str | Answer]) -> Answer:
    """The final `Answer` of a stream of text pieces that ends with it (what `ask_stream` yields)."""
    answer = None
    for event in events:
        if isinstance(event, Answer):
            answer = event
    if answer is None:
        raise RuntimeError("the answer stream ended without an Answer")
    return answer
