"""Questions: `search`, `ask`, `chat`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rag.cli.base import State, app, check_k, fail, filters_of, print_json, require_episodes, run_batch
from rag.cli.render import err, line, out, print_error, print_passage, stream_answer
from rag.errors import PodragError
from rag.models import Turn

LLM_HELP = "Answer with the configured LLM (PODRAG_LLM_*); fail if there is none. Default: the LLM when configured."
OFFLINE_HELP = "Answer offline (extractive) even when an LLM is configured."


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("--k", help="How many passages.")] = 10,
    episode: Annotated[list[str] | None, typer.Option("--episode", help="Only this episode id (repeatable).")] = None,
    speaker: Annotated[str | None, typer.Option("--speaker", help="Only passages where this person speaks.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="transcript or summary.")] = None,
    time_from: Annotated[float | None, typer.Option("--from", help="Only passages ending after this second.")] = None,
    time_to: Annotated[float | None, typer.Option("--to", help="Only passages starting before this second.")] = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense or bm25.")] = "hybrid",
    batch: Annotated[Path | None, typer.Option("--batch",
                                               help="JSON Lines of {id, query, episode?}; '-' for stdin.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find the passages that best match a query."""
    if mode not in ("hybrid", "dense", "bm25"):
        fail(f"--mode must be hybrid, dense or bm25, not {mode!r}", 2)
    check_k(k)
    assistant = State.assistant()
    if batch is not None:
        require_episodes(assistant)
        run_batch(batch, lambda q, f: {"results": [p.to_json() for p in assistant.search(q, k, f, mode)]})  # type: ignore[arg-type]
        return
    if not query or not query.strip():
        fail("give a QUERY (or --batch FILE)", 2)
    try:
        filters = filters_of(episode, speaker, source, time_from, time_to)
        require_episodes(assistant)
        passages = assistant.search(query, k, filters, mode)  # type: ignore[arg-type]
    except PodragError as exc:
        fail(str(exc))
    if as_json:
        print_json([p.to_json() for p in passages])
        return
    if not passages:
        err.print("No passages found.")
    for p in passages:
        print_passage(p)


def answerer_choice(llm: bool, offline: bool) -> None:
    """Apply --llm / --offline before the assistant is made."""
    if llm and offline:
        fail("--llm and --offline exclude each other", 2)
    if llm or offline:
        State.settings_overrides["answerer"] = "llm" if llm else "extractive"


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="Your question.")] = None,
    episode: Annotated[list[str] | None, typer.Option("--episode", help="Only this episode id (repeatable).")] = None,
    speaker: Annotated[str | None, typer.Option("--speaker", help="Only passages where this person speaks.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="transcript or summary.")] = None,
    batch: Annotated[Path | None, typer.Option("--batch",
                                               help="JSON Lines of {id, query, episode?}; '-' for stdin.")] = None,
    llm: Annotated[bool, typer.Option("--llm", help=LLM_HELP)] = False,
    offline: Annotated[bool, typer.Option("--offline", help=OFFLINE_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the final answer, not streamed).")] = False,
) -> None:
    """Answer a question, citing the moments and summary sections it comes from."""
    answerer_choice(llm, offline)
    assistant = State.assistant()
    if batch is not None:
        require_episodes(assistant)
        run_batch(batch, lambda q, f: assistant.ask(q, f).to_json())
        return
    if not question or not question.strip():
        fail("give a QUESTION (or --batch FILE)", 2)
    try:
        filters = filters_of(episode, speaker, source)
        require_episodes(assistant)
        if as_json:
            print_json(assistant.ask(question, filters).to_json())
        else:
            stream_answer(assistant.ask_stream(question, filters, []))
    except PodragError as exc:
        fail(str(exc))


@app.command()
def chat(
    episode: Annotated[list[str] | None, typer.Option("--episode", help="Only this episode id (repeatable).")] = None,
    llm: Annotated[bool, typer.Option("--llm", help=LLM_HELP)] = False,
    offline: Annotated[bool, typer.Option("--offline", help=OFFLINE_HELP)] = False,
) -> None:
    """Ask questions one after another in the terminal; follow-ups may refer to earlier ones (empty line or
    Ctrl-D to quit)."""
    answerer_choice(llm, offline)
    assistant = State.assistant()
    try:
        filters = filters_of(episode, None, None)
    except PodragError as exc:
        fail(str(exc))
    err.print(line(("answers: " + assistant.mode_label(), "dim")))
    history: list[Turn] = []
    while True:
        try:
            question = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            answer = stream_answer(assistant.ask_stream(question, filters, history))
            history.append(Turn(question, answer.answer))
        except PodragError as exc:
            print_error(str(exc))
        out.print()
