"""Per-question results aggregated into the figures of the report: one `Scores` row per configuration and dataset,
abstention over answerable and unanswerable questions together, and a threshold sweep over the evidence signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

from rag.answer.extractive import ExtractiveConfig, should_abstain
from rag.evaluation import metrics as M
from rag.evaluation.runner import EvalRun, QuestionResult


@dataclass
class Scores:
    """Means over the answerable questions (answer figures: over those the configuration answered)."""

    n: int = 0
    hit1: float | None = None
    hit3: float | None = None
    hit5: float | None = None
    hit10: float | None = None
    mrr10: float | None = None
    ndcg10: float | None = None
    recall10: float | None = None
    passage_30s: float | None = None  # top passage starts within 30 s of a gold start
    passage_60s: float | None = None
    citation_30s: float | None = None  # the answer's first citation does
    citation_60s: float | None = None
    citation_60s_answered: float | None = None  # the same among the questions it did not refuse
    sure: float | None = None  # share of those answers that do not say they are unsure of their first moment
    citation_60s_sure: float | None = None  # top citation ≤60 s among the sure answers
    citation_60s_unsure: float | None = None  # ... and among the unsure ones
    any_citation_60s: float | None = None  # any of the answer's citations starts within 60 s of a gold start
    mention: float | None = None
    cite_valid: float | None = None
    cite_support: float | None = None
    abstained: float | None = None  # share of answerable questions refused (false abstentions)
    retrieve_p50: float | None = None  # milliseconds
    retrieve_p95: float | None = None
    answer_p50: float | None = None
    answer_p95: float | None = None


# (field, column label, is a share shown as 0.00 / else milliseconds) in table order
COLUMNS: list[tuple[str, str, bool]] = [
    ("n", "n", False), ("hit1", "hit@1", True), ("hit3", "hit@3", True), ("hit5", "hit@5", True),
    ("hit10", "hit@10", True), ("mrr10", "MRR@10", True), ("ndcg10", "nDCG@10", True),
    ("recall10", "recall@10", True), ("passage_30s", "top passage ≤30 s", True),
    ("passage_60s", "top passage ≤60 s", True), ("citation_30s", "top citation ≤30 s", True),
    ("citation_60s", "top citation ≤60 s", True),
    ("citation_60s_answered", "top citation ≤60 s, not refused", True), ("sure", "sure", True),
    ("citation_60s_sure", "top citation ≤60 s, sure", True), ("citation_60s_unsure", "… unsure", True),
    ("any_citation_60s", "any citation ≤60 s", True), ("mention", "must-mention", True),
    ("cite_valid", "citations valid", True), ("cite_support", "citation support", True),
    ("abstained", "refused", True), ("retrieve_p50", "retrieve p50 ms", False),
    ("retrieve_p95", "retrieve p95 ms", False), ("answer_p50", "answer p50 ms", False),
    ("answer_p95", "answer p95 ms", False),
]
assert [c[0] for c in COLUMNS] == [f.name for f in fields(Scores)]


def score(results: Sequence[QuestionResult]) -> Scores:
    """Aggregate the results of one configuration on one dataset."""
    answerable = [r for r in results if r.question.answerable]
    s = Scores(n=len(results))
    if answerable:
        rels = [r.relevant for r in answerable]
        s.hit1, s.hit3, s.hit5, s.hit10 = (M.share(M.hit_at(rel, k) for rel in rels) for k in (1, 3, 5, 10))
        s.mrr10 = M.share(M.reciprocal_rank(rel, 10) for rel in rels)
        s.ndcg10 = M.share(M.ndcg_at(r.gain, len(r.question.gold), 10) for r in answerable)
        s.recall10 = M.share(M.recall_at(r.gain, len(r.question.gold), 10) for r in answerable)
        s.passage_30s = M.within((r.top_passage_error for r in answerable), 30)
        s.passage_60s = M.within((r.top_passage_error for r in answerable), 60)
    answered = [r for r in answerable if r.answer]
    if answered:
        s.citation_30s = M.within((r.answer.top_citation_error for r in answered), 30)
        s.citation_60s = M.within((r.answer.top_citation_error for r in answered), 60)
        s.any_citation_60s = M.within((r.answer.best_citation_error for r in answered), 60)
        not_refused = [r for r in answered if not r.answer.abstained]
        if not_refused:
            s.citation_60s_answered = M.within((r.answer.top_citation_error for r in not_refused), 60)
            # only answers ranked by moment say whether they are sure (the others: "–")
            assessed = [r for r in not_refused if r.answer.evidence and r.answer.evidence.cited_probability is not None]
            s.sure = M.share(not r.answer.unsure for r in assessed) if assessed else None
            for unsure in (False, True):
                these = [r.answer.top_citation_error for r in assessed if r.answer.unsure == unsure]
                if these:
                    setattr(s, "citation_60s_unsure" if unsure else "citation_60s_sure", M.within(these, 60))
        s.mention = M.share(r.answer.mention or 0.0 for r in answered)
        supported = [r.answer.support for r in answered if r.answer.support is not None]
        s.cite_support = M.share(supported) if supported else None
        s.abstained = M.share(r.answer.abstained for r in answered)
    with_answer = [r for r in results if r.answer]
    if with_answer:
        s.cite_valid = M.share(r.answer.valid for r in with_answer)
        s.answer_p50 = 1000 * M.percentile([r.answer.seconds for r in with_answer], 50)
        s.answer_p95 = 1000 * M.percentile([r.answer.seconds for r in with_answer], 95)
    if results:
        s.retrieve_p50 = 1000 * M.percentile([r.retrieve_seconds for r in results], 50)
        s.retrieve_p95 = 1000 * M.percentile([r.retrieve_seconds for r in results], 95)
    return s


@dataclass
class Abstention:
    config: str
    answerable: int
    unanswerable: int
    precision: float
    recall: float
    false_refusals: float  # share of answerable questions refused


def abstention(run: EvalRun, config: str, blind: bool | None = None) -> Abstention | None:
    """How well abstaining separates unanswerable from answerable questions, over every dataset of the run (only
    the development or only the blind sets, with `blind`)."""
    names = {d.name for d in run.datasets if blind is None or d.blind == blind}
    answered = [r for r in run.select(config) if r.answer and r.dataset in names]
    if not answered or all(r.question.answerable for r in answered):
        return None
    flags = [r.answer.abstained for r in answered]
    ok = [r.question.answerable for r in answered]
    p, rec = M.abstention_scores(flags, ok)
    n_ok = sum(ok)
    refused = sum(1 for f, o in zip(flags, ok) if f and o)
    return Abstention(config, n_ok, len(ok) - n_ok, p, rec, refused / n_ok if n_ok else 0.0)


@dataclass
class SweepRow:
    signal: str  # "best_cosine" or "best_score"
    threshold: float
    precision: float
    recall: float
    false_refusals: float


def evidence_values(run: EvalRun, config: str, signal: str) -> tuple[list[float], list[bool]]:
    """An Evidence signal of every answered question, with whether the question is answerable."""
    pairs = [(getattr(r.answer.evidence, signal), r.question.answerable)
             for r in run.select(config) if r.answer and r.answer.evidence]
    return [v for v, _ in pairs], [a for _, a in pairs]


def sweep(run: EvalRun, config: str, thresholds: Sequence[float] = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
          ) -> list[SweepRow]:
    """Precision and recall of abstaining when one signal alone is below a threshold (the shipped rule combines
    them; this shows where each signal separates the two kinds of question)."""
    rows = []
    for signal in ("best_cosine", "best_score"):
        values, ok = evidence_values(run, config, signal)
        if not values or all(ok):
            continue
        for t, p, r, refused in M.threshold_sweep(values, ok, thresholds):
            rows.append(SweepRow(signal, t, p, r, refused))
    return rows


UNKNOWN_RULES = ("on", "off")


@dataclass
class RuleRow:
    min_cosine: float
    min_score: float
    unknown_rule: str  # "on": names no passage contains trigger the override (shipped); "off": they do not
    precision: float
    recall: float
    false_refusals: float
    current: bool  # the extractive answerer's shipped thresholds and rule


def rule_grid(run: EvalRun, config: str, step: float = 0.05) -> list[RuleRow]:
    """The extractive answerer's own abstention rule (`should_abstain`) replayed on the recorded evidence with
    thresholds one `step` either side of the shipped ones, and with the unknown-name override on or off: what each
    variant would have done on this run's questions."""
    answered = [r for r in run.select(config) if r.answer and r.answer.evidence]
    if not answered or all(r.question.answerable for r in answered):
        return []
    shipped = ExtractiveConfig()
    ok = [r.question.answerable for r in answered]
    n_ok = sum(ok)
    rows = []
    for c in (shipped.min_cosine - step, shipped.min_cosine, shipped.min_cosine + step):
        for sc in (shipped.min_score - step, shipped.min_score, shipped.min_score + step):
            cfg = replace(shipped, min_cosine=round(c, 4), min_score=round(sc, 4))
            for rule in UNKNOWN_RULES:
                flags = [should_abstain(r.answer.evidence if rule == "on"
                                        else replace(r.answer.evidence, unknown_words=[]), cfg) for r in answered]
                p, rec = M.abstention_scores(flags, ok)
                refused = sum(1 for f, o in zip(flags, ok) if f and o)
                rows.append(RuleRow(cfg.min_cosine, cfg.min_score, rule, p, rec, refused / n_ok if n_ok else 0.0,
                                    cfg == shipped and rule == "on"))
    return rows
