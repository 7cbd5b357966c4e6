"""Run golden questions through each configuration and score them.

For every configuration: prepare its index (built once, then only checked), then for every question time the
retrieve stage (query embedding by the model itself, not the cache, + search) and the answer stage, and record what
came back in plain records that `report.py` turns into tables, plots and the list of failures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rag.assistant import Assistant
from rag.embedding import CachedEmbedder, make_embedder
from rag.errors import PodragError
from rag.evaluation import metrics as M
from rag.evaluation.baseline import LlamaIndexBaseline
from rag.evaluation.claims import ClaimResult, Confusion, run_claims
from rag.evaluation.configs import CONFIGS, EvalConfig
from rag.evaluation.datasets import BLIND_FOLDER, Dataset, Question, is_blind_claim_set
from rag.models import Answer, Evidence, Filters, Passage
from rag.settings import Settings

Progress = Callable[[int, int, str], None]  # (done, total, message)
DEPTH = 10  # ranking depth of every retrieval metric
RERANK_CANDIDATES = 40


@dataclass(frozen=True)
class Retrieved:
    """One retrieved passage as the report shows it."""

    episode_id: str
    source_type: str
    start: float | None
    end: float | None
    chapter: str | None
    speakers: tuple[str, ...]
    text: str
    relevant: bool


@dataclass(frozen=True)
class CitedMoment:
    n: int
    episode_id: str
    source_type: str
    start: float | None  # the cited sentence's moment
    passage_start: float | None
    passage_end: float | None
    supported: bool  # its passage overlaps a gold span (widened by the slack)


@dataclass
class AnswerResult:
    text: str
    abstained: bool
    citations: list[CitedMoment]
    evidence: Evidence | None
    seconds: float
    valid: bool  # every [n] resolves (and a non-abstaining answer cites something)
    mention: float | None = None  # must-mention recall; None for unanswerable questions
    support: float | None = None  # share of citations over gold; None when nothing is cited
    top_citation_error: float | None = None
    best_citation_error: float | None = None  # the closest of all its citations
    unsure: bool = False  # the answer says another place matches almost as well as its first moment


@dataclass
class QuestionResult:
    config: str
    dataset: str
    question: Question
    retrieved: list[Retrieved]
    gain: list[int]
    retrieve_seconds: float
    top_passage_error: float | None
    answer: AnswerResult | None = None

    @property
    def relevant(self) -> list[bool]:
        return [r.relevant for r in self.retrieved]


@dataclass
class IndexInfo:
    config: str
    folder: Path
    seconds: float
    built: bool  # something had to be embedded or written (False: loaded as it was)
    chunks: int


@dataclass
class ClaimSetRun:
    name: str  # the file's stem ("blind-claims", "blind-claims-2" for the blind sets)
    blind: bool
    results: list[ClaimResult]
    confusion: Confusion


@dataclass
class EvalRun:
    datasets: list[Dataset]
    configs: list[EvalConfig]
    results: list[QuestionResult] = field(default_factory=list)
    indexes: list[IndexInfo] = field(default_factory=list)
    run_seconds: dict[str, float] = field(default_factory=dict)  # per configuration, questions only
    wall_seconds: float = 0.0
    started_at: str = ""
    corpus: list[Path] = field(default_factory=list)
    embed_model: str = ""
    answer_mode: str = ""
    filter_episode: bool = False
    limit: int | None = None
    slack: float = M.SLACK
    claims: list[ClaimSetRun] = field(default_factory=list)

    def select(self, config: str | None = None, dataset: str | None = None) -> list[QuestionResult]:
        return [r for r in self.results
                if (config is None or r.config == config) and (dataset is None or r.dataset == dataset)]


def _span(p: Passage, episode: str | None) -> M.Span | None:
    """Where a passage sits on the question's episode's clock; None for other episodes and summaries."""
    c = p.chunk
    if c.episode_id != episode or c.source_type != "transcript" or c.start is None:
        return None
    return (c.start, c.end if c.end is not None else c.start)


def _retrieved(p: Passage, relevant: bool) -> Retrieved:
    c = p.chunk
    return Retrieved(c.episode_id, c.source_type, c.start, c.end, c.chapter or c.section, tuple(c.speakers),
                     c.text, relevant)


def score_answer(q: Question, answer: Answer, seconds: float, slack: float = M.SLACK) -> AnswerResult:
    """The answer metrics of one question."""
    cited = []
    for c in answer.citations:
        chunk = c.passage.chunk
        on_clock = chunk.episode_id == q.episode and chunk.source_type == "transcript"
        span = _span(c.passage, q.episode)
        cited.append(CitedMoment(c.n, chunk.episode_id, chunk.source_type, c.start if on_clock else None,
                                 chunk.start, chunk.end, any(M.overlaps(span, g, slack) for g in q.gold)))
    result = AnswerResult(answer.answer, answer.abstained, cited, answer.evidence, seconds,
                          M.citations_valid(answer.answer, len(answer.citations), answer.abstained),
                          unsure=answer.unsure)
    if q.answerable:
        result.mention = 0.0 if answer.abstained else M.mentions(answer.answer, q.must_mention)
        result.support = M.share(c.supported for c in cited) if cited else None
        result.top_citation_error = M.time_error(cited[0].start, q.gold) if cited else None
        errors = [e for e in (M.time_error(c.start, q.gold) for c in cited) if e is not None]
        result.best_citation_error = min(errors) if errors else None
    return result


class _Engine:
    """One configuration's retrieval (+ answering) over its own index."""

    def __init__(self, config: EvalConfig, settings: Settings, embedder: CachedEmbedder):
        self.config = config
        self.settings = settings
        self.embedder = embedder
        folder = config.index_folder(settings.cache, embedder.name)
        self.folder = folder
        self.baseline: LlamaIndexBaseline | None = None
        self.assistant: Assistant | None = None
        if config.baseline:
            self.baseline = LlamaIndexBaseline(folder, embedder)
        else:
            c = config.chunking
            s = settings.model_copy(update={
                "index": folder, "chroma_url": None, "collection": "podrag",
                "chunk_words": c.target_words, "chunk_max_words": c.max_words, "chunk_overlap_words": c.overlap_words,
                "rerank": config.rerank, "rerank_candidates": RERANK_CANDIDATES,
            })
            self.assistant = Assistant(s, embedder=embedder)

    def prepare(self, corpus: Sequence[Path]) -> IndexInfo:
        t0 = time.perf_counter()
        if self.baseline:
            self.baseline.prepare(corpus)
            return IndexInfo(self.config.name, self.folder, time.perf_counter() - t0, self.baseline.built,
                             self.baseline.nodes)
        a = self.assistant
        report = a.ingest(corpus)
        if report.failed:
            raise PodragError(f"building the index of configuration {self.config.name!r}: {report.failed[0]}")
        # The index must hold exactly this corpus: episodes left from another run would be distractors.
        present = set(report.new + report.updated + report.unchanged)
        stale = [e for e in a.index.records() if e not in present]
        if stale:
            a.remove(stale)
        chunks = sum(len(r.chunk_ids) for r in a.index.records().values())
        return IndexInfo(self.config.name, self.folder, time.perf_counter() - t0,
                         bool(report.new or report.updated or stale), chunks)

    def episode_ids(self) -> set[str]:
        if self.baseline:
            return self.baseline.episode_ids()
        return set(self.assistant.index.records())

    @property
    def answer_mode(self) -> str:
        return self.assistant.answerer.mode if self.assistant and self.config.answer else ""

    def run(self, q: Question, dataset: str, filter_episode: bool, slack: float) -> QuestionResult:
        filters = Filters(episode_ids=(q.episode,)) if filter_episode and q.episode else None
        t0 = time.perf_counter()
        if self.assistant:  # as the app does: a question naming an episode is answered from it (~1 ms)
            filters = self.assistant.route(q.question, filters)
        # The model itself, not the cache: a user's new question is never in the cache.
        vector = self.embedder.inner.embed([q.question])[0]
        if self.baseline:
            passages = self.baseline.search(q.question, DEPTH, filters)
        else:
            retriever = self.assistant.retriever.with_mode(self.config.mode)
            passages = retriever.search(q.question, DEPTH, filters, query_vector=vector)
        retrieve_seconds = time.perf_counter() - t0
        spans = [_span(p, q.episode) for p in passages]
        rel = M.relevant(spans, q.gold, slack)
        result = QuestionResult(
            self.config.name, dataset, q, [_retrieved(p, r) for p, r in zip(passages, rel)],
            M.gains(spans, q.gold, slack), retrieve_seconds,
            M.time_error(spans[0][0] if spans and spans[0] else None, q.gold),
        )
        if self.assistant and self.config.answer:
            t1 = time.perf_counter()
            answer = self.assistant.answerer.answer(q.question, passages[: self.settings.answer_passages], vector)
            result.answer = score_answer(q, answer, time.perf_counter() - t1, slack)
        return result


