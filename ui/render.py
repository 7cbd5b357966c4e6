"""HTML for the app, built from rag's records. Pure functions: no Gradio, no I/O.

Every piece of transcript, summary, metadata or user text goes through `esc` before it becomes HTML, and the chat
shows messages as HTML without Markdown (see ui/chat_tab.py), so a transcript line such as `<img onerror=...>` or
`[x](javascript:...)` is displayed as the characters it is. Gradio's sanitizer stays on as a second line, not the
first: it keeps elements such as `<img src=x>` (see NOTES-STACK). Links are only ever http(s) addresses.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rag.context import SourceContext
from rag.models import Answer, Chunk, EpisodeRecord
from rag.timecodes import format_clock

_MARKER = re.compile(r"\[(\d{1,3})\]")
CITE_PREFIX = "#cite-"  # chips link to "#cite-<turn>-<k>"; the page's click bridge turns that into an event


def esc(text: object) -> str:
    """Text as inert HTML (quotes included, so it is safe inside attributes too)."""
    return html.escape("" if text is None else str(text), quote=True)


def safe_url(url: str | None) -> str | None:
    """The address escaped for an href, or None unless it is http(s) (no javascript:, data:, relative paths)."""
    if not url or not re.match(r"https?://[^\s\"'<>]+$", url.strip(), re.I):
        return None
    return esc(url.strip())


def _text(text: str) -> str:
    return esc(text).replace("\n", "<br>")


# -- sources --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One chip under an answer: a citation (numbered) or, for an abstention, one of the closest passages."""

    n: int | None
    chunk: Chunk
    start: float | None
    end: float | None
    speaker: str | None
    quote: str | None
    url: str | None
    audio_url: str | None


def sources_of(answer: Answer) -> list[Source]:
    """The chips of an answer, in the order they are numbered."""
    if answer.citations:
        return [Source(c.n, c.passage.chunk, c.start, c.end, c.speaker, c.quote, c.url, c.audio_url)
                for c in answer.citations]
    return [
        Source(None, p.chunk, p.chunk.start, p.chunk.end, p.chunk.speakers[0] if p.chunk.speakers else None, None,
               p.url, p.audio_url)
        for p in answer.closest
    ]


def episode_label(record: EpisodeRecord | None, episode_id: str) -> str:
    """'#459' for numbered episodes, else the episode id."""
    if record and record.meta.number is not None:
        return f"#{record.meta.number}"
    return episode_id


def chip_label(source: Source, episode: str | None = None) -> str:
    """'[2] 1:02:15 · Dylan Patel · DeepSeek compute cluster' (plain text; `episode` is prefixed when given)."""
    c = source.chunk
    parts = [f"[{source.n}]"] if source.n is not None else []
    if episode:
        parts.append(episode)
    if c.source_type == "summary":
        head = " ".join(parts + ["summary"])
        return f"{head} · {c.section}" if c.section else head
    head = " ".join(parts + [format_clock(source.start)])
    return " · ".join(x for x in (head, source.speaker or ", ".join(c.speakers), c.chapter) if x)


def chip_html(turn: int, k: int, source: Source, episode: str | None = None) -> str:
    label = chip_label(source, episode)
    title = source.quote or source.chunk.text[:200]
    return (f'<a class="cite-chip" href="{CITE_PREFIX}{turn}-{k}" title="{esc(title)}">'
            f"{esc(label)}</a>")


