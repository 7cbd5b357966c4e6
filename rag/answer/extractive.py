"""The offline answerer: quote the few sentences of the retrieved passages that best answer the question.

Deterministic and model-free apart from the embedding model already loaded for retrieval. Each sentence is scored
by its cosine to the question and by how much of the question's (IDF-weighted) vocabulary it contains; the best
few, not repeating each other, become the answer, each quoted with its speaker and cited to its own moment.
When even the best evidence is weak, it abstains and lists the closest passages instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.embedding import CachedEmbedder
from rag.lexical import LexicalStore, tokenize
from rag.models import Answer, Citation, Evidence, Moment, Passage
from rag.timecodes import audio_link, video_link

_QUANTITY_QUESTION = re.compile(r"\b(how (many|much|long|big|large|old|often|fast)|what (year|percentage|share|number)|when)\b", re.I)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|trillion)\b", re.I)

ABSTAIN_TEXT = "The episodes don't seem to cover this. The closest passages are listed below."


@dataclass(frozen=True)
class ExtractiveConfig:
    max_sentences: int = 3
    max_words: int = 110
    min_words: int = 5  # "Yeah, exactly." answers nothing
    # score = semantic * cosine + lexical * IDF-weighted term coverage + the rest * the passage's own cosine
    semantic_weight: float = 0.5
    lexical_weight: float = 0.3
    answer_type_bonus: float = 0.05
    redundancy: float = 0.8  # a sentence this close (cosine) to one already chosen adds nothing
    keep_ratio: float = 0.9  # later sentences must score at least this share of the best one
    # Abstention. Calibrated on the answerable vs unanswerable questions of eval/datasets (see README, Evaluation):
    # abstain when the best sentence is both semantically far from the question and lexically thin.
    min_cosine: float = 0.45
    min_score: float = 0.42
    unknown_word_cosine: float = 0.6


def should_abstain(evidence: Evidence, cfg: ExtractiveConfig) -> bool:
    """The abstention rule: the best sentence is both semantically far from the question and lexically thin; or a
    word of the question that no passage of the corpus contains (a name, a topic) is strong evidence that the corpus
    does not cover it, which only a very close semantic match overrides."""
    weak = evidence.best_cosine < cfg.min_cosine and evidence.best_score < cfg.min_score
    off_topic = bool(evidence.unknown_words) and evidence.best_cosine < cfg.unknown_word_cosine
    return weak or off_topic


@dataclass
class _Candidate:
    passage: Passage
    sentence: str
    moment: Moment
    end: float | None
    semantic: float = 0.0
    lexical: float = 0.0
    score: float = 0.0
    vector: np.ndarray | None = None
    window: str = ""


def _sentence_end(passage: Passage, index: int) -> float | None:
    moments = passage.chunk.moments
    if index + 1 < len(moments) and moments[index + 1].start is not None:
        return moments[index + 1].start
    return passage.chunk.end


class ExtractiveAnswerer:
    mode = "extractive"

    def __init__(self, embedder: CachedEmbedder, lexical: LexicalStore, config: ExtractiveConfig | None = None,
                 links: Callable[[str], tuple[str | None, str | None]] | None = None):
        self.embedder = embedder
        self.lexical = lexical
        self.config = config or ExtractiveConfig()
        # episode id -> (video url, audio url), to link each cited sentence at its own second
        self.links = links or (lambda _episode_id: (None, None))

    def _idf(self, question: str) -> dict[str, float]:
        lex = self.lexical.sync()
        n = max(1, len(lex.infos))
        return {t: math.log(1 + n / (1 + df)) for t, df in lex.term_document_frequency(question).items()}

    def candidates(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> list[_Candidate]:
        """Every usable sentence of the passages, scored.

        A sentence alone is often cryptic ("we believe they have closer to 50,000"), so it is also judged inside a
        window of its neighbours; the passage it comes from lends it a little of its own relevance; and a question
        asking for a quantity or a date prefers sentences that contain a number.
        """
        cfg = self.config
        seen: set[tuple[str, str]] = set()
        cands: list[_Candidate] = []
        for p in passages:
            sentences = p.chunk.sentences()
            for i, (sentence, moment) in enumerate(sentences):
                key = (p.chunk.episode_id, sentence)
                if key in seen or len(sentence.split()) < cfg.min_words or sentence.rstrip().endswith("?"):
                    # Overlapping chunks repeat sentences; a question in the conversation is not an answer (it
                    # still helps as context: it is in the window of the sentences that answer it).
                    continue
                seen.add(key)
                window = " ".join(s for s, _ in sentences[max(0, i - 1) : i + 2])
                cands.append(_Candidate(p, sentence, moment, _sentence_end(p, i), window=window))
        if not cands:
            return []
        vectors = self.embedder.embed([c.sentence for c in cands] + [c.window for c in cands])
        sentence_vecs, window_vecs = vectors[: len(cands)], vectors[len(cands) :]
        idf = self._idf(question)
        total = sum(idf.values()) or 1.0
        wants_number = bool(_QUANTITY_QUESTION.search(question))

        def coverage(text: str) -> float:
            terms = set(tokenize([text])[0])
            return sum(w for t, w in idf.items() if t in terms) / total

        for c, vec, wvec in zip(cands, sentence_vecs, window_vecs):
            c.vector = vec
            c.semantic = 0.5 * float(np.dot(vec, query_vector)) + 0.5 * float(np.dot(wvec, query_vector))
            c.lexical = 0.6 * coverage(c.sentence) + 0.4 * coverage(c.window)
            prior = c.passage.dense_score or 0.0
            c.score = (
                cfg.semantic_weight * c.semantic
                + cfg.lexical_weight * c.lexical
                + (1 - cfg.semantic_weight - cfg.lexical_weight) * prior
            )
            if wants_number and _NUMBER.search(c.sentence):
                c.score += cfg.answer_type_bonus
        return sorted(cands, key=lambda c: -c.score)

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer:
        cfg = self.config
        cands = self.candidates(question, passages, query_vector)
        best = cands[0] if cands else None
        unknown = self.unknown_words(question)
        evidence = Evidence(best.semantic if best else 0.0, best.score if best else 0.0, unknown)
        if best is None or should_abstain(evidence, cfg):
            text = ABSTAIN_TEXT
            if unknown:
                names = ", ".join(f"“{w}”" for w in unknown)
                text = f"The episodes don't seem to cover this: no passage mentions {names}. The closest passages are listed below."
            return Answer(text, True, self.mode, [], closest=passages[:3], evidence=evidence)

        chosen: list[_Candidate] = []
        words = 0
        for c in cands:
            if len(chosen) >= cfg.max_sentences or c.score < cfg.keep_ratio * best.score:
                break
            n_words = len(c.sentence.split())
            if chosen and words + n_words > cfg.max_words:
                continue
            if any(float(np.dot(c.vector, o.vector)) > cfg.redundancy for o in chosen):
                continue
            chosen.append(c)
            words += n_words

        citations: list[Citation] = []
        lines: list[str] = []
        for n, c in enumerate(chosen, start=1):
            video, audio = self.links(c.passage.chunk.episode_id)
            t = c.moment.start
            url = video_link(video, t) or audio_link(audio, t) or c.passage.url
            citations.append(Citation(n, c.passage, t, c.end, c.moment.speaker, c.sentence, url, audio_link(audio, t)))
            lines.append(f"{_attribution(c)}: “{c.sentence}” [{n}]")
        return Answer("\n".join(lines), False, self.mode, citations, evidence=evidence)

    def unknown_words(self, question: str) -> list[str]:
        """Content words of the question that occur in no indexed passage (as written by the user)."""
        lex = self.lexical.sync()
        out = []
        for word in dict.fromkeys(re.findall(r"[\w'’-]+", question)):
            df = lex.term_document_frequency(word)
            if df and all(v == 0 for v in df.values()):
                out.append(word)
        return out


def _attribution(c: _Candidate) -> str:
    chunk = c.passage.chunk
    if chunk.source_type == "summary":
        return f"The summary ({chunk.section})" if chunk.section else "The summary"
    return c.moment.speaker or "Someone"
