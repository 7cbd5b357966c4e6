"""`podcast-rag`: the command line. It only translates between people (or scripts) and rag.assistant."""

from __future__ import annotations

import json
import logging
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from rag.errors import PodragError
from rag.models import Answer, Filters, Passage, Turn
from rag.settings import Settings
from rag.timecodes import format_clock

app = typer.Typer(
    help="Ask questions about podcast episodes and get answers cited to the second.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


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
    index: Annotated[Optional[Path], typer.Option("--index", help="Index folder (default: $PODRAG_INDEX or data/index).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if index is not None:
        State.settings_overrides["index"] = index


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def _filters(episode: list[str] | None, speaker: str | None, source: str | None,
             time_from: float | None = None, time_to: float | None = None) -> Filters | None:
    if source not in (None, "transcript", "summary"):
        _fail(f"--source must be 'transcript' or 'summary', not {source!r}", 2)
    if not (episode or speaker or source or time_from is not None or time_to is not None):
        return None
    return Filters(tuple(episode or ()), speaker, source, time_from, time_to)  # type: ignore[arg-type]


def _read_batch(path: Path, field: str = "query") -> Iterator[tuple[int, dict | None, str | None]]:
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
                yield n, None, f"{path}:{n}: not JSON ({exc.msg}); expected an object like {{\"id\": 1, \"{field}\": \"...\"}}"
                continue
            if not isinstance(item, dict) or not isinstance(item.get(field), str) or not item[field].strip():
                yield n, item if isinstance(item, dict) else None, f"{path}:{n}: expected an object with a non-empty \"{field}\" string"
                continue
            yield n, item, None


def _run_batch(path: Path, handle: Callable[[str, Filters | None], dict], field: str = "query") -> None:
    if str(path) != "-" and not path.exists():
        _fail(f"{path}: no such file")
    for _, item, error in _read_batch(path, field):
        rid = item.get("id") if item else None
        if error:
            print(json.dumps({"id": rid, "error": error}, ensure_ascii=False), flush=True)
            continue
        episode = item.get("episode")
        filters = Filters(episode_ids=(episode,)) if isinstance(episode, str) and episode else None
        try:
            result = handle(item[field], filters)
        except PodragError as exc:
            result = {"error": str(exc)}
        print(json.dumps({"id": rid, **result}, ensure_ascii=False), flush=True)


@contextmanager
def _progress_bar(description: str, prefix: str, quiet: bool, *, remaining: bool) -> Iterator[Callable]:
    """A transient progress bar on stderr; yields the `(done, total, label)` callback the library reports to."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    clock = TimeRemainingColumn() if remaining else TimeElapsedColumn()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), clock,
                  console=err, disable=quiet, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total or None, description=prefix + escape(label))

        yield progress


# -- commands ---------------------------------------------------------------------------------------------------


@app.command()
def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Episode folders, or folders of them.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Parse, chunk, embed and index episodes (default: data/episodes and $PODRAG_CORPUS)."""
    assistant = State.assistant()
    paths = paths or assistant.settings.default_corpus()
    try:
        with _progress_bar("embedding chunks", "embedding ", quiet, remaining=True) as progress:
            report = assistant.ingest(paths, progress)
    except PodragError as exc:
        _fail(str(exc))
    for line in report.failed:
        err.print(f"[red]error:[/red] {escape(line)}")
    for notice in assistant.lexical.notices:
        err.print(f"[yellow]note:[/yellow] {escape(notice)}")
    err.print(report.summary_line())
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def remove(episode_ids: Annotated[list[str], typer.Argument(help="Episode ids to drop from the index.")]) -> None:
    """Drop episodes from the index."""
    try:
        removed = State.assistant().remove(episode_ids)
    except PodragError as exc:
        _fail(str(exc))
    missing = [e for e in episode_ids if e not in removed]
    if removed:
        err.print(f"removed {', '.join(removed)}")
    if missing:
        _fail(f"not in the index: {', '.join(missing)}")


@app.command()
def episodes(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the indexed episodes."""
    try:
        records = State.assistant().episodes()
    except PodragError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps([_episode_json(r) for r in records], indent=2, ensure_ascii=False))
        return
    if not records:
        err.print("The index is empty: run `podcast-rag ingest` first.")
        return
    from rich.table import Table

    table = Table("id", "title", "guests", "published", "length", "chapters", "chunks", "sources")
    for r in records:
        sources = ", ".join(x for x in (r.transcript_format, "summary" if r.has_summary else None) if x)
        table.add_row(r.id, escape(r.meta.title or ""), escape(", ".join(r.meta.guests)), r.meta.published or "",
                      format_clock(r.duration) if r.duration else "", str(len(r.chapters)), str(len(r.chunk_ids)),
                      sources)
    out.print(table)


def _episode_json(r) -> dict:
    return {
        "id": r.id, **{k: v for k, v in r.meta.__dict__.items() if k != "id"},
        "duration": r.duration, "chapters": [c.__dict__ for c in r.chapters], "chunks": len(r.chunk_ids),
        "transcript_format": r.transcript_format, "has_summary": r.has_summary, "ingested_at": r.ingested_at,
    }


@app.command()
def search(
    query: Annotated[Optional[str], typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("--k", help="How many passages.")] = 10,
    episode: Annotated[Optional[list[str]], typer.Option("--episode", help="Only this episode id (repeatable).")] = None,
    speaker: Annotated[Optional[str], typer.Option("--speaker", help="Only passages where this person speaks.")] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="transcript or summary.")] = None,
    time_from: Annotated[Optional[float], typer.Option("--from", help="Only passages ending after this second.")] = None,
    time_to: Annotated[Optional[float], typer.Option("--to", help="Only passages starting before this second.")] = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense or bm25.")] = "hybrid",
    batch: Annotated[Optional[Path], typer.Option("--batch", help="JSON Lines of {id, query, episode?}; '-' for stdin.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find the passages that best match a query."""
    if mode not in ("hybrid", "dense", "bm25"):
        _fail(f"--mode must be hybrid, dense or bm25, not {mode!r}", 2)
    assistant = State.assistant()
    if batch is not None:
        _run_batch(batch, lambda q, f: {"results": [p.to_json() for p in assistant.search(q, k, f, mode)]})  # type: ignore[arg-type]
        return
    if not query or not query.strip():
        _fail("give a QUERY (or --batch FILE)", 2)
    try:
        passages = assistant.search(query, k, _filters(episode, speaker, source, time_from, time_to), mode)  # type: ignore[arg-type]
    except PodragError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps([p.to_json() for p in passages], indent=2, ensure_ascii=False))
        return
    if not passages:
        err.print("No passages found.")
    for p in passages:
        _print_passage(p)


def _where(chunk) -> str:
    if chunk.source_type == "summary":
        return f"summary · {chunk.section or ''}"
    return f"{format_clock(chunk.start)} · {', '.join(chunk.speakers)} · {chunk.chapter or ''}"


def _print_passage(p: Passage) -> None:
    c = p.chunk
    out.print(f"[bold]{p.rank}.[/bold] {escape(c.episode_id)} · {escape(_where(c))}  [dim]{p.score:.4f}[/dim]")
    out.print(f"   {escape(c.text[:400])}{'…' if len(c.text) > 400 else ''}")
    if p.url:
        out.print(f"   [link={p.url}]{escape(p.url)}[/link]")


def _print_answer(a: Answer, streamed: str | None = None) -> None:
    """The answer (unless `streamed` already showed this text), its sources, and the checks of an LLM answer."""
    if a.notice:
        err.print(f"[yellow]note:[/yellow] {escape(a.notice)}")
    if streamed is None or streamed.strip() != a.answer.strip():
        out.print(escape(a.answer))
    out.print()
    for c in a.citations:
        chunk = c.passage.chunk
        if chunk.source_type == "summary":
            where = f"summary · {chunk.section}"
        else:
            where = f"{format_clock(c.start)} · {c.speaker or ''} · {chunk.chapter or ''}"
        out.print(f"[bold][{c.n}][/bold] {escape(chunk.episode_id)} · {escape(where)}")
        if c.url:
            out.print(f"    [link={c.url}]{escape(c.url)}[/link]")
    if a.abstained:
        for p in a.closest:
            _print_passage(p)
    if a.unsupported:
        out.print(f"[yellow]{len(a.unsupported)} of {a.sentences} sentences not supported by their sources:[/yellow]")
        for u in a.unsupported:
            out.print(f"  [yellow]–[/yellow] “{escape(u.sentence)}” ({escape(u.reason)})")
    if a.removed_citations:
        shown = ", ".join(f"[{n}]" for n in a.removed_citations)
        out.print(f"[yellow]removed citations of sources that were not given: {escape(shown)}[/yellow]")
    out.print(f"[dim]mode: {a.mode}{' · ' + escape(a.model) if a.model else ''}[/dim]")


def _answerer_choice(llm: bool, offline: bool) -> None:
    """Apply --llm / --offline before the assistant is made."""
    if llm and offline:
        _fail("--llm and --offline exclude each other", 2)
    if llm or offline:
        State.settings_overrides["answerer"] = "llm" if llm else "extractive"


def _ask_and_show(assistant, question: str, filters: Filters | None, history: list[Turn]) -> Answer:
    """Stream the answer to the terminal as it is written, then show its sources and checks."""
    pieces: list[str] = []
    answer = None
    for event in assistant.ask_stream(question, filters, history):
        if isinstance(event, Answer):
            answer = event
        else:
            pieces.append(event)
            out.print(event, end="", markup=False, highlight=False)
    if pieces:
        out.print()
    assert answer is not None
    _print_answer(answer, "".join(pieces))
    return answer


LLM_HELP = "Answer with the configured LLM (PODRAG_LLM_*); fail if there is none. Default: the LLM when configured."
OFFLINE_HELP = "Answer offline (extractive) even when an LLM is configured."


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="Your question.")] = None,
    episode: Annotated[Optional[list[str]], typer.Option("--episode", help="Only this episode id (repeatable).")] = None,
    speaker: Annotated[Optional[str], typer.Option("--speaker", help="Only passages where this person speaks.")] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="transcript or summary.")] = None,
    batch: Annotated[Optional[Path], typer.Option("--batch", help="JSON Lines of {id, query, episode?}; '-' for stdin.")] = None,
    llm: Annotated[bool, typer.Option("--llm", help=LLM_HELP)] = False,
    offline: Annotated[bool, typer.Option("--offline", help=OFFLINE_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the final answer, not streamed).")] = False,
) -> None:
    """Answer a question, citing the moments and summary sections it comes from."""
    _answerer_choice(llm, offline)
    assistant = State.assistant()
    if batch is not None:
        _run_batch(batch, lambda q, f: assistant.ask(q, f).to_json())
        return
    if not question or not question.strip():
        _fail("give a QUESTION (or --batch FILE)", 2)
    filters = _filters(episode, speaker, source)
    try:
        if as_json:
            print(json.dumps(assistant.ask(question, filters).to_json(), indent=2, ensure_ascii=False))
        else:
            _ask_and_show(assistant, question, filters, [])
    except PodragError as exc:
        _fail(str(exc))


