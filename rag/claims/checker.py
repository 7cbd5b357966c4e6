"""Check a claim against what was actually said: "Dylan Patel says DeepSeek has about 50,000 GPUs".

The claim is split into who it names ("Dylan Patel says") and what it states ("DeepSeek has about 50,000 GPUs").
Transcript passages are retrieved for the statement, every sentence of them (with its neighbours) becomes a
candidate, and each candidate is judged supported / contradicted / unrelated: offline by small heuristic checks
(rag/claims/offline.py), or by an LLM when one is configured (rag/claim_judge.py). The speaker check then compares
who said the supporting sentence with who the claim names (rag/claims/decision.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from rag.casing import as_written
from rag.claims.attribution import find_attribution, name_variants
from rag.claims.decision import decide
from rag.claims.entities import names_version
from rag.claims.language import foreign_language
from rag.claims.offline import ClaimConfig, judge_offline
from rag.claims.quantities import compare_numbers, parse_quantities, versioned_names
from rag.claims.records import MAX_CLAIM_CHARS, Candidate, Check, ClaimCheck, ClaimError, Judge
from rag.lexical import tokenize
from rag.llm import LLMError
from rag.models import Citation, Filters, Passage
from rag.text import clip
from rag.timecodes import audio_link, video_link

log = logging.getLogger(__name__)


class ClaimChecker:
    """Checks claims against the transcripts of an index. `judge` replaces the offline checks (e.g. an LLM)."""

    def __init__(self, search: Callable[[str, int, Filters | None], list[Passage]],
                 embed: Callable[[Sequence[str]], np.ndarray],
                 people: Callable[[str | None], tuple[list[str], list[str]]],
                 links: Callable[[str], tuple[str | None, str | None]],
                 context: Callable[[str, float | None], str] | None = None,
                 judge: Judge | None = None, config: ClaimConfig | None = None,
                 topic: Callable[[str], str | None] | None = None,
                 names: Callable[[], frozenset[str]] | None = None):
        self.search = search  # (query, k, filters) -> passages
        self.embed = embed
        self.people = people  # episode id or None -> (speakers, guests)
        self.links = links  # episode id -> (video url, audio url)
        # (episode id, second) -> what was said in the minutes around it: a claim's "DeepSeek" is often only "they"
        # in the sentence that supports it, named a little earlier.
        self.context = context or (lambda _episode_id, _t: "")
        # episode id -> its title: what the whole episode is about ("Jensen Huang: NVIDIA - ..."), so a name in it
        # is mentioned by every sentence of the episode, even one that only says "we".
        self.topic = topic or (lambda _episode_id: None)
        # () -> the words the episodes write as names (rag/casing.py): a claim typed in lower case gets its capitals
        # back, since the checks find names and versions by them
        self.names = names or frozenset
        self.judge = judge
        self.config = config or ClaimConfig()

    def check(self, claim: str, episode_id: str | None = None) -> ClaimCheck:
        """The verdict on one claim, with the evidence that decided it."""
        text = " ".join((claim or "").split())
        if not text:
            raise ClaimError("the claim is empty: write one statement, "
                             "e.g. “Dylan Patel says DeepSeek has about 50,000 GPUs”")
        if len(text) > MAX_CLAIM_CHARS:
            raise ClaimError(
                f"the claim is {len(text):,} characters long; the limit is {MAX_CLAIM_CHARS:,}: check one statement "
                "at a time (or a whole summary with `verify-summary`)"
            )
        speakers, guests = self.people(episode_id)
        attribution = find_attribution(text, name_variants(speakers, guests))
        statement = as_written(attribution.content, self.names())
        language = foreign_language(statement)
        if language:
            return ClaimCheck(text, "not_found",
                              f"Not checked: the claim seems to be in {language}, and the transcripts and the checks "
                              "are English. Rephrase it in English.", "language", [], [],
                              attribution.speakers, statement)
        filters = Filters(episode_ids=(episode_id,) if episode_id else (), source_type="transcript")
        passages = self.search(statement, self.config.passages, filters)
        candidates = self._candidates(statement, passages)
        notice = None
        mode = "offline"
        if self.judge is not None and candidates:
            try:
                judged = self.judge(statement, candidates)
                for j in judged:
                    if 0 <= j.index < len(candidates):
                        c = candidates[j.index]
                        c.label, c.reason, c.decided_by = j.label, j.reason, "llm"
                        c.checks.append(Check("llm", "pass" if j.label == "supported" else
                                              "fail" if j.label == "contradicted" else "n/a", j.reason))
                mode = f"llm: {self.judge.name}"
            except LLMError as exc:  # an LLM outage must not lose the verdict: fall back to the offline checks
                log.warning("LLM judge failed: %s", exc)
                notice = f"the LLM judge failed ({_short(exc)}); the offline checks decided instead"
                judge_offline(statement, candidates, self.config, self.context, self.topic)
        else:
            judge_offline(statement, candidates, self.config, self.context, self.topic)
        decision = decide(attribution.speakers, candidates, self.config.contradiction_margin)
        chosen = decision.evidence[: self.config.evidence]
        closest = [] if chosen else candidates[:2]
        return ClaimCheck(
            text, decision.verdict, decision.explanation, decision.decided_by,
            [self._citation(n, c) for n, c in enumerate(chosen, 1)], [c.label for c in chosen],
            attribution.speakers, statement, mode, notice,
            closest=[self._citation(n, c) for n, c in enumerate(closest, 1)], candidates=candidates,
        )

    def _candidates(self, statement: str, passages: list[Passage]) -> list[Candidate]:
        cands: list[Candidate] = []
        seen: set[tuple[str, float | None, str]] = set()
        for p in passages:
            sentences = p.chunk.sentences()
            for i, (sentence, moment) in enumerate(sentences):
                key = (p.chunk.episode_id, moment.start, sentence)
                if key in seen or len(sentence.split()) < 3 or sentence.rstrip().endswith("?"):
                    continue  # a question asserts nothing (it still counts as context in its neighbours' window)
                seen.add(key)
                window = " ".join(s for s, _ in sentences[max(0, i - 1) : i + 2])
                nxt = sentences[i + 1][1].start if i + 1 < len(sentences) else p.chunk.end
                cands.append(Candidate(p, i, sentence, window, moment.start, nxt, moment.speaker))
        if not cands:
            return []
        similarities(self.embed, statement, cands)
        want = set(tokenize([statement])[0])
        window_tokens = tokenize([c.window for c in cands])
        sentence_tokens = tokenize([c.sentence for c in cands])
        quantities = parse_quantities(statement)
        versions = versioned_names(statement)
        ranking: dict[int, float] = {}
        for c, wtoks, stoks in zip(cands, window_tokens, sentence_tokens):
            c.coverage = len(want & set(wtoks)) / len(want) if want else 0.0
            c.sentence_coverage = len(want & set(stoks)) / len(want) if want else 0.0
            c.score = 0.7 * c.similarity + 0.3 * c.coverage
            # A sentence stating the claim's number (or its name's version) is worth judging even when it is
            # worded differently.
            states_number = (bool(quantities) and compare_numbers(quantities, parse_quantities(c.sentence))[0] != "n/a"
                             or names_version(versions, c.sentence))  # 'CUDA 13.2' for the claim's 'CUDA 12'
            ranking[id(c)] = c.score + (0.2 if states_number else 0.0)
        cands.sort(key=lambda c: -ranking[id(c)])
        return cands[: self.config.judged]

    def _citation(self, n: int, c: Candidate) -> Citation:
        video, audio = self.links(c.passage.chunk.episode_id)
        url = video_link(video, c.start) or audio_link(audio, c.start) or c.passage.url
        return Citation(n, c.passage, c.start, c.end, c.speaker, c.sentence, url, audio_link(audio, c.start))


def similarities(embed: Callable[[Sequence[str]], np.ndarray], statement: str, cands: Sequence[Candidate]) -> None:
    """Each candidate's cosine to the statement: its sentence's, and the better of that and its window's."""
    vectors = embed([statement] + [c.sentence for c in cands] + [c.window for c in cands])
    q, sent, win = vectors[0], vectors[1 : 1 + len(cands)], vectors[1 + len(cands) :]
    for c, sv, wv in zip(cands, sent, win):
        c.sentence_similarity = float(np.dot(q, sv))
        c.similarity = max(c.sentence_similarity, float(np.dot(q, wv)))


def _short(exc: Exception) -> str:
    return clip(f"{type(exc).__name__}: {exc}", 200)