def run_eval(settings: Settings, datasets: Sequence[Dataset], configs: Sequence[EvalConfig],
             corpus: Sequence[Path], *, embedder: CachedEmbedder | None = None, limit: int | None = None,
             filter_episode: bool = False, progress: Progress | None = None) -> EvalRun:
    """Evaluate every configuration on every dataset (the first `limit` questions of each, when given)."""
    t0 = time.perf_counter()
    embedder = embedder or make_embedder(settings)
    run = EvalRun(list(datasets), list(configs), started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                  corpus=list(corpus), embed_model=embedder.name, filter_episode=filter_episode, limit=limit)
    todo = [(d, q) for d in datasets for q in (d.questions[:limit] if limit else d.questions)]
    total = len(todo) * len(configs)
    done = 0
    embedder.inner.embed(["warm up"])  # load the model now, so the first question's latency is not the loading
    for config in configs:
        engine = _Engine(config, settings, embedder)
        if progress:
            progress(done, total, f"{config.name}: preparing its index")
        run.indexes.append(engine.prepare(corpus))
        missing = sorted({q.episode for _, q in todo if q.episode} - engine.episode_ids())
        if missing:
            raise PodragError(
                f"the corpus ({', '.join(map(str, corpus)) or 'none'}) has no episode {', '.join(missing)}, which the "
                "golden sets ask about: pass its folder with --corpus or set PODRAG_CORPUS")
        run.answer_mode = run.answer_mode or engine.answer_mode
        c0 = time.perf_counter()
        for dataset, q in todo:
            run.results.append(engine.run(q, dataset.name, filter_episode, run.slack))
            done += 1
            if progress:
                progress(done, total, f"{config.name}: {dataset.name}")
        run.run_seconds[config.name] = time.perf_counter() - c0
    run.wall_seconds = time.perf_counter() - t0
    return run


