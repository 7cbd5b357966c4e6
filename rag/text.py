"""Text for display: the one `clip` every message, label and table cell uses, quotations that nest, and server
paths kept out of messages."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path


def clip(text: str | None, limit: int, *, at_word: bool = False) -> str:
    """`text` if it is at most `limit` characters, else its first characters (trailing spaces dropped) and '…',
    `limit` characters at most. `at_word`: cut after the last whole word and end with ' …' (text read on, as in
    a prompt)."""
    text = text or ""
    if len(text) <= limit:
        return text
    if at_word:
        return text[: limit - 2].rsplit(" ", 1)[0] + " …"
    return text[: limit - 1].rstrip() + "…"


def one_line(text: str | None) -> str:
    """The text on one line: every run of white space (newlines included) becomes one space."""
    return " ".join((text or "").split())


# A straight quotation mark that opens a quotation: at the start or after a space or an opening bracket. Each mark
# is read by its place, not paired with the next one, so an unclosed quotation does not turn the rest inside out.
_OPENING_STRAIGHT = re.compile(r'(?:^|(?<=[\s(\[—–]))"')
# Any double quotation mark, an opening straight one in group 1.
_DOUBLE_MARK = re.compile(rf"({_OPENING_STRAIGHT.pattern})|[“”\"]")


def quote(text: str) -> str:
    """`text` as a quotation in “ ”. Quotation marks it holds become single (‘ ’), so a summary quoting the guest
    reads “… openness. ‘As we discuss …’” rather than “… openness. “As we discuss …””; a text that is one quotation
    already keeps one pair of marks, not two. A quotation cut off at either end is closed there: a quote opening
    inside one ('Let me build it.”', the sentence before having opened it) reads “‘Let me build it.’”, not with a
    lone ’ that reads as an apostrophe."""
    t = text.strip()
    if len(t) >= 2 and t[0] in "“\"" and t[-1] in "”\"" and not any(ch in "“”\"" for ch in t[1:-1]):
        t = t[1:-1]
    # An opening mark with nothing after it is a closing one mistyped ('This doesn't-“').
    t = re.sub(r"“(?=\s|$)", "”", t)
    opened = unopened = 0
    for mark in _DOUBLE_MARK.finditer(t):
        if mark.group() == "“" or mark.group(1) is not None:
            opened += 1
        elif opened:
            opened -= 1
        else:
            unopened += 1
    t = _OPENING_STRAIGHT.sub("‘", t.replace("“", "‘").replace("”", "’")).replace('"', "’")
    return f"“{'‘' * unopened}{t}{'’' * opened}”"


# The folders of an absolute path inside a message ('/srv/podrag/uploads/ep-1/'), not of a URL's path.
_ABSOLUTE_FOLDERS = re.compile(r"(?<![\w.:/])/(?:[^\s/:'\"()<>,;]+/)+")
# The folders of a relative path that opens a message as its place ('ep-1/transcript.vtt:8: ...').
_LEADING_FOLDERS = re.compile(r"^(?:[^\s/:'\"()<>,;]+/)+(?=[^\s/:]+:)")


def file_names_only(message: str, folders: Iterable[Path | str] = ()) -> str:
    """The message with the folders taken out of the paths it names, so that
    '/srv/podrag/uploads/ep-1/transcript.vtt:8: ...' reads 'transcript.vtt:8: ...': `folders` (deepest first)
    as given and resolved, then any absolute path's folders, then those of a relative path the message opens
    with."""
    for folder in folders:
        for form in dict.fromkeys((str(folder), str(Path(folder).resolve()))):
            message = message.replace(form.rstrip("/\\") + os.sep, "")
    return _LEADING_FOLDERS.sub("", _ABSOLUTE_FOLDERS.sub("", message))
