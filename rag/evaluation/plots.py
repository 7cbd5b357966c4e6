"""The evaluation report's plots (PNG, matplotlib): hit@k curves, time errors of what a user is sent to, latency
per stage, and the evidence score of answerable against unanswerable questions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rag.evaluation.runner import EvalRun, QuestionResult
from rag.evaluation.scores import evidence_values, score


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _save(fig, ax, path: Path, legend: dict) -> Path:
    plt = _plt()
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**legend)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_hit_curves(run: EvalRun, dataset: str, path: Path) -> Path:
    from rag.evaluation.metrics import hit_at, share

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for cfg in run.configs:
        rels = [r.relevant for r in run.select(cfg.name, dataset) if r.question.answerable]
        if rels:
            ks = range(1, 11)
            ax.plot(ks, [share(hit_at(rel, k) for rel in rels) for k in ks], marker="o", ms=3, label=cfg.name)
    ax.set(xlabel="k", ylabel="hit@k", title=f"hit@k — {dataset}", ylim=(0, 1.02), xticks=range(1, 11))
    ax.grid(alpha=0.3)
    return _save(fig, ax, path, legend={"fontsize": 8, "loc": "lower right"})


def _errors(results: Sequence[QuestionResult], citation: bool) -> list[float | None]:
    if citation:
        return [r.answer.top_citation_error if r.answer else None for r in results]
    return [r.top_passage_error for r in results]


def plot_time_errors(run: EvalRun, dataset: str, path: Path, primary: str | None, baseline: str) -> Path:
    """Left: histogram of seconds from the moment a user is sent to (first citation, or top passage) to the nearest
    gold start, for the main configuration and the baseline; misses, refusals and other episodes in the last bin.
    Right: share of questions within t seconds, for every configuration."""
    import numpy as np

    plt = _plt()
    cap = 300
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    by_config = {c.name: [r for r in run.select(c.name, dataset) if r.question.answerable] for c in run.configs}
    series = []
    if primary and by_config.get(primary):
        series += [(_errors(by_config[primary], True), f"{primary}: first citation"),
                   (_errors(by_config[primary], False), f"{primary}: top passage")]
    if by_config.get(baseline):
        series.append((_errors(by_config[baseline], False), f"{baseline}: top node"))
    if series:
        left.hist([[min(e, cap + 1) if e is not None else cap + 1 for e in errs] for errs, _ in series],
                  bins=list(range(0, cap + 1, 10)) + [cap + 10], label=[lbl for _, lbl in series])
    for x in (30, 60):
        left.axvline(x, color="grey", ls=":", lw=1)
        right.axvline(x, color="grey", ls=":", lw=1)
    left.set(xlabel=f"seconds from a gold start (last bar: >{cap} s, elsewhere or refused)", ylabel="questions",
             title=f"time error — {dataset}")
    if series:
        left.legend(fontsize=7)
    ts = np.arange(0, cap + 1, 5)
    for cfg in run.configs:
        results = by_config[cfg.name]
        if not results:
            continue
        citation = any(r.answer for r in results)
        errs = _errors(results, citation)
        right.plot(ts, [sum(1 for e in errs if e is not None and e <= t) / len(errs) for t in ts],
                   label=f"{cfg.name} ({'citation' if citation else 'top passage'})")
    right.set(xlabel="t (seconds)", ylabel="share within t of a gold start", ylim=(0, 1), title="time accuracy")
    right.grid(alpha=0.3)
    return _save(fig, right, path, legend={"fontsize": 7, "loc": "lower right"})


def plot_latency(run: EvalRun, path: Path) -> Path:
    plt = _plt()
    names = [c.name for c in run.configs]
    stats = [score(run.select(n)) for n in names]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ys = range(len(names))
    h = 0.2
    for i, (field, label) in enumerate([("retrieve_p50", "retrieve p50"), ("retrieve_p95", "retrieve p95"),
                                        ("answer_p50", "answer p50"), ("answer_p95", "answer p95")]):
        ax.barh([y + (i - 1.5) * h for y in ys], [getattr(s, field) or 0 for s in stats], height=h, label=label)
    ax.set_yticks(list(ys), names)
    ax.invert_yaxis()
    ax.set(xlabel="milliseconds", title="latency per stage (all questions)")
    return _save(fig, ax, path, legend={"fontsize": 8})


def plot_evidence(run: EvalRun, config: str, path: Path) -> Path | None:
    values, ok = evidence_values(run, config, "best_cosine")
    if not values or all(ok) or not any(ok):
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.hist([[v for v, a in zip(values, ok) if a], [v for v, a in zip(values, ok) if not a]], bins=20,
            label=["answerable", "unanswerable"], histtype="stepfilled", alpha=0.55)
    ax.set(xlabel="Evidence.best_cosine (question vs best sentence window)", ylabel="questions",
           title=f"evidence — {config}")
    return _save(fig, ax, path, legend={"fontsize": 8})


