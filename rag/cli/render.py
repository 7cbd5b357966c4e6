"""Everything `podcast-rag` prints for people: answers, passages, verdicts, reports, tables, progress.

Labels, rows and sentences come from rag.presentation (the web app renders the same ones). stdout carries
results; stderr notes, errors and progress. Text from transcripts, summaries, metadata and errors goes into
rich `Text` objects, never into markup, and emoji codes are off: `[bold]` or `:fire:` in a transcript is printed
as those characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from rag.models import Answer, Passage
from rag.presentation.answers import removed_text, sources_of, unsupported_text, unsure_text
from rag.presentation.labels import source_label
from rag.presentation.library import episode_rows
from rag.presentation.reports import claim_view, summary_view
from rag.text import clip, quote

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

VERDICT_STYLE = {"supported": "green", "contradicted": "red", "misattributed": "yellow", "not_found": "dim"}
PROGRESS_STEP = 10  # percent between two progress lines when stderr is not a terminal
PASSAGE_CHARS = 400  # of a passage's text under a search result


def line(*parts: str | tuple[str, str] | Text) -> Text:
    """Plain strings stay plain text (no markup); (text, style) pairs are styled."""
    return Text.assemble(*parts)


def _link(url: str) -> Text:
    return Text(url, style=Style(link=url))


def print_error(message: str) -> None:
    err.print(line(("error:", "red"), " ", message))


def print_note(message: str) -> None:
    err.print(line(("note:", "yellow"), " ", message))


# -- progress ---------------------------------------------------------------------------------------------------


@contextmanager
def progress_bar(description: str, prefix: str, quiet: bool, *, remaining: bool) -> Iterator[Callable]:
    """Progress on stderr; yields the `(done, total, label)` callback the library reports to.

    A terminal gets a transient bar. Anything else (a log file, a service manager) gets a line every
    PROGRESS_STEP percent, so a long ingest does not look hung.
    """
    if quiet:
        yield lambda done, total, label: None
    elif not err.is_terminal:
        yield _progress_lines(description)
    else:
        with _bar(remaining) as bar:
            task = bar.add_task(description, total=None)

            def progress(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total or None, description=prefix + label)

            yield progress


def _bar(remaining: bool):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    clock = TimeRemainingColumn() if remaining else TimeElapsedColumn()
    # markup=False: the description holds episode ids and dataset names, shown as they are.
    return Progress(TextColumn("{task.description}", markup=False, style="bold"), BarColumn(),
                    MofNCompleteColumn(), clock, console=err, transient=True)


def _progress_lines(description: str) -> Callable[[int, int, str], None]:
    shown = -1

    def progress(done: int, total: int, label: str) -> None:
        nonlocal shown
        if not total:
            return
        step = min(100, done * 100 // total) // PROGRESS_STEP * PROGRESS_STEP
        if step > shown:
            shown = step
            err.print(line(f"{description}: {step}% ({done:,} of {total:,}) {label}"))

    return progress


# -- library ----------------------------------------------------------------------------------------------------


def print_episodes(records) -> None:
    table = Table("id", "title", "guests", "published", "length", "chapters", "chunks", "sources")
    for r in episode_rows(records):
        table.add_row(Text(r.id), Text(r.title), Text(r.guests), Text(r.published), r.length, str(len(r.chapters)),
                      str(r.chunks), r.sources)
    out.print(table)


def print_removed(episode_ids: list[str]) -> None:
    err.print(line("removed ", ", ".join(episode_ids)))


def print_doctor(check, notices: list[str]) -> None:
    for text in check.lines():
        out.print(line(text))
    for notice in notices:
        print_note(notice)
    if check.ok:
        out.print("ok")
    elif check.missing or check.misfiled or check.shared:
        out.print(line(("problems found", "red"), ": re-ingest the episodes named above"))
    else:
        out.print(line(("problems found", "red"), ": run `podcast-rag doctor --repair` to rebuild BM25"))


# -- passages and answers ---------------------------------------------------------------------------------------


def print_passage(p: Passage) -> None:
    c = p.chunk
    out.print(line((f"{p.rank}.", "bold"), " ", source_label(c, episode=c.episode_id), "  ",
                   (f"{p.score:.4f}", "dim")))
    out.print(line("   ", clip(c.text, PASSAGE_CHARS)))
    if p.url:
        out.print(line("   ", _link(p.url)))


def print_answer(a: Answer, streamed: str | None = None) -> None:
    """The answer (unless `streamed` already showed this text), its sources, and the checks of an LLM answer."""
    if a.notice:
        print_note(a.notice)
    unsure = unsure_text(a)
    if unsure:
        out.print(line((unsure, "yellow")))
    if streamed is None or streamed.strip() != a.answer.strip():
        out.print(line(a.answer))
    out.print()
    if a.abstained and not a.closest:
        print_note("no indexed passage matches the filters (episode, speaker, source)")
    # citations as "[n] where" and a link; the closest moments of an abstention numbered "k." with what was said
    for k, s in enumerate(sources_of(a), start=1):
        tag, indent = (f"[{s.n}]", "    ") if s.n is not None else (f"{k}.", "   ")
        out.print(line((tag, "bold"), " ", source_label(s.chunk, s.start, s.speaker, episode=s.chunk.episode_id)))
        if s.n is None:
            out.print(line(indent, clip(s.quote or s.chunk.text, PASSAGE_CHARS)))
        if s.url:
            out.print(line(indent, _link(s.url)))
    unsupported = unsupported_text(a)
    if unsupported:
        out.print(line((f"{unsupported}:", "yellow")))
        for u in a.unsupported:
            out.print(line("  ", ("–", "yellow"), f" {quote(u.sentence)} ({u.reason})"))
    removed = removed_text(a)
    if removed:
        out.print(line((removed, "yellow")))
    out.print(line((f"mode: {a.mode}" + (f" · {a.model}" if a.model else ""), "dim")))


def stream_answer(events) -> Answer:
    """Print an answer's text as it streams from `ask_stream`, then its sources and checks."""
    pieces: list[str] = []
    answer = None
    for event in events:
        if isinstance(event, Answer):
            answer = event
        else:
            pieces.append(event)
            out.print(Text(event), end="")
    if pieces:
        out.print()
    assert answer is not None
    print_answer(answer, "".join(pieces))
    return answer


