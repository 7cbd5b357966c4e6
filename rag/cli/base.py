"""The Typer app every command group registers on, the assistant it works with, and what commands share:
failing with one line, filters from options, JSON Lines batches."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from rag.cli.render import err, print_error
from rag.errors import PodragError
from rag.models import Filters
from rag.settings import Settings

app = typer.Typer(
    help="Ask questions about podcast episodes and get answers cited to the second.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class State:
    settings_overrides: dict = {}
    _assistant = None

    @classmethod
    def assistant(cls):
        if cls._assistant is None:
            from rag.assistant import Assistant

            cls._assistant = Assistant(Settings(**cls.settings_overrides))
        return cls._assistant


@app.callback()
def _global(
    index: Annotated[Path | None, typer.Option("--index",
                                               help="Index folder (default: $PODRAG_INDEX or data/index).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if index is not None:
        State.settings_overrides["index"] = index


def fail(message: str, code: int = 1) -> None:
    """Print one error line and exit (1: an error, 2: a usage error)."""
    print_error(message)
    raise typer.Exit(code)


def require_episodes(assistant) -> None:
    """Stop with a clear message when nothing is indexed yet (a fresh clone): a question has nothing to search."""
    try:
        assistant.require_episodes()
    except PodragError as exc:
        fail(str(exc))


def filters_of(episode: list[str] | None, speaker: str | None, source: str | None,
               time_from: float | None = None, time_to: float | None = None) -> Filters | None:
    """The filters the options ask for (None: none), after checking they can match something: a usage error
    (exit 2) for an impossible time range or source, an error (exit 1) for an episode that is not indexed."""
    if source not in (None, "transcript", "summary"):
        fail(f"--source must be 'transcript' or 'summary', not {source!r}", 2)
    if time_from is not None and time_to is not None and time_from > time_to:
        fail(f"--from {time_from:g} is after --to {time_to:g}: no passage can match", 2)
    if episode:
        error = unknown_episode(episode)
        if error:
            fail(error)
    if not (episode or speaker or source or time_from is not None or time_to is not None):
        return None
    return Filters(tuple(episode or ()), speaker, source, time_from, time_to)  # type: ignore[arg-type]


def unknown_episode(episode_ids: list[str] | tuple[str, ...]) -> str | None:
    """The error for the first of `episode_ids` that is not in the index (the message `check` gives), or None."""
    known = State.assistant().index.records()
    missing = next((e for e in episode_ids if e not in known), None)
    return None if missing is None else f"no episode {missing!r} in the index (see `podcast-rag episodes`)"


def check_k(k: int) -> None:
    if k < 1:
        fail(f"--k must be at least 1, not {k}", 2)


def read_batch(path: Path, field: str = "query") -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, request, error) for each non-empty line of a JSON Lines file ('-' is stdin); each request
    must have a non-empty string `field`."""
    stream = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    with stream:
        for n, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, None, (f"{path}:{n}: not JSON ({exc.msg}); "
                                f"expected an object like {{\"id\": 1, \"{field}\": \"...\"}}")
                continue
            if not isinstance(item, dict) or not isinstance(item.get(field), str) or not item[field].strip():
                yield (n, item if isinstance(item, dict) else None,
                       f"{path}:{n}: expected an object with a non-empty \"{field}\" string")
                continue
            yield n, item, None


def run_batch(path: Path, handle: Callable[[str, Filters | None], dict], field: str = "query") -> None:
    if str(path) != "-" and not path.exists():
        fail(f"{path}: no such file")
    for _, item, error in read_batch(path, field):
        rid = item.get("id") if item else None
        if error:
            print(json.dumps({"id": rid, "error": error}, ensure_ascii=False), flush=True)
            continue
        episode = item.get("episode")
        filters = Filters(episode_ids=(episode,)) if isinstance(episode, str) and episode else None
        error = unknown_episode(filters.episode_ids) if filters else None
        if error:
            print(json.dumps({"id": rid, "error": error}, ensure_ascii=False), flush=True)
            continue
        try:
            result = handle(item[field], filters)
        except PodragError as exc:
            result = {"error": str(exc)}
        print(json.dumps({"id": rid, **result}, ensure_ascii=False), flush=True)


def print_json(value: object, indent: int | None = 2) -> None:
    print(json.dumps(value, indent=indent, ensure_ascii=False))


def main() -> None:
    try:
        app()
    except PodragError as exc:
        print_error(str(exc))
        sys.exit(1)


__all__ = ["app", "State", "fail", "filters_of", "run_batch", "print_json", "main", "err"]