APP_DEFAULT = "moments"  # the configuration the app runs


def claim_files(folder: Path) -> list[tuple[Path, bool]]:
    """The development claim sets (`claims/*.jsonl`), then the blind ones (`blind/claims.jsonl`, `claims-2.jsonl`,
    …: each written before the checks it judges)."""
    files = [(p, False) for p in sorted((folder / "claims").glob("*.jsonl"))]
    blind = sorted((p for p in (folder / BLIND_FOLDER).glob("*.jsonl") if is_blind_claim_set(p)),
                   key=lambda p: (len(p.stem), p.stem))  # claims, claims-2, …, claims-10
    return files + [(p, True) for p in blind]


def run_claim_sets(settings: Settings, corpus: Sequence[Path], *, embedder: CachedEmbedder | None = None,
                   progress: Progress | None = None) -> list[ClaimSetRun]:
    """Every claim set checked by the app's default configuration, over its own index of `corpus`."""
    embedder = embedder or make_embedder(settings)
    engine = _Engine(CONFIGS[APP_DEFAULT], settings, embedder)
    engine.prepare(corpus)
    out = []
    for path, blind in claim_files(settings.eval_datasets):
        name = f"blind-{path.stem}" if blind else path.stem
        if progress:
            progress(0, 0, f"claims: {name}")
        results, confusion = run_claims(engine.assistant, path)
        out.append(ClaimSetRun(name, blind, results, confusion))
    return out
