"""Parsing and printing times, and deep links that open media at a second."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# A clock as written in text: "13:43", "1:02:03", "75:20" (minutes may exceed 59), "00:00:04.500", "00:57,250".
# The one pattern for clocks: parsers embed it in their own line patterns, `parse_clock` checks and reads it.
CLOCK = r"(?:\d+:)?\d{1,3}:\d{1,2}(?:[.,]\d{1,3})?"
_WHOLE_CLOCK = re.compile(rf"^{CLOCK}$")


def parse_clock(text: str) -> float | None:
    """'1:02:03' -> 3723.0, '75:20' -> 4520.0 (minutes may exceed 59), '00:00:04.500' -> 4.5; None if not a clock."""
    text = text.strip()
    if not _WHOLE_CLOCK.match(text):
        return None
    whole, _, frac = text.replace(",", ".").partition(".")
    *hours, minutes, seconds = (int(x) for x in whole.split(":"))
    if seconds >= 60 or (hours and minutes >= 60):
        return None
    value = sum(hours) * 3600 + minutes * 60 + seconds
    return float(value + (int(frac) / 10 ** len(frac) if frac else 0))


def is_clock(text: str) -> bool:
    """Whether the whole text is a clock ('13:43', '1:02:03'), not a label like 'Final Words'."""
    return parse_clock(text) is not None


def format_clock(seconds: float | None) -> str:
    """3723.4 -> '1:02:03'; 59 -> '0:00:59'. Always h:mm:ss so times line up in lists."""
    if seconds is None:
        return "?"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def format_clock_precise(seconds: float) -> str:
    """'0:01:02', or '0:01:02.500' when the time has a fraction (negative times keep their sign), so an error
    message shows what the file says."""
    if seconds < 0:
        return "-" + format_clock_precise(-seconds)
    whole, ms = divmod(round(seconds * 1000), 1000)
    return format_clock(whole) + (f".{ms:03d}" if ms else "")


def format_span(start: float | None, end: float | None) -> str:
    """'0:57:36 – 0:57:50', or '0:57:36' without an end."""
    return format_clock(start) + (f" – {format_clock(end)}" if end is not None else "")


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
