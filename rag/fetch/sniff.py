"""What a downloaded file is, from its bytes. Servers and feeds mislabel content (SRT served as text/plain, a
transcript declared text/srt, an error page with status 200), so the Content-Type and the URL's extension are
never trusted: every file is sniffed here before a parser sees it, and the parser then checks it in full."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

Kind = Literal["media", "binary", "empty", "vtt", "srt", "json-transcript", "json-chapters", "json3", "ytdlp-info",
               "json", "feed", "atom", "html", "xml", "text"]

HEAD_BYTES = 512  # enough for every magic number below
_SNIFF_BYTES = 64 * 1024
_SRT_CUE = re.compile(r"^\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->", re.M)
_XML_PROLOGUE = re.compile(r"^(?:<\?xml[^>]*\?>|<!--.*?-->|<!doctype[^>]*>|\s)*", re.S | re.I)

# Transcript kinds and the file name the episode folder gives them (the ingest picks parsers by extension).
TRANSCRIPT_SUFFIX: dict[str, str] = {"vtt": ".vtt", "srt": ".srt", "json-transcript": ".json", "html": ".html",
                                     "text": ".txt"}


def is_media(head: bytes) -> bool:
    """Whether the bytes start an audio or video file (mp3, AAC, MP4/M4A, Ogg/Opus, WAV, FLAC, WebM, AIFF)."""
    if head.startswith((b"ID3", b"OggS", b"fLaC", b"\x1aE\xdf\xa3")):
        return True
    if head[4:8] == b"ftyp":
        return True
    if head.startswith(b"RIFF") and head[8:12] in (b"WAVE", b"AVI "):
        return True
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return True
    # An MPEG audio frame (or AAC ADTS) starts with 11 set bits; FF FE is a UTF-16 byte order mark instead.
    return len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] != 0xFE


def sniff_bytes(data: bytes) -> Kind:
    """The kind of a file from its first bytes (JSON files are told apart by `sniff_file`, which reads them)."""
    if not data.strip():
        return "empty"
    if is_media(data):
        return "media"
    text = _decode(data)
    if text is None:
        return "binary"
    text = text.lstrip("\ufeff \t\r\n")
    if text.startswith("WEBVTT"):
        return "vtt"
    if text[:1] in "{[":
        return "json"
    if text.startswith("<"):
        head = _XML_PROLOGUE.sub("", text[:8192].lower(), count=1)
        lower = text[:8192].lower()
        if head.startswith("<rss") or (head.startswith("<rdf:rdf") and "<channel" in lower):
            return "feed"
        if head.startswith("<feed"):
            return "atom"
        if head.startswith(("<html", "<head", "<body")) or "<!doctype html" in lower[:200]:
            return "html"
        return "xml"
    if _SRT_CUE.search(text[:4096]):
        return "srt"
    return "text"


def sniff_file(path: Path) -> Kind:
    """The kind of a file on disk; JSON files are read to tell a transcript from chapters or YouTube captions."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    kind = sniff_bytes(head)
    if kind != "json":
        return kind
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "text"
    if isinstance(data, dict):
        if data.get("extractor") and data.get("id") and (data.get("webpage_url") or data.get("formats")):
            return "ytdlp-info"  # what `yt-dlp -J` or --write-info-json writes (it may have "chapters" too)
        if isinstance(data.get("segments"), list):
            return "json-transcript"
        if isinstance(data.get("chapters"), list):
            return "json-chapters"
        if isinstance(data.get("events"), list):
            return "json3"
    return "json"


def describe(kind: Kind) -> str:
    """How a kind reads in an error message."""
    return {
        "media": "audio or video", "binary": "binary data", "empty": "an empty file", "vtt": "a WebVTT file",
        "srt": "a SubRip file", "json-transcript": "a Podcasting 2.0 JSON transcript",
        "json-chapters": "Podcasting 2.0 chapters", "json3": "YouTube json3 captions",
        "ytdlp-info": "a yt-dlp info file", "json": "JSON",
        "feed": "an RSS feed", "atom": "an Atom feed", "html": "an HTML page", "xml": "an XML document",
        "text": "plain text",
    }[kind]


def _decode(data: bytes) -> str | None:
    """The text of a file's head, or None for binary data (NUL bytes outside UTF-16, many control characters)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="ignore")
    if b"\x00" in data:
        return None
    text = data.decode("utf-8", errors="replace")
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\n\r\f")
    return None if controls > len(text[:4096]) // 10 else text
