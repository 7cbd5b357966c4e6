"""HTML for the app: rag.presentation's records rendered through the Jinja2 templates in ui/templates/.

Jinja2 escapes every value (autoescape), so transcript, summary, metadata and user text reach the page as the
characters it is; the chat shows messages as HTML without Markdown (see ui/chat_tab.py), so `[x](javascript:...)`
stays text too. Gradio's sanitizer stays on as a second line, not the first: it keeps elements such as
`<img src=x>` (see NOTES-STACK). Links are only ever http(s) addresses (`safe_url`). Pure functions: no Gradio.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from rag.answer.markers import CITATION, numbers_in
from rag.context import SourceContext
from rag.models import Answer, EpisodeRecord
from rag.presentation.answers import Source, removed_text, sources_of, unsupported_text, unsure_text
from rag.presentation.labels import episode_title
from rag.presentation.library import episode_rows
from rag.presentation.reports import claim_view, summary_view
from rag.text import clip, quote
from rag.timecodes import format_clock, format_span

__all__ = ["Source", "sources_of", "esc", "safe_url", "parse_cite", "CITE_PREFIX"]

CITE_PREFIX = "#cite-"  # chips link to "#cite-<turn>-<k>"; the page's click bridge turns that into an event
_URL = re.compile(r"https?://[^\s\"'<>]+", re.I)
# Line breaks and indentation between two tags exist only to make the templates readable; in a chat message
# (white-space: pre-wrap) they would show.
_BETWEEN_TAGS = re.compile(r">\s*\n\s*<")


def esc(text: object) -> str:
    """Text as inert HTML (quotes included, so it is safe inside attributes too)."""
    return str(escape("" if text is None else text))


def safe_url(url: str | None) -> str | None:
    """The address if it is http(s), else None (no javascript:, data:, relative paths); escaping is the
    template's."""
    if not url or not _URL.fullmatch(url.strip()):
        return None
    return url.strip()


def parse_cite(ref: object) -> tuple[int, int] | None:
    """'3-1' (from a chip's href) -> (turn 3, source 1); None for anything else."""
    m = re.fullmatch(r"(\d{1,6})-(\d{1,3})", str(ref or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters["safe_url"] = safe_url
_env.filters["quote"] = quote  # nested quotations in single marks, as the answers print them
_env.globals["clock"] = format_clock
_messages = _env.get_template("messages.html").module


def _render(name: str, **values) -> str:
    return _BETWEEN_TAGS.sub("><", _env.get_template(name).render(**values)).strip()


def _text(text: str) -> Markup:
    return escape(text).replace("\n", Markup("<br>"))


# -- chat messages --------------------------------------------------------------------------------------------


def user_html(question: str) -> str:
    return str(_text(question))


def streaming_html(text: str) -> str:
    """A partial answer while it streams, with a cursor."""
    return str(_messages.streaming(_text(text)))


def error_html(message: str) -> str:
    """Something that failed, in one line."""
    return str(_messages.error(message))


def status_html(message: str, ok: bool = True) -> str:
    return str(_messages.status(message) if ok else _messages.error(message))


def mode_html(label: str) -> str:
    return str(_messages.mode(label))


def empty_panel_html() -> str:
    return str(_messages.empty_panel())


def chips_html(turn: int, sources: list[Source], labels: Mapping[str, str]) -> Markup:
    """The chips of one answer; each names its episode when the sources come from more than one."""
    several = len({s.chunk.episode_id for s in sources}) > 1
    chips = [(s.label(labels.get(s.chunk.episode_id, s.chunk.episode_id) if several else None),
              s.quote or clip(s.chunk.text, 200)) for s in sources]
    return Markup(_render("chips.html", chips=chips, turn=turn))


def answer_html(answer: Answer, turn: int, labels: Mapping[str, str] | None = None) -> str:
    """A finished answer: its text with clickable [n] markers, its source chips, and any notice.

    An abstention is shown as information (the closest passages as chips), never as an error.
    """
    sources = sources_of(answer)
    chips = chips_html(turn, sources, labels or {}) if sources else ""
    if answer.abstained:
        return _render("answer.html", answer=answer, text=_text(answer.answer), chips=chips, checks=None)
    checks = " · ".join(filter(None, [unsupported_text(answer) and unsupported_text(answer) + " (marked ⚠)",
                                      removed_text(answer)]))
    unsure = unsure_text(answer)
    return _render("answer.html", answer=answer, text=_answer_text(answer, turn, sources), chips=chips,
                   checks=checks, unsure=_linked(_text(unsure), turn, sources) if unsure else None)


def _answer_text(answer: Answer, turn: int, sources: list[Source]) -> Markup:
    """The answer as HTML: sentences the citation checks flagged wrapped with their reason as a tooltip, and each
    [n] a link to its chip."""
    html = _text(answer.answer)
    for u in answer.unsupported:
        sentence = _text(u.sentence)
        if sentence and sentence in html:
            flagged = Markup('<span class="unsupported" title="{}">⚠ {}</span>').format(u.reason, sentence)
            html = html.replace(sentence, flagged, 1)
    return _linked(html, turn, sources)


def _linked(html: Markup, turn: int, sources: list[Source]) -> Markup:
    """Escaped text with each [n] a link to its chip."""
    chip_of = {s.n: k for k, s in enumerate(sources)}

    def link(m: re.Match) -> str:
        numbers = numbers_in(m.group(1))
        k = chip_of.get(numbers[0]) if len(numbers) == 1 else None
        return m.group(0) if k is None else f'<a class="cite-ref" href="{CITE_PREFIX}{turn}-{k}">{m.group(0)}</a>'

    # The markers are digits and brackets, which escaping leaves as they are.
    return Markup(CITATION.sub(link, html))


# -- source panel ---------------------------------------------------------------------------------------------


def source_panel_html(context: SourceContext, source: Source) -> str:
    """The passage with the turns around it and links that open the video and the audio at the cited second."""
    c = context.chunk
    video = safe_url(source.url)
    audio = safe_url(source.audio_url)
    return _render(
        "source_panel.html", chunk=c, turns=context.turns, summary=c.source_type == "summary",
        head=(f"Source [{source.n}]" if source.n is not None
              else "Closest moment" if source.quote else "Closest passage"),
        episode=episode_title(context.episode) if context.episode else c.episode_id,
        # Transcripts from Whisper or automatic captions name nobody: say so rather than show a blank.
        who=source.speaker or ", ".join(c.speakers) or "Speakers unknown (automatic transcript)",
        span=format_span(source.start, source.end),
        at=format_clock(source.start) if source.start is not None else None,
        video=video, audio=audio if audio != video else None,
    )


# -- library, claims, summaries -------------------------------------------------------------------------------


def library_html(records: Iterable[EpisodeRecord]) -> str:
    """The indexed episodes as a table: title, guests, date, length, chapters (expandable), chunks, sources."""
    return _render("library.html", rows=episode_rows(list(records)))


def verdict_html(check) -> str:
    """A claim's verdict badge, what decided it, the explanation and the evidence (or the closest passages)."""
    return _render("claim.html", v=claim_view(check))


def summary_report_html(report) -> str:
    """The clock offset, the counts, a table per section (quote, summary time, transcript time, speaker match,
    verdict), cited times, and the statements the transcript does not back."""
    return _render("summary_report.html", v=summary_view(report))
