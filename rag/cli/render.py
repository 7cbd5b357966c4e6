"""Everything `podcast-rag` prints for people: answers, passages, verdicts, reports, tables, progress.

stdout carries results, stderr notes, errors and progress. Text from transcripts, summaries and metadata is
escaped before rich sees it, so it is printed as the characters it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape

from rag.models import Answer, Passage
from rag.timecodes import format_clock

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

VERDICT_STYLE = {"supported": "green", "contradicted": "red", "misattributed": "yellow", "not_found": "dim"}


def print_error(message: str) -> None:
    err.print(f"[red]error:[/red] {escape(message)}")


def print_note(message: str) -> None:
    err.print(f"[yellow]note:[/yellow] {escape(message)}")


@contextmanager
def progress_bar(description: str, prefix: str, quiet: bool, *, remaining: bool) -> Iterator[Callable]:
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


def print_episodes(records) -> None:
    from rich.table import Table

    table = Table("id", "title", "guests", "published", "length", "chapters", "chunks", "sources")
    for r in records:
        sources = ", ".join(x for x in (r.transcript_format, "summary" if r.has_summary else None) if x)
        table.add_row(r.id, escape(r.meta.title or ""), escape(", ".join(r.meta.guests)), r.meta.published or "",
                      format_clock(r.duration) if r.duration else "", str(len(r.chapters)), str(len(r.chunk_ids)),
                      sources)
    out.print(table)


def _where(chunk) -> str:
    if chunk.source_type == "summary":
        return f"summary · {chunk.section or ''}"
    return f"{format_clock(chunk.start)} · {', '.join(chunk.speakers)} · {chunk.chapter or ''}"


def print_passage(p: Passage) -> None:
    c = p.chunk
    out.print(f"[bold]{p.rank}.[/bold] {escape(c.episode_id)} · {escape(_where(c))}  [dim]{p.score:.4f}[/dim]")
    out.print(f"   {escape(c.text[:400])}{'…' if len(c.text) > 400 else ''}")
    if p.url:
        out.print(f"   [link={p.url}]{escape(p.url)}[/link]")


def print_answer(a: Answer, streamed: str | None = None) -> None:
    """The answer (unless `streamed` already showed this text), its sources, and the checks of an LLM answer."""
    if a.notice:
        print_note(a.notice)
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
            print_passage(p)
    if a.unsupported:
        out.print(f"[yellow]{len(a.unsupported)} of {a.sentences} sentences not supported by their sources:[/yellow]")
        for u in a.unsupported:
            out.print(f"  [yellow]–[/yellow] “{escape(u.sentence)}” ({escape(u.reason)})")
    if a.removed_citations:
        shown = ", ".join(f"[{n}]" for n in a.removed_citations)
        out.print(f"[yellow]removed citations of sources that were not given: {escape(shown)}[/yellow]")
    out.print(f"[dim]mode: {a.mode}{' · ' + escape(a.model) if a.model else ''}[/dim]")


def stream_answer(events) -> Answer:
    """Print an answer's text as it streams from `ask_stream`, then its sources and checks."""
    pieces: list[str] = []
    answer = None
    for event in events:
        if isinstance(event, Answer):
            answer = event
        else:
            pieces.append(event)
            out.print(event, end="", markup=False, highlight=False)
    if pieces:
        out.print()
    assert answer is not None
    print_answer(answer, "".join(pieces))
    return answer


def print_claim_check(result) -> None:
    if result.notice:
        print_note(result.notice)
    style = VERDICT_STYLE[result.verdict]
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


def print_summary_report(report) -> None:
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
            out.print(f"  [{VERDICT_STYLE[s.check.verdict]}]{s.check.verdict}[/]  {escape(_clip(s.text, 110))}")


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def print_doctor(check, notices: list[str]) -> None:
    for line in check.lines():
        out.print(escape(line))
    for notice in notices:
        print_note(notice)
    if check.ok:
        out.print("ok")
    elif check.missing or check.misfiled or check.shared:
        out.print("[red]problems found[/red]: re-ingest the episodes named above")
    else:
        out.print("[red]problems found[/red]: run `podcast-rag doctor --repair` to rebuild BM25")


def print_add_report(report, *, command: str = "add") -> None:
    """What `add` / `sync` did: one line per episode on stdout; notes, failures and a summary on stderr. A machine
    that reached no server at all gets one line saying how to add episodes instead of one error per source."""
    for a in report.added:
        title = f" · {a.title}" if a.title else ""
        transcript = f" · transcript: {a.transcript}" if a.transcript else ""
        out.print(f"{a.status:9} {escape(a.episode_id)}{escape(title)}{escape(transcript)} [dim]({a.kind}, "
                  f"{a.seconds:.1f} s)[/dim]")
        for note in a.notes:
            out.print(f"          [dim]{escape(note)}[/dim]")
    for note in report.notes:
        print_note(note)
    if report.offline:
        print_error(f"no network ({report.failed[0]}): add episodes once online with `podcast-rag add URL` (a "
                    "transcript page, podcast feed, video or audio), or put episode folders in data/episodes and "
                    "run `podcast-rag ingest`")
        return
    for line in report.failed:
        print_error(line)
    if command == "sync" and not report.feeds:
        err.print("no feeds to sync: add one with `podcast-rag add FEED_URL`")
    else:
        err.print(report.summary_line())
