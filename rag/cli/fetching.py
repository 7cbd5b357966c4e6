"""Getting episodes from where they live: `add` (a transcript page, a podcast feed, a video, audio) and `sync`
(re-read the feeds that were added). The work is rag.fetch's; this only reads options and prints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rag.cli.base import State, app, fail, print_json
from rag.cli.render import print_add_report, progress_bar
from rag.errors import PodragError

SOURCE_HELP = ("Transcript page URL, podcast feed (URL or file), video URL, audio (file or URL), or a transcript "
               "file (.vtt, .srt, .json, .txt, .html)")


def _read_list(path: Path) -> list[str]:
    """Sources from a file, one per line; blank lines and `#` comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        fail(f"{path}: cannot read the list of sources ({exc.strerror or exc})", 2)
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


@app.command()
def add(
    sources: Annotated[list[str] | None, typer.Argument(help=SOURCE_HELP)] = None,
    latest: Annotated[int | None, typer.Option("--latest", min=1,
                                               help="Feeds: the newest N items (default 1).")] = None,
    episode: Annotated[str | None, typer.Option("--episode",
                                                help="Feeds: the item with this guid or episode number.")] = None,
    episode_id: Annotated[str | None, typer.Option("--id", help="The episode id to use (one source only).")] = None,
    from_file: Annotated[Path | None, typer.Option("--from", help="Read sources from a file, one per line.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Fetch episodes and index them: transcript pages (lexfridman.com), podcast feeds with Podcasting 2.0
    transcripts, videos (captions through yt-dlp), audio (transcribed with faster-whisper). Kept in data/fetched
    with where each file came from."""
    from rag.fetch import Adder, AddOptions

    wanted = [*(sources or []), *(_read_list(from_file) if from_file else [])]
    if not wanted:
        fail("give a SOURCE (a URL or a file), or --from FILE", 2)
    if episode is not None and latest is not None:
        fail("--episode and --latest exclude each other", 2)
    assistant = State.assistant()
    try:
        with progress_bar("fetching", "", quiet or as_json, remaining=False) as progress, \
                Adder(assistant, progress=progress) as adder:
            report = adder.add(wanted, AddOptions(latest, episode, episode_id))
    except PodragError as exc:
        fail(str(exc))
    if as_json:
        print_json(report.to_json())
    else:
        print_add_report(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def sync(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Re-read every feed that was added: add its new items, re-ingest transcripts that changed. Unchanged feeds
    and files are not downloaded again (ETag / Last-Modified)."""
    from rag.fetch import Adder
    from rag.fetch.sync import sync_feeds

    assistant = State.assistant()
    try:
        with progress_bar("syncing", "", quiet or as_json, remaining=False) as progress, \
                Adder(assistant, progress=progress) as adder:
            report = sync_feeds(adder)
    except PodragError as exc:
        fail(str(exc))
    if as_json:
        print_json(report.to_json())
    else:
        print_add_report(report, command="sync")
    if not report.ok:
        raise typer.Exit(1)
