"""`eval`: retrieval and answer metrics on the golden sets."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from rag.cli.base import State, app, fail
from rag.cli.render import err, line, out, progress_bar
from rag.errors import PodragError


@app.command("eval")
def eval_(
    dataset: Annotated[list[str] | None, typer.Option("--dataset",
                                                      help="Golden set name (lex-fridman-459, 459, unanswerable) or "
                                                           "path; repeatable. Default: every set in "
                                                           "$PODRAG_EVAL_DATASETS.")] = None,
    configs: Annotated[list[str] | None, typer.Option("--configs",
                                                      help="Configurations, comma-separated or repeated "
                                                           "(see --list-configs). Default: all.")] = None,
    report: Annotated[Path | None, typer.Option("--report",
                                                help="Report folder (default $PODRAG_EVAL_REPORT or "
                                                     "eval/reports).")] = None,
    corpus: Annotated[list[Path] | None, typer.Option("--corpus",
                                                      help="Episode folders to index (default data/episodes and "
                                                           "$PODRAG_CORPUS); repeatable.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions of each set.")] = None,
    episode_filter: Annotated[bool, typer.Option("--episode-filter",
                                                 help="Search only each question's own episode.")] = False,
    list_configs: Annotated[bool, typer.Option("--list-configs", help="List the configurations and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    claims: Annotated[bool, typer.Option("--claims",
                                         help="Also check the claim sets (eval/datasets/claims and "
                                              "blind/claims.jsonl) with the app's default configuration.")] = False,
    lower_case: Annotated[bool, typer.Option("--lower-case",
                                             help="Ask every question in lower case, as many chat users type it "
                                                  "(the same gold).")] = False,
) -> None:
    """Score retrieval and answers on golden question sets, per configuration; write a Markdown + HTML report."""
    from rag.evaluation import evaluate
    from rag.evaluation.claims import at_the_moment
    from rag.evaluation.configs import CONFIGS
    from rag.evaluation.report import summary_table, verdict

    if list_configs:
        for c in CONFIGS.values():
            out.print(line(f"{c.name:15} {c.description}"))
        return
    assistant = State.assistant()
    settings = assistant.settings
    # The default folders only when they exist (run outside a checkout); folders the user names must exist.
    paths = corpus or [p for p in settings.default_corpus() if p.exists()]
    command = "podcast-rag " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        with progress_bar("evaluating", "", quiet, remaining=False) as progress:
            run, files = evaluate(settings, dataset or [], configs or [], paths, report or settings.eval_report,
                                  embedder=assistant.embedder, limit=limit, filter_episode=episode_filter,
                                  progress=progress, command=command, claims=claims, lower_case=lower_case)
    except PodragError as exc:
        fail(str(exc))
    print(summary_table(run))
    v = verdict(run)
    if v:
        print(f"\n{v}")
    for c in run.claims:
        print(f"claims {c.name}: {c.confusion.right}/{c.confusion.total} verdicts right ({c.confusion.accuracy:.2f}); "
              f"{at_the_moment(c.results)}")
    err.print(line(f"report: {files.markdown} and {files.html} ({run.wall_seconds:.0f} s)"))
