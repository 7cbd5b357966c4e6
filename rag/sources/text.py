"""Reading source files as text, whatever encoding they arrived in."""

from __future__ import annotations

import codecs
import warnings
from collections.abc import Iterator
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


_BLOCK = 1 << 20


def iter_lines(path: Path | str) -> Iterator[str]:
    """`read_text(path).split("\\n")` without the whole file in memory: the same encoding decisions, errors and
    warning (from a first pass over the bytes, a block at a time), then the lines one by one."""
    path = Path(path)
    try:
        encoding = _sniff(path)
        with open(path, encoding=encoding, newline=None) as f:  # universal newlines: \r\n and \r become \n
            for line in f:
                yield line[:-1] if line.endswith("\n") else line
            if line.endswith("\n"):
                yield ""  # as split() gives after a final newline
    except OSError as exc:
        raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc


def _sniff(path: Path) -> str:
    """The encoding `read_text` would read the file with; raises (and warns) as it would."""
    with open(path, "rb") as f:
        head = f.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding, decoder = "utf-16", codecs.getincrementaldecoder("utf-16")()
        else:
            encoding, decoder = "utf-8-sig", codecs.getincrementaldecoder("utf-8-sig")()
        f.seek(0)
        sample, blank, lines = "", True, 0
        while block := f.read(_BLOCK):
            if encoding != "utf-16" and b"\x00" in block:
                raise SourceError(path, "binary data, expected UTF-8 text")
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                if encoding == "utf-16":
                    raise SourceError(path, "broken UTF-16 text (it starts with a UTF-16 byte order mark)") from exc
                line = lines + block[: exc.start].count(b"\n") + 1
                return _legacy_encoding(path, line)
            lines += block.count(b"\n")
            sample = sample if len(sample) >= 4096 else (sample + text)[:4096]
            blank = blank and not text.strip()
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            if encoding == "utf-16":
                raise SourceError(path, "broken UTF-16 text (it starts with a UTF-16 byte order mark)") from exc
            return _legacy_encoding(path, lines + 1)
    _check_sample(path, sample, blank)
    return encoding


def _legacy_encoding(path: Path, line: int) -> str:
    with open(path, "rb") as f:
        try:
            decoder = codecs.getincrementaldecoder("cp1252")()
            while block := f.read(_BLOCK):
                decoder.decode(block)
            encoding = "cp1252"
        except UnicodeDecodeError:
            encoding = "latin-1"
    warnings.warn(f"{path}:{line}: not valid UTF-8; read as {encoding}", SourceWarning, stacklevel=4)
    with open(path, encoding=encoding, newline=None) as f:
        sample = f.read(4096)
        blank = not sample.strip() and not any(chunk.strip() for chunk in iter(lambda: f.read(_BLOCK), ""))
    _check_sample(path, sample, blank)
    return encoding


def _check_sample(path: Path, sample: str, blank: bool) -> None:
    if sample and sum(ch in _CONTROL for ch in sample) > len(sample) // 10:
        raise SourceError(path, "binary data, expected UTF-8 text")
    if blank:
        raise SourceError(path, "empty file")