def parse_cite(ref: object) -> tuple[int, int] | None:
    """'3-1' (from a chip's href) -> (turn 3, source 1); None for anything else."""
    m = re.fullmatch(r"(\d{1,6})-(\d{1,3})", str(ref or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _chips(turn: int, sources: list[Source], labels: Mapping[str, str]) -> str:
    several = len({s.chunk.episode_id for s in sources}) > 1
    chips = " ".join(
        chip_html(turn, k, s, labels.get(s.chunk.episode_id, s.chunk.episode_id) if several else None)
        for k, s in enumerate(sources)
    )
    return f'<div class="cite-chips">{chips}</div>'


# -- chat messages --------------------------------------------------------------------------------------------


def user_html(question: str) -> str:
    return _text(question)


def streaming_html(text: str) -> str:
    """A partial answer while it streams, with a cursor."""
    return f'<div class="answer streaming">{_text(text)}<span class="cursor">▌</span></div>'


def error_html(message: str) -> str:
    return f'<div class="answer-error"><b>Something went wrong:</b> {esc(message)}</div>'


def answer_html(answer: Answer, turn: int, labels: Mapping[str, str] | None = None) -> str:
    """A finished answer: its text with clickable [n] markers, its source chips, and any notice.

    An abstention is shown as information (the closest passages as chips), never as an error.
    """
    labels = labels or {}
    sources = sources_of(answer)
    parts = []
    if answer.notice:
        parts.append(f'<div class="answer-notice">{esc(answer.notice)}</div>')
    if answer.abstained:
        icon = '<span class="abstain-icon">ℹ︎</span>'
        parts.append(f'<div class="answer abstained">{icon} {_text(answer.answer)}</div>')
        if sources:
            parts.append('<div class="chips-label">Closest moments:</div>' + _chips(turn, sources, labels))
    else:
        numbered = {s.n: k for k, s in enumerate(sources)}

        def marker(m: re.Match) -> str:
            k = numbered.get(int(m.group(1)))
            return m.group(0) if k is None else f'<a class="cite-ref" href="{CITE_PREFIX}{turn}-{k}">{m.group(0)}</a>'

        text = _mark_unsupported(_text(answer.answer), answer)
        text = _MARKER.sub(marker, text)
        parts.append(f'<div class="answer">{text}</div>')
        if sources:
            parts.append(_chips(turn, sources, labels))
        checks = _checks_line(answer)
        if checks:
            parts.append(f'<div class="answer-checks">{esc(checks)}</div>')
    by = answer.model or answer.mode
    parts.append(f'<div class="answer-meta">{esc(by)}</div>')
    return "".join(parts)


def _mark_unsupported(text_html: str, answer: Answer) -> str:
    """Wrap each sentence the citation checks flagged, with the reason as its tooltip (both escaped)."""
    for u in answer.unsupported:
        sentence = _text(u.sentence)
        if sentence and sentence in text_html:
            text_html = text_html.replace(
                sentence, f'<span class="unsupported" title="{esc(u.reason)}">⚠ {sentence}</span>', 1)
    return text_html


def _checks_line(answer: Answer) -> str:
    """'2 of 5 sentences not backed by their sources · removed citation [9]', or '' when all is well."""
    bits = []
    if answer.unsupported:
        bits.append(f"{len(answer.unsupported)} of {answer.sentences or len(answer.unsupported)} sentences not "
                    "backed by their cited sources (marked ⚠)")
    if answer.removed_citations:
        names = ", ".join(f"[{n}]" for n in answer.removed_citations)
        bits.append(f"removed citation{'s' if len(answer.removed_citations) > 1 else ''} {names} to no given source")
    return " · ".join(bits)


# -- source panel ---------------------------------------------------------------------------------------------


def empty_panel_html() -> str:
    return ('<div class="source-panel empty">Click a source under an answer to read the passage, '
            "see who said it and open the video at that second.</div>")


def source_panel_html(context: SourceContext, source: Source, number: str | None = None) -> str:
    """The passage with the turns around it (the cited turn marked, the cited sentence highlighted) and links
    that open the video and the audio at the cited second."""
    c = context.chunk
    record = context.episode
    title = record.meta.title if record and record.meta.title else c.episode_id
    head = f"Source [{source.n}]" if source.n is not None else "Closest passage"
    t0, t1 = source.start, source.end
    is_summary = c.source_type == "summary"
    out = [f'<div class="source-panel" data-kind="{esc(c.source_type)}">',
           f'<div class="src-head">{esc(head)}</div>',
           f'<div class="src-episode">{esc(episode_label(record, c.episode_id))} · {esc(title)}</div>']
    if is_summary:
        out.append(f'<div class="src-where">Summary · {esc(c.section or "")}</div>')
        if t0 is not None:
            out.append(f'<div class="src-who">cites {esc(format_clock(t0))} (on the summary\'s own clock, which '
                       "may differ from the video's)</div>")
    else:
        if c.chapter:
            out.append(f'<div class="src-where">Chapter: {esc(c.chapter)}</div>')
        span = format_clock(t0) + (f" – {format_clock(t1)}" if t1 is not None else "")
        # Transcripts from Whisper or automatic captions name nobody: say so rather than show a blank.
        who = source.speaker or ", ".join(c.speakers) or "Speakers unknown (automatic transcript)"
        out.append(f'<div class="src-who">{esc(who)} · {esc(span)}</div>')
    out.append('<div class="src-turns">')
    for turn in context.turns:
        cls = "turn cited" if turn.cited else "turn"
        out.append(f'<div class="{cls}">')
        if turn.speaker or not is_summary:
            mark = "▶ " if turn.cited else ""
            out.append(f'<div class="turn-head">{mark}{esc(turn.speaker or "Unknown speaker")} '
                       f'<span class="turn-time">{esc(format_clock(turn.start))}</span></div>')
        sentences = []
        for s in turn.sentences:
            text = esc(s.text)
            if s.cited:
                sentences.append(f"<mark>{text}</mark>")
            elif s.in_passage:
                sentences.append(f'<span class="in-passage">{text}</span>')
            else:
                sentences.append(f'<span class="around">{text}</span>')
        out.append(f'<p>{" ".join(sentences)}</p></div>')
    out.append("</div>")
    out.append(_links(source, is_summary))
    out.append("</div>")
    return "".join(out)


def _links(source: Source, is_summary: bool) -> str:
    at = format_clock(source.start) if source.start is not None else None
    links = []
    video = safe_url(source.url)
    if video:
        label = f"▶ Watch at {at}" if at else "▶ Open the episode"
        links.append(f'<a class="src-link watch" href="{video}" target="_blank" rel="noopener noreferrer">'
                     f"{esc(label)}</a>")
    audio = safe_url(source.audio_url)
    if audio and audio != video:
        label = f"♪ Listen at {at}" if at else "♪ Listen"
        links.append(f'<a class="src-link listen" href="{audio}" target="_blank" rel="noopener noreferrer">'
                     f"{esc(label)}</a>")
    if not links:
        return '<div class="src-links none">No video or audio link is known for this episode.</div>'
    return f'<div class="src-links">{" ".join(links)}</div>'


# -- header and library ---------------------------------------------------------------------------------------


def mode_html(label: str) -> str:
    return f'<div class="mode-badge">answers: <b>{esc(label)}</b></div>'


def library_html(records: Iterable[EpisodeRecord]) -> str:
    """The indexed episodes as a table: title, guests, date, length, chapters (expandable), chunks, sources."""
    rows = []
    for r in records:
        m = r.meta
        chapters = "".join(f"<li>{esc(format_clock(ch.start))} {esc(ch.title)}</li>" for ch in r.chapters)
        chapter_cell = (f"<details><summary>{len(r.chapters)}</summary><ol>{chapters}</ol></details>"
                        if r.chapters else "0")
        sources = ", ".join(x for x in (r.transcript_format, "summary" if r.has_summary else None) if x)
        rows.append(
            "<tr>"
            f'<td><div class="lib-title">{esc(episode_label(r, r.id))} · {esc(m.title or r.id)}</div>'
            f'<div class="lib-id">{esc(r.id)}{" · " + esc(m.podcast) if m.podcast else ""}</div></td>'
            f"<td>{esc(', '.join(m.guests))}</td>"
            f"<td>{esc(m.published or '')}</td>"
            f"<td>{esc(format_clock(r.duration)) if r.duration else ''}</td>"
            f"<td>{chapter_cell}</td>"
            f"<td>{len(r.chunk_ids)}</td>"
            f"<td>{esc(sources)}</td>"
            "</tr>"
        )
    if not rows:
        return ('<div class="library empty">No episodes yet: add one below, or run '
                "<code>podcast-rag ingest</code>.</div>")
    head = "".join(f"<th>{h}</th>" for h in ("Episode", "Guests", "Published", "Length", "Chapters", "Chunks",
                                             "Sources"))
    return f'<table class="library"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def status_html(message: str, ok: bool = True) -> str:
    cls = "status ok" if ok else "status error"
    return f'<div class="{cls}">{esc(message)}</div>'
