"""Shortening text for display: the one `clip` every message, label and table cell uses."""

from __future__ import annotations


def clip(text: str | None, limit: int) -> str:
    """`text` if it is at most `limit` characters, else its first characters (trailing spaces dropped) and '…',
    `limit` characters in all."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str | None) -> str:
    """The text on one line: every run of white space (newlines included) becomes one space."""
    return " ".join((text or "").split())
