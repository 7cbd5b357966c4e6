"""What is in the index: `ingest`, `remove`, `episodes`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rag.cli.base import State, app, fail, print_json
from rag.cli.render import err, line, print_episodes, print_error, print_note, print_removed, progress_bar
from rag.errors import EmptyLibraryError, PodragError


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Episode folders, or folders of them.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Parse, chunk, embed and index episodes (default: data/episodes and $PODRAG_CORPUS)."""
    assistant = State.assistant()
    paths = paths or assistant.settings.default_corpus()
    try:
        with progress_bar("embedding chunks", "embedding ", quiet, remaining=True) as progress:
            report = assistant.ingest(paths, progress)
    except PodragError as exc:
        fail(str(exc))
    for failure in report.failed:
        print_error(failure)
    for notice in assistant.lexical.notices:
        print_note(notice)
    err.print(line(report.summary_line()))
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def remove(episode_ids: Annotated[list[str], typer.Argument(help="Episode ids to drop from the index.")]) -> None:
    """Drop episodes from the index."""
    try:
        removed = State.assistant().remove(episode_ids)
    except PodragError as exc:
        fail(str(exc))
    missing = [e for e in episode_ids if e not in removed]
    if removed:
        print_removed(removed)
    if missing:
        fail(f"not in the index: {', '.join(missing)}")


@app.command()
def episodes(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the indexed episodes."""
    try:
        assistant = State.assistant()
        records = assistant.episodes()
    except PodragError as exc:
        fail(str(exc))
    if as_json:
        print_json([_episode_json(r) for r in records])
        return
    if not records:
        err.print(str(EmptyLibraryError(assistant.index.location)))  # not an error: an empty list, said in words
        return
    print_episodes(records)


def _episode_json(r) -> dict:
    return {
        "id": r.id, **{k: v for k, v in r.meta.__dict__.items() if k != "id"},
        "duration": r.duration, "chapters": [c.__dict__ for c in r.chapters], "chunks": len(r.chunk_ids),
        "transcript_format": r.transcript_format, "has_summary": r.has_summary, "ingested_at": r.ingested_at,
    }
