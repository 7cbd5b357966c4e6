"""Reading source files as text, whatever encoding they arrived in."""

from __future__ import annotations

import codecs
import warnings
from pathlib import Path

from rag.errors import SourceError


class SourceWarning(UserWarning):
    """A source file was read, but not as cleanly as it should have been (e.g. not UTF-8)."""


# C0 control characters other than tab, newline, form feed and carriage return do not occur in text.
_CONTROL = {chr(c) for c in range(32)} - set("\t\n\f\r")


def read_text(path: Path | str) -> str:
    """Read a text file: UTF-8 (BOM optional) or UTF-16 with a BOM; newlines become '\\n'.

    Text that is not valid UTF-8 is read as cp1252 (else latin-1) with a `SourceWarning`.
    Raises `SourceError` for binary data and for an empty or whitespace-only file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc

    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SourceError(path, "broken UTF-16 text (it starts with a UTF-16 byte order mark)") from exc
    elif b"\x00" in data:
        raise SourceError(path, "binary data, expected UTF-8 text")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            text, encoding = _decode_legacy(data)
            line = data[: exc.start].count(b"\n") + 1
            warnings.warn(
                f"{path}:{line}: not valid UTF-8; read as {encoding}", SourceWarning, stacklevel=2
            )

    sample = text[:4096]
    if sample and sum(ch in _CONTROL for ch in sample) > len(sample) // 10:
        raise SourceError(path, "binary data, expected UTF-8 text")
    if not text.strip():
        raise SourceError(path, "empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_legacy(data: bytes) -> tuple[str, str]:
    # cp1252 is what Windows tools write; latin-1 decodes any byte, so it is the last resort.
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
