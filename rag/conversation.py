"""Follow-up questions: turn "and what did Nathan think about that?" plus the chat so far into a query that
retrieval can use on its own.

With an LLM, the LLM rewrites a follow-up (rag/answer/prompts.py, CONDENSE_SYSTEM). Without one, or when that
call fails, a follow-up (one that points back with "that", "it", "he", starts with "and", or is very short) gets the
subject of the previous questions carried over: their content words are appended to it, so the retrievers see
"what did Nathan think about that? GPUs DeepSeek" and find the passages about the earlier subject.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache

from rag.answer.prompts import clean_query, condense_messages
from rag.lexical import stopwords_plus
from rag.llm import LLMClient, LLMError
from rag.models import Turn

log = logging.getLogger(__name__)

_WORD = re.compile(r"[\w'’-]+")
_POINTS_BACK = re.compile(
    r"^\s*(?:and|but|so|also|then|what about|how about|why|really)\b"
    r"|\b(?:that|this|these|those|it|its|they|them|their|theirs|he|him|his|she|her|hers|there|the same|above)\b",
    re.I,
)
# Words that ask or converse rather than name a subject (and the stop words: `not_subject()`).
_ASKING = {
    "think", "thinks", "thought", "say", "says", "said", "tell", "told", "talk", "talks",
    "talked", "mention", "mentioned", "discuss", "discussed", "explain", "explained", "mean", "means", "believe",
    "believes", "feel", "feels", "view", "opinion", "really", "many", "much", "anything", "something", "else",
    "episode", "episodes", "podcast", "guest", "guests", "host", "according", "actually", "exactly", "kind",
    "lot", "get", "got", "like", "know", "knows", "want", "wants", "please", "give", "show", "also",
}
_SHORT = 4  # a question of this many words or fewer depends on what came before
_MAX_QUERY_WORDS = 60  # a condensed query longer than this is the model rambling


def is_follow_up(question: str) -> bool:
    """Whether the question leans on an earlier one ("and what did Nathan think about that?", "why?")."""
    return bool(_POINTS_BACK.search(question)) or len(_WORD.findall(question)) <= _SHORT


@lru_cache(maxsize=1)
def not_subject() -> frozenset[str]:
    return stopwords_plus() | _ASKING


def subject(question: str) -> list[str]:
    """The words of a question that name what it is about, in order: 'How many GPUs does DeepSeek have?' ->
    ['GPUs', 'DeepSeek']."""
    words = [w.strip("'’-") for w in _WORD.findall(question)]
    skip = not_subject()
    return list(dict.fromkeys(w for w in words if len(w) > 1 and w.lower() not in skip))


def carry_over(question: str, history: Sequence[Turn]) -> str:
    """The question with the previous questions' subject appended when it is a follow-up; otherwise unchanged.

    Earlier follow-ups inherit too, so a chain (question, follow-up, follow-up) keeps the first subject.
    """
    if not history or not is_follow_up(question):
        return question
    own = {w.lower() for w in subject(question)}
    carried: list[str] = []
    for turn in reversed(history):
        carried = [w for w in subject(turn.question) if w.lower() not in own and w not in carried] + carried
        if not is_follow_up(turn.question):
            break
    return f"{question.strip()} {' '.join(carried)}".strip() if carried else question


def condense(question: str, history: Sequence[Turn], client: LLMClient | None = None,
             deadline: float | None = None) -> str:
    """A standalone search query for `question` given the chat so far.

    With a `client`, the LLM rewrites a follow-up; if it fails or writes something unusable, the offline
    carry-over is used instead (the answer step reports an LLM failure if it persists). A question that stands
    on its own is searched as asked: a rewrite could only drift from the user's words, and costs a call.
    """
    if not history or not is_follow_up(question):
        return question
    if client is not None:
        try:
            text = clean_query(client.complete(condense_messages(question, history), deadline,
                                               max_tokens=100, temperature=0).text)
        except LLMError as exc:
            log.warning("condensing the follow-up with the LLM failed (%s); carrying the subject over", exc)
        else:
            if text and len(text.split()) <= _MAX_QUERY_WORDS:
                return text
            log.warning("the LLM's standalone query was unusable (%r); carrying the subject over", text[:80])
    return carry_over(question, history)