# -- checks -----------------------------------------------------------------------------------------------------


def print_claim_check(result) -> None:
    v = claim_view(result)
    if v.notice:
        print_note(v.notice)
    out.print(line((v.verdict_name.upper(), f"bold {VERDICT_STYLE[v.verdict]}"), "  ",
                   (f"decided by: {v.decided_by}", "dim")))
    out.print(line(v.explanation))
    if not v.evidence and v.closest:
        out.print(line(("closest passages:", "dim")))
    for e in v.evidence or v.closest:
        out.print(line((f"[{e.n}]", "bold"), " ", " · ".join(x for x in (e.tag, e.episode, e.where) if x)))
        out.print(line(f"    {quote(e.quote)}"))
        if e.url:
            out.print(line("    ", _link(e.url)))


def print_summary_report(report) -> None:
    v = summary_view(report)
    out.print(line((v.episode_id, "bold"), " · ", v.summary_path))
    out.print(line("Clock: ", v.clock))
    out.print(line("Quotes: ", v.quotes))
    for section in v.sections:
        if section.quotes:
            table = Table("quote", "summary", "transcript", "speaker", "match", title=Text(section.label),
                          title_justify="left")
            for q in section.quotes:
                who = q.speaker + {False: f" (summary: {q.named})", True: " ✓"}.get(q.speaker_match, "")
                table.add_row(Text(clip(q.text, 70)), Text(q.summary_time), Text(q.transcript_time), Text(who),
                              Text(q.verdict))
            out.print(table)
        for t in section.cited:
            out.print(line(f"{section.label}: [{t.label}] → transcript {t.transcript_time} · {t.speaker}: "
                           + quote(clip(t.sentence, 90))))
    if v.statements:
        out.print(line(f"Statements: {v.statements}" + ("; not backed:" if v.unbacked else ".")))
        for s in v.unbacked:
            out.print(line("  ", (s.verdict_name, VERDICT_STYLE[s.verdict]), "  ", clip(s.text, 110)))


def print_add_report(report, *, command: str = "add") -> None:
    """What `add` / `sync` did: one line per episode on stdout; notes, failures and a summary on stderr. A machine
    that reached no server at all gets one line saying how to add episodes instead of one error per source."""
    for a in report.added:
        title = f" · {a.title}" if a.title else ""
        transcript = f" · transcript: {a.transcript}" if a.transcript else ""
        out.print(line(f"{a.status:9} {a.episode_id}{title}{transcript} ",
                       (f"({a.kind}, {a.seconds:.1f} s)", "dim")))
        for note in a.notes:
            out.print(line("          ", (note, "dim")))
    for note in report.notes:
        print_note(note)
    if report.offline:
        print_error(f"no network ({report.failed[0]}): add episodes once online with `podcast-rag add URL` (a "
                    "transcript page, podcast feed, video or audio), or put episode folders in data/episodes and "
                    "run `podcast-rag ingest`")
        return
    for failure in report.failed:
        print_error(failure)
    if command == "sync" and not report.feeds:
        err.print("no feeds to sync: add one with `podcast-rag add FEED_URL`")
    else:
        err.print(line(report.summary_line()))
