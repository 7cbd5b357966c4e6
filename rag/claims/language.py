"""The language a claim is written in, when it is not English."""

from __future__ import annotations

import re

_LANGUAGE_NAMES = {
    "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "nl": "Dutch",
    "ru": "Russian", "zh": "Chinese", "wuu": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic",
    "pl": "Polish", "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian", "hi": "Hindi",
}


def foreign_language(text: str) -> str | None:
    """The language a claim is written in when that is not English (py3langid, its bundled model), else None.

    The checks compare English words, so a claim in another language is reported rather than half-matched on
    its names and numbers. Very short texts are too short to tell and count as English.
    """
    import py3langid

    if len(re.findall(r"\w+", text)) < 3 and len(text.strip()) < 8:  # (scripts without spaces are one "word")
        return None
    code, _ = py3langid.classify(text)
    return None if code == "en" else _LANGUAGE_NAMES.get(code, f"another language (code {code!r})")
