"""Checking what was said: `check` (a claim) and `verify-summary` (a published summary)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from rag.cli.base import State, app, fail, print_json, run_batch
from rag.cli.render import print_claim_check, print_summary_report
from rag.errors import PodragError


@app.command()
def check(
    claim: Annotated[str | None, typer.Argument(help="What someone supposedly said, e.g. \"Dylan Patel says "
                                                     "DeepSeek has about 50,000 GPUs\".")] = None,
    episode: Annotated[str | None, typer.Option("--episode", help="Only this episode id.")] = None,
    batch: Annotated[Path | None, typer.Option("--batch",
                                               help="JSON Lines of {id, claim, episode?}; '-' for stdin.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a claim against the transcripts: supported, contradicted, misattributed or not found."""
    assistant = State.assistant()
    if batch is not None:
        run_batch(batch, lambda c, f: assistant.check_claim(c, f.episode_ids[0] if f else None).to_json(), "claim")
        return
    if claim is None or not claim.strip():
        fail("give a CLAIM (or --batch FILE)", 2)
    try:
        result = assistant.check_claim(claim, episode)
    except PodragError as exc:
        fail(str(exc))
    if as_json:
        print_json(result.to_json())
        return
    print_claim_check(result)


@app.command("verify-summary")
def verify_summary_command(
    episode: Annotated[str, typer.Argument(help="The episode id, e.g. lex-fridman-459.")],
    summary: Annotated[Path | None, typer.Option("--summary",
                                                 help="Check this summary file instead of the ingested one.")] = None,
    statements: Annotated[bool, typer.Option("--statements/--no-statements",
                                             help="Also check the summary's plain statements (slower).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (one row per quote and statement).")] = False,
) -> None:
    """Check a summary against the transcript: its quotes (where, who, verbatim?), its clock, its statements."""
    try:
        report = State.assistant().verify_summary(episode, summary, statements)
    except PodragError as exc:
        fail(str(exc))
    if as_json:
        print_json(report.to_json())
        return
    if as_csv:
        sys.stdout.write(report.to_csv())
        return
    print_summary_report(report)
