"""The offline answerer: quote the few sentences of the retrieved passages that best answer the question.

Deterministic and model-free apart from the embedding model already loaded for retrieval. Each sentence is scored
by its cosine to the question and by how much of the question's (IDF-weighted) vocabulary it contains; the best
few, not repeating each other, become the answer, each quoted with its speaker and cited to its own moment.
When even the best evidence is weak, it abstains and lists the closest passages instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from rag.answer.citations import Links, at_moments, cite, cite_moment, no_links, sentence_end
from rag.casing import without_possessive
from rag.embedding import CachedEmbedder
from rag.lexical import LexicalStore, tokenize
from rag.models import Answer, Citation, Evidence, Moment, Passage
from rag.moment_rank import SURE_AT, answerable_probability, cited_probability, question_words, ranking
from rag.numbers import has_number
from rag.text import quote
from rag.timecodes import format_clock

_QUANTITY_QUESTION = re.compile(r"\b(how (many|much|long|big|large|old|often|fast)|what (year|percentage|share|number)"
                                r"|when)\b", re.I)

_NOT_NAMES = {"i", "i'm", "i've", "i'd", "i'll", "ok", "okay"}

ABSTAIN_TEXT = "The episodes don't seem to cover this. The closest passages are listed below."
_MOMENTS_LISTED = "The closest moments are listed below."
ABSTAIN_MOMENTS_TEXT = f"The episodes don't seem to cover this. {_MOMENTS_LISTED}"


@dataclass(frozen=True)
class ExtractiveConfig:
    max_sentences: int = 3
    max_words: int = 110  # per answer (sentence answers) or per quoted moment (moment answers)
    min_words: int = 5  # "Yeah, exactly." answers nothing
    # score = semantic * cosine + lexical * IDF-weighted term coverage + the rest * the passage's own cosine
    semantic_weight: float = 0.5
    lexical_weight: float = 0.3
    answer_type_bonus: float = 0.05
    redundancy: float = 0.8  # a sentence this close (cosine) to one already chosen adds nothing
    keep_ratio: float = 0.9  # later sentences must score at least this share of the best one
    # Abstention. Calibrated on the answerable vs unanswerable questions of eval/datasets (see README, Evaluation):
    # abstain when the best sentence is both semantically far from the question and lexically thin.
    min_cosine: float = 0.35
    min_score: float = 0.30
    unknown_name_cosine: float = 0.6
    # Moment answers (passages ranked by moment): the best moment, then others within `moment_margin` of its score
    # (the ranker's scale: a point is a factor e in how likely a moment is the one that answers); a moment within
    # `lead_margin` of the best may lead instead when it names what the question asks about. Both read off their
    # cross-validated curves in eval/fit-moments.md.
    max_moments: int = 3
    moment_margin: float = 5.0
    lead_margin: float = 1.5


def should_abstain(evidence: Evidence, cfg: ExtractiveConfig) -> bool:
    """The abstention rule: the best sentence is both semantically far from the question and lexically thin; or a
    name in the question (Sora, Bitcoin, Hinton) that no passage contains, in any form, is strong evidence that the
    corpus does not cover it, which only a close semantic match overrides. Ordinary words are no such evidence:
    listeners use their own words ("chipmaker", "bankrolling") for what was said. (A pure function of the evidence,
    so the evaluation can replay it with other thresholds.)"""
    weak = evidence.best_cosine < cfg.min_cosine and evidence.best_score < cfg.min_score
    off_topic = bool(evidence.unknown_words) and evidence.best_cosine < cfg.unknown_name_cosine
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


class ExtractiveAnswerer:
    mode = "extractive"

    def __init__(self, embedder: CachedEmbedder, lexical: LexicalStore, config: ExtractiveConfig | None = None,
                 links: Links | None = None):
        self.embedder = embedder
        self.lexical = lexical
        self.config = config or ExtractiveConfig()
        # episode id -> (video url, audio url), to link each cited sentence at its own second
        self.links = links or no_links

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
        # Embed every sentence of the passages once (questions and short ones too: they are context).
        texts = list(dict.fromkeys(sentence for p in passages for sentence, _ in p.chunk.sentences()))
        if not texts:
            return []
        vec_of = dict(zip(texts, self.embedder.embed(texts)))
        seen: set[tuple[str, str]] = set()
        cands: list[_Candidate] = []
        window_vecs: list[np.ndarray] = []
        for p in passages:
            sentences = p.chunk.sentences()
            for i, (sentence, moment) in enumerate(sentences):
                key = (p.chunk.episode_id, sentence)
                if key in seen or len(sentence.split()) < cfg.min_words or sentence.rstrip().endswith("?"):
                    # Overlapping chunks repeat sentences; a question in the conversation is not an answer (it
                    # still helps as context: it is in the window of the sentences that answer it).
                    continue
                seen.add(key)
                neighbours = [s for s, _ in sentences[max(0, i - 1) : i + 2]]
                # The window's meaning, approximated by the mean of its sentences' vectors: no second model pass.
                wvec = np.sum([vec_of[n] for n in neighbours], axis=0)
                window_vecs.append(wvec / (np.linalg.norm(wvec) or 1.0))
                cands.append(_Candidate(p, sentence, moment, sentence_end(p, i), vector=vec_of[sentence],
                                        window=" ".join(neighbours)))
        if not cands:
            return []
        idf = self._idf(question)
        total = sum(idf.values()) or 1.0
        wants_number = bool(_QUANTITY_QUESTION.search(question))

        def coverage(text: str) -> float:
            terms = set(tokenize([text])[0])
            return sum(w for t, w in idf.items() if t in terms) / total

        for c, wvec in zip(cands, window_vecs):
            c.semantic = 0.5 * float(np.dot(c.vector, query_vector)) + 0.5 * float(np.dot(wvec, query_vector))
            c.lexical = 0.6 * coverage(c.sentence) + 0.4 * coverage(c.window)
            prior = c.passage.dense_score or 0.0
            c.score = (
                cfg.semantic_weight * c.semantic
                + cfg.lexical_weight * c.lexical
                + (1 - cfg.semantic_weight - cfg.lexical_weight) * prior
            )
            if wants_number and has_number(c.sentence):
                c.score += cfg.answer_type_bonus
        return sorted(cands, key=lambda c: -c.score)

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer:
        if passages and passages[0].moment is not None:
            return self.answer_from_moments(question, passages)
        return self.answer_from_sentences(question, passages, query_vector)

    def answer_from_moments(self, question: str, passages: list[Passage]) -> Answer:
        """The best moment as a contiguous excerpt with who says it and when, then at most two other moments that
        add to it; or an abstention when the evidence does not carry the question's focus."""
        cfg = self.config
        best = passages[0].moment
        tops = [p.moment for p in passages[:3] if p.moment is not None]
        missing_all = set(best.missing).intersection(*(m.missing for m in tops))
        rule = ranking(best.moment_model)
        probability = answerable_probability(best.score, bool(best.missing), bool(missing_all), bool(best.unknown),
                                             rule)
        evidence = Evidence(best.cosine, probability, sorted(missing_all or best.missing),
                            cited_probability(passages, rule))
        if probability < rule.abstain_below or best.score < rule.weak_score:
            text = ABSTAIN_MOMENTS_TEXT
            closest = at_moments(passages, self.links)
            if evidence.unknown_words:
                names = ", ".join(f"“{w}”" for w in _surface(question, evidence.unknown_words))
                # the message speaks of the moments listed: when one of them says the name (in passing), only the
                # closest one is said to lack it
                listed = set(best.missing).intersection(*(p.moment.missing for p in closest if p.moment is not None))
                where = ("the closest moments mentions" if listed >= set(evidence.unknown_words)
                         else "the moment closest to the question mentions")
                text = f"The episodes don't seem to cover this: nothing said near {where} {names}. {_MOMENTS_LISTED}"
            return Answer(text, True, self.mode, [], closest=closest, evidence=evidence)
        # The answer leads with a moment that names what the question asks about, when the best one does not and
        # another top moment close to it in score does ("Was TikTok banned?": the moment that says "TikTok").
        lead = passages[0]
        if best.missing:
            lead = next((p for p in passages[1:3] if p.moment is not None and not p.moment.missing
                         and p.moment.score >= best.score - cfg.lead_margin), lead)
        chosen = [lead]
        for p in passages:
            if p is lead:
                continue
            if len(chosen) >= cfg.max_moments:
                break
            m = p.moment
            if m is None or m.score < best.score - cfg.moment_margin:
                continue
            if any(m.near(o.moment) for o in chosen):
                continue
            chosen.append(p)
        citations: list[Citation] = []
        lines: list[str] = []
        for n, p in enumerate(chosen, start=1):
            m = p.moment
            citations.append(cite_moment(n, p, self.links))
            lead_in = _lead_in(p, n == 1, chosen[0].chunk.episode_id)
            lines.append(f"{lead_in} {quote(_trim(m.text, cfg.max_words))} [{n}]")
        # another place scoring about as well as the first moment: the CLI and the app say so (rag/presentation)
        unsure = evidence.cited_probability is not None and evidence.cited_probability < SURE_AT
        return Answer("\n".join(lines), False, self.mode, citations, evidence=evidence, unsure=unsure)

    def answer_from_sentences(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer:
        cfg = self.config
        cands = self.candidates(question, passages, query_vector)
        best = cands[0] if cands else None
        unknown = self.unknown_names(question)
        evidence = Evidence(best.semantic if best else 0.0, best.score if best else 0.0, unknown)
        if best is None or should_abstain(evidence, cfg):
            text = ABSTAIN_TEXT
            if unknown and evidence.best_cosine < cfg.unknown_name_cosine:
                names = ", ".join(f"“{w}”" for w in unknown)
                text = (f"The episodes don't seem to cover this: no passage mentions {names}. "
                        "The closest passages are listed below.")
            return Answer(text, True, self.mode, [], closest=at_moments(passages, self.links), evidence=evidence)

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
            citations.append(cite(n, c.passage, c.sentence, c.moment, c.end, self.links))
            lines.append(f"{_attribution(c)}: {quote(c.sentence)} [{n}]")
        return Answer("\n".join(lines), False, self.mode, citations, evidence=evidence)

    def unknown_names(self, question: str) -> list[str]:
        """Names in the question (capitalised, not its first word) that no indexed passage contains, not even as
        another form of the word (Taiwanese ~ Taiwan: same first five letters of the stem)."""
        lex = self.lexical.sync()
        words = re.findall(r"[\w'’-]+", question)
        out = []
        for word in dict.fromkeys(words[1:]):
            if not word[0].isupper() or word.lower() in _NOT_NAMES:
                continue
            if not any(lex.has_term(tok, prefix=5) for tok in tokenize([word])[0]):
                out.append(word)
        return out


def _surface(question: str, tokens: list[str]) -> list[str]:
    """The question's own words for stemmed tokens, for messages: the whole name a token is part of, as the question
    wrote it ('act' -> 'CHIPS Act', 'mistral' -> 'Mistral', without the possessive). A possessive ends a name:
    'OpenAI's Sora' is two, so the missing 'sora' shows as 'Sora'."""
    words = question_words(question)

    def name_like(k: int) -> bool:
        w = words[k]
        return k > 0 and bool(w) and (w[0].isupper() or any(ch.isdigit() for ch in w))

    def possessive(k: int) -> bool:
        return without_possessive(words[k]) != words[k].lower()

    out = []
    for t in tokens:
        first = t.split()[0]  # a name of several words ("deep research") is found by its first word
        k = next((k for k, w in enumerate(words) if first in tokenize([w])[0]), None)
        if k is None:
            out.append(t)
            continue
        a = b = k
        while name_like(k) and a > 1 and name_like(a - 1) and not possessive(a - 1):
            a -= 1
        while name_like(k) and b + 1 < len(words) and name_like(b + 1) and not possessive(b):
            b += 1
        out.append(re.sub(r"['’]s$", "", " ".join(words[a : b + 1])))
    return list(dict.fromkeys(out))[:3]


def _lead_in(p: Passage, first: bool, lead_episode: str) -> str:
    """'At 0:36:08 Nathan Lambert says:' for a transcript moment; 'The summary (section) says:' for a summary. A
    moment of another episode than the first one's names its episode and does not "add" to a conversation it is not
    part of: 'In lex-fridman-491, at 2:53:31 Peter Steinberger says:'."""
    m = p.moment
    chunk = p.chunk
    elsewhere = not first and chunk.episode_id != lead_episode
    verb = "says" if first or elsewhere else "adds"
    if chunk.source_type == "summary":
        whose = f"The summary of {chunk.episode_id}" if elsewhere else "The summary"
        return f"{whose} ({chunk.section}) {verb}:" if chunk.section else f"{whose} {verb}:"
    when = f"In {chunk.episode_id}, at" if elsewhere else "At"
    return f"{when} {format_clock(m.start)} {m.speaker or 'someone'} {verb}:"


def _trim(text: str, max_words: int) -> str:
    """At most `max_words` words, cut at a sentence end when one is near, else with an ellipsis."""
    words = text.split()
    if len(words) <= max_words:
        return text
    cut = " ".join(words[:max_words])
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > len(cut) // 2 else cut + " …"


def _attribution(c: _Candidate) -> str:
    chunk = c.passage.chunk
    if chunk.source_type == "summary":
        return f"The summary ({chunk.section})" if chunk.section else "The summary"
    return c.moment.speaker or "Someone"
