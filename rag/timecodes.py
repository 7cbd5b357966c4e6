"""Parsing and printing times, and deep links that open media at a second."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{1,2})(?:[.,](\d{1,3}))?$")


def parse_clock(text: str) -> float | None:
    """'1:02:03' -> 3723.0, '75:20' -> 4520.0 (minutes may exceed 59), '00:00:04.500' -> 4.5; None if not a clock."""
    m = _CLOCK.match(text.strip())
    if not m:
        return None
    hours, minutes, seconds, frac = m.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    value = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if frac:
        value += int(frac) / 10 ** len(frac)
    return float(value)


def format_clock(seconds: float | None) -> str:
    """3723.4 -> '1:02:03'; 59 -> '0:00:59'. Always h:mm:ss so times line up in lists."""
    if seconds is None:
        return "?"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def video_link(url: str | None, seconds: float | None) -> str | None:
    """A video URL that starts playing at `seconds` (YouTube's `t=` parameter; other hosts get the same)."""
    if not url:
        return None
    if seconds is None:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
    query.append(("t", str(int(seconds))))
    return urlunsplit(parts._replace(query=urlencode(query)))


def audio_link(url: str | None, seconds: float | None) -> str | None:
    """An audio URL with a W3C media fragment (`#t=`), which browsers' players honour."""
    if not url:
        return None
    base = url.split("#", 1)[0]
    return base if seconds is None else f"{base}#t={int(seconds)}"
