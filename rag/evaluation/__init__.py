"""Retrieval and answer evaluation: golden question sets, metrics, named configurations, runs and reports.

`evaluate` is the one entry point the CLI (`podcast-rag eval`) and the UI's Evaluate tab share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rag.embedding import CachedEmbedder
from rag.settings import Settings


def evaluate(settings: Settings, datasets: Sequence[str], configs: Sequence[str], corpus: Sequence[Path],
             report: Path, *, embedder: CachedEmbedder | None = None, limit: int | None = None,
             filter_episode: bool = False, progress=None, command: str = "podcast-rag eval", claims: bool = False,
             lower_case: bool = False):
    """Load the named golden sets (all when none), run the named configurations (all when none) over `corpus`,
    with `claims` also the claim sets through the app's default configuration, and write the report into
    `report`. `lower_case` asks every question in lower case, as many chat users type. Returns (EvalRun,
    ReportFiles); raises PodragError on bad input."""
    from rag.evaluation.configs import select_configs
    from rag.evaluation.datasets import load_dataset, resolve_datasets
    from rag.evaluation.report import write_report
    from rag.evaluation.runner import run_claim_sets, run_eval

    chosen = select_configs(configs)
    sets = [load_dataset(p) for p in resolve_datasets(datasets, settings.eval_datasets)]
    if lower_case:
        sets = [replace(d, questions=[replace(q, question=q.question.lower()) for q in d.questions]) for d in sets]
    run = run_eval(settings, sets, chosen, corpus, embedder=embedder, limit=limit, filter_episode=filter_episode,
                   progress=progress)
    if claims:
        run.claims = run_claim_sets(settings, corpus, embedder=embedder, progress=progress)
    return run, write_report(run, report, command)


def library_corpus(episode_files: Sequence[Sequence[str]]) -> list[Path]:
    """The folders holding the files of already indexed episodes (`EpisodeRecord.files`), to evaluate on what the
    library contains."""
    return sorted({Path(f).parent for files in episode_files for f in files if Path(f).parent.exists()})