_VERDICT_STYLE = {"supported": "green", "contradicted": "red", "misattributed": "yellow", "not_found": "dim"}


@app.command()
def check(
    claim: Annotated[Optional[str], typer.Argument(help="What someone supposedly said, e.g. \"Dylan Patel says DeepSeek has about 50,000 GPUs\".")] = None,
    episode: Annotated[Optional[str], typer.Option("--episode", help="Only this episode id.")] = None,
    batch: Annotated[Optional[Path], typer.Option("--batch", help="JSON Lines of {id, claim, episode?}; '-' for stdin.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a claim against the transcripts: supported, contradicted, misattributed or not found."""
    assistant = State.assistant()
    if batch is not None:
        _run_batch(batch, lambda c, f: assistant.check_claim(c, f.episode_ids[0] if f else None).to_json(), "claim")
        return
    if claim is None or not claim.strip():
        _fail("give a CLAIM (or --batch FILE)", 2)
    try:
        result = assistant.check_claim(claim, episode)
    except PodragError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    if result.notice:
        err.print(f"[yellow]note:[/yellow] {escape(result.notice)}")
    style = _VERDICT_STYLE[result.verdict]
    out.print(f"[bold {style}]{result.verdict.upper().replace('_', ' ')}[/bold {style}]  [dim]decided by: "
              f"{escape(result.decided_by)} · {escape(result.mode)}[/dim]")
    out.print(escape(result.explanation))
    for c, label in zip(result.evidence, result.labels):
        chunk = c.passage.chunk
        out.print(f"[bold][{c.n}][/bold] {escape(label)} · {escape(chunk.episode_id)} · {format_clock(c.start)} · "
                  f"{escape(c.speaker or '')} · {escape(chunk.chapter or '')}")
        out.print(f"    “{escape(c.quote)}”")
        if c.url:
            out.print(f"    [link={c.url}]{escape(c.url)}[/link]")
    if result.closest:
        out.print("[dim]closest passages:[/dim]")
        for c in result.closest:
            out.print(f"    {format_clock(c.start)} · {escape(c.speaker or '')}: “{escape(c.quote)}”")


@app.command("verify-summary")
def verify_summary_command(
    episode: Annotated[str, typer.Argument(help="The episode id, e.g. lex-fridman-459.")],
    summary: Annotated[Optional[Path], typer.Option("--summary", help="Check this summary file instead of the ingested one.")] = None,
    statements: Annotated[bool, typer.Option("--statements/--no-statements", help="Also check the summary's plain statements (slower).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (one row per quote and statement).")] = False,
) -> None:
    """Check a summary against the transcript: its quotes (where, who, verbatim?), its clock, its statements."""
    try:
        report = State.assistant().verify_summary(episode, summary, statements)
    except PodragError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    if as_csv:
        sys.stdout.write(report.to_csv())
        return
    _print_summary_report(report)


def _print_summary_report(report) -> None:
    from rich.table import Table

    counts = report.counts()
    out.print(f"[bold]{escape(report.episode_id)}[/bold] · {escape(report.summary_path)}")
    out.print(f"Clock: {escape(report.offset.describe())}")
    out.print(f"Quotes: {counts['quotes']} — {counts['verbatim']} verbatim, {counts['paraphrase']} paraphrase, "
              f"{counts['not_found']} not found; speaker as the summary says: {counts['speaker_match']}, "
              f"another speaker: {counts['speaker_mismatch']}; cited time right: {counts['time_ok']}")
    for label in report.sections:
        quotes = [q for q in report.quotes if q.section == label]
        if not quotes:
            continue
        table = Table("quote", "summary", "transcript", "speaker", "match", title=escape(label), title_justify="left")
        for q in quotes:
            transcript = q.transcript_clock()
            who = q.speaker or "–"
            if q.speaker_match is False:
                who += f" (summary: {', '.join(q.named_speakers)})"
            table.add_row(escape(_clip(q.text, 70)), escape("; ".join(q.labels)), escape(transcript), escape(who),
                          q.kind + (" · outlier" if q.outlier else ""))
        out.print(table)
    for t in report.cited_times:
        out.print(f"{escape(t.section)}: [{escape(t.label)}] → transcript {escape(t.transcript_clock())} · "
                  f"{escape(t.speaker or '')}: “{escape(_clip(t.sentence or '', 90))}”")
    if report.statements:
        unbacked = report.unbacked
        out.print(f"Statements: {counts['statements_backed']} of {counts['statements']} backed by the transcript; "
                  f"not backed:")
        for s in unbacked:
            out.print(f"  [{_VERDICT_STYLE[s.check.verdict]}]{s.check.verdict}[/]  {escape(_clip(s.text, 110))}")


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


@app.command()
def chat(
    episode: Annotated[Optional[list[str]], typer.Option("--episode", help="Only this episode id (repeatable).")] = None,
    llm: Annotated[bool, typer.Option("--llm", help=LLM_HELP)] = False,
    offline: Annotated[bool, typer.Option("--offline", help=OFFLINE_HELP)] = False,
) -> None:
    """Ask questions one after another in the terminal; follow-ups may refer to earlier ones (empty line or
    Ctrl-D to quit)."""
    _answerer_choice(llm, offline)
    assistant = State.assistant()
    filters = _filters(episode, None, None)
    err.print(f"[dim]answers: {escape(assistant.mode_label())}[/dim]")
    history: list[Turn] = []
    while True:
        try:
            question = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            answer = _ask_and_show(assistant, question, filters, history)
            history.append(Turn(question, answer.answer))
        except PodragError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
        out.print()


@app.command("eval")
def eval_(
    dataset: Annotated[Optional[list[str]], typer.Option("--dataset", help="Golden set name (lex-fridman-459, 459, unanswerable) or path; repeatable. Default: every set in $PODRAG_EVAL_DATASETS.")] = None,
    configs: Annotated[Optional[list[str]], typer.Option("--configs", help="Configurations, comma-separated or repeated (see --list-configs). Default: all.")] = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Report folder (default $PODRAG_EVAL_REPORT or eval/reports).")] = None,
    corpus: Annotated[Optional[list[Path]], typer.Option("--corpus", help="Episode folders to index (default data/episodes and $PODRAG_CORPUS); repeatable.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N questions of each set.")] = None,
    episode_filter: Annotated[bool, typer.Option("--episode-filter", help="Search only each question's own episode.")] = False,
    list_configs: Annotated[bool, typer.Option("--list-configs", help="List the configurations and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Score retrieval and answers on golden question sets, per configuration; write a Markdown + HTML report."""
    from rag.evaluation import evaluate
    from rag.evaluation.configs import CONFIGS
    from rag.evaluation.report import summary_table, verdict

    if list_configs:
        for c in CONFIGS.values():
            out.print(f"{c.name:15} {escape(c.description)}")
        return
    assistant = State.assistant()
    settings = assistant.settings
    # The default folders only when they exist (run outside a checkout); folders the user names must exist.
    paths = corpus or [p for p in settings.default_corpus() if p.exists()]
    command = "podcast-rag " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        with _progress_bar("evaluating", "", quiet, remaining=False) as progress:
            run, files = evaluate(settings, dataset or [], configs or [], paths, report or settings.eval_report,
                                  embedder=assistant.embedder, limit=limit, filter_episode=episode_filter,
                                  progress=progress, command=command)
    except PodragError as exc:
        _fail(str(exc))
    print(summary_table(run))
    v = verdict(run)
    if v:
        print(f"\n{v}")
    err.print(f"report: {files.markdown} and {files.html} ({run.wall_seconds:.0f} s)")


@app.command()
def doctor(
    repair: Annotated[bool, typer.Option("--repair", help="Remove orphan chunks and rebuild BM25 if needed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check that the index is consistent: every episode complete, no chunk shared, BM25 in step."""
    from rag.ingest import check_index

    assistant = State.assistant()
    try:
        check = check_index(assistant.index, assistant.lexical, repair=repair)
    except PodragError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps({"ok": check.ok, "clean": check.clean, **check.__dict__}, indent=2))
    else:
        for line in check.lines():
            out.print(escape(line))
        for notice in assistant.lexical.notices:
            err.print(f"[yellow]note:[/yellow] {escape(notice)}")
        if check.ok:
            out.print("ok")
        elif check.missing or check.misfiled or check.shared:
            out.print("[red]problems found[/red]: re-ingest the episodes named above")
        else:
            out.print("[red]problems found[/red]: run `podcast-rag doctor --repair` to rebuild BM25")
    if not check.ok:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="Port (default 7860).")] = None,
    auth: Annotated[Optional[str], typer.Option("--auth", help="user:password (or $PODRAG_AUTH).")] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="Allow a non-loopback --host without --auth.")] = False,
) -> None:
    """Start the web app (127.0.0.1 unless --host; another address needs --auth or --insecure)."""
    try:
        from ui.app import launch
    except ImportError:
        err.print("The web app is not installed; starting the terminal chat instead.")
        chat(None)
        return
    launch(State.assistant(), host=host, port=port, auth=auth, insecure=insecure)


def main() -> None:
    try:
        app()
    except PodragError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(1)


if __name__ == "__main__":
    main()
