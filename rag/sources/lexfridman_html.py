"""lexfridman.com transcript pages -> Transcript with chapters, read with selectolax (lexbor)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from rag.errors import SourceError
from rag.models import Chapter, Segment, Transcript
from rag.sources.common import check_transcript
from rag.sources.text import read_text
from rag.timecodes import parse_clock

NO_SEGMENTS = (
    "no transcript segments found: expected lexfridman.com markup "
    "(div.ts-segment with .ts-name, .ts-timestamp, .ts-text)"
)
_SEGMENT_TAG = re.compile(r"""<div\b[^>]*\bclass\s*=\s*["'][^"']*\bts-segment\b""", re.I)


def parse_lexfridman_html(path: Path | str) -> Transcript:
    """Read a lexfridman.com transcript page: one segment per `.ts-segment`, chapters from `h2[id^=chapter]`.

    A segment ends where the next one starts (the last has no end); a chapter starts at the first
    segment after its heading.
    """
    path = Path(path)
    raw = read_text(path)
    tree = LexborHTMLParser(raw)
    # One selector for both, so the nodes come in document order and headings interleave with segments.
    nodes = tree.css('h2[id^="chapter"], div.ts-segment')
    lines: list[int | None] = _segment_lines(raw)
    n_segments = sum(node.tag != "h2" for node in nodes)
    if len(lines) != n_segments:  # markup the regex did not foresee: no line numbers rather than wrong ones
        lines = [None] * n_segments

    starts: list[tuple[float, str | None, str, int | None]] = []
    chapters: list[Chapter] = []
    pending_titles: list[str] = []
    for node in nodes:
        if node.tag == "h2":
            title = node.text(strip=True)
            if title:
                pending_titles.append(title)
            continue
        line = lines[len(starts)]
        start = _start(path, node, line)
        chapters.extend(Chapter(start=start, title=t) for t in pending_titles)
        pending_titles = []
        speaker = _text(node.css_first(".ts-name")) or None
        starts.append((start, speaker, _text(node.css_first(".ts-text")), line))

    if not starts:
        raise SourceError(path, NO_SEGMENTS)
    segments = [
        Segment(
            start=start,
            end=starts[i + 1][0] if i + 1 < len(starts) else None,
            speaker=speaker,
            text=text,
            line=line,
        )
        for i, (start, speaker, text, line) in enumerate(starts)
    ]
    return check_transcript(Transcript(path=path, format="html", segments=segments, chapters=chapters))


def _text(node: LexborNode | None) -> str:
    return " ".join(node.text().split()) if node is not None else ""


def _start(path: Path, segment: LexborNode, line: int | None) -> float:
    """The segment's '(hh:mm:ss)' label; the link's `t=` seconds if the label is unreadable."""
    stamp = segment.css_first(".ts-timestamp")
    label = _text(stamp).strip("() ")
    seconds = parse_clock(label)
    if seconds is None and stamp is not None and (link := stamp.css_first("a")) is not None:
        t = parse_qs(urlsplit(link.attributes.get("href") or "").query).get("t", [""])[0].rstrip("s")
        seconds = float(t) if t.isdigit() else None
    if seconds is None:
        raise SourceError(path, f"unreadable segment timestamp {label!r}: expected (hh:mm:ss)", line)
    return seconds


def _segment_lines(raw: str) -> list[int]:
    # selectolax nodes carry no source positions; count newlines before each segment's opening tag instead.
    out, pos, line = [], 0, 1
    for m in _SEGMENT_TAG.finditer(raw):
        line += raw.count("\n", pos, m.start())
        pos = m.start()
        out.append(line)
    return out
