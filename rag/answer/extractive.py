"""The offline answerer: quote the few sentences of the retrieved passages that best answer the question.

Deterministic and model-free apart from the embedding model already loaded for retrieval. Each sentence is scored
by its cosine to the question and by how much of the question's (IDF-weighted) vocabulary it contains; the best
few, not repeating each other, become the answer, each quoted with its speaker and cited to its own moment.
When even the best evidence is weak, it abstains and lists the closest passages instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.embedding import CachedEmbedder
from rag.lexical import LexicalStore, tokenize
from rag.models import Answer, Citation, Moment, Passage
from rag.timecodes import audio_link, video_link

ABSTAIN_TEXT = "The episodes don't seem to cover this. The closest passages are listed below."


@dataclass(frozen=True)
class ExtractiveConfig:
    max_sentences: int = 3
    max_words: int = 110
    min_words: int = 5  # "Yeah, exactly." answers nothing
    semantic_weight: float = 0.6  # the rest is lexical
    redundancy: float = 0.8  # a sentence this close (cosine) to one already chosen adds nothing
    keep_ratio: float = 0.8  # later sentences must score at least this share of the best one
    # Abstention. Calibrated on the answerable vs unanswerable questions of eval/datasets (see README, Evaluation):
    # abstain when the best sentence is both semantically far from the question and lexically thin.
    min_cosine: float = 0.45
    min_score: float = 0.42


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
        """Every usable sentence of the passages, scored."""
        cfg = self.config
        seen: set[tuple[str, str]] = set()
        cands: list[_Candidate] = []
        for p in passages:
            for i, (sentence, moment) in enumerate(p.chunk.sentences()):
                key = (p.chunk.episode_id, sentence)
                if key in seen or len(sentence.split()) < cfg.min_words:
                    continue  # overlapping chunks repeat sentences
                seen.add(key)
                cands.append(_Candidate(p, sentence, moment, _sentence_end(p, i)))
        if not cands:
            return []
        vectors = self.embedder.embed([c.sentence for c in cands])
        idf = self._idf(question)
        total = sum(idf.values()) or 1.0
        for c, vec in zip(cands, vectors):
            c.vector = vec
            c.semantic = float(np.dot(vec, query_vector))
            terms = set(tokenize([c.sentence])[0])
            c.lexical = sum(w for t, w in idf.items() if t in terms) / total
            c.score = cfg.semantic_weight * c.semantic + (1 - cfg.semantic_weight) * c.lexical
            if c.sentence.rstrip().endswith("?"):
                c.score *= 0.85  # a question in the transcript rarely answers the user's question
        return sorted(cands, key=lambda c: -c.score)

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer:
        cfg = self.config
        cands = self.candidates(question, passages, query_vector)
        best = cands[0] if cands else None
        if best is None or (best.semantic < cfg.min_cosine and best.score < cfg.min_score):
            return Answer(ABSTAIN_TEXT, True, self.mode, [], closest=passages[:3])

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
        return Answer("\n".join(lines), False, self.mode, citations)


def _attribution(c: _Candidate) -> str:
    chunk = c.passage.chunk
    if chunk.source_type == "summary":
        return f"The summary ({chunk.section})" if chunk.section else "The summary"
    return c.moment.speaker or "Someone"
