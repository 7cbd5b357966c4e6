"""Videos (YouTube and whatever else yt-dlp supports): captions, chapters, title, date and link through yt-dlp's
Python API. The video itself is never downloaded.

Captions uploaded by the channel come before automatic ones (ASR); among formats, YouTube's json3 (clean lines
and word offsets, none of the rolling duplicates of its automatic WebVTT) before WebVTT and SubRip. json3 is
converted here to a Podcasting 2.0 JSON transcript; WebVTT and SubRip are kept as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from rag.fetch.errors import FetchError
from rag.sources.common import split_speaker_label

CAPTION_FORMATS = ("json3", "vtt", "srt")
_NOT_CAPTIONS = {"live_chat", "rechat"}
_GENERIC = {"generic", "html5mediaembed"}  # extractors of any page: their ids are made up from the URL


@dataclass(frozen=True)
class Caption:
    language: str
    ext: str  # json3, vtt or srt
    url: str
    automatic: bool
    headers: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        kind = "automatic captions" if self.automatic else "captions"
        return f"{kind} ({self.language}, {self.ext})"


def is_video_url(url: str) -> bool:
    """Whether a site-specific yt-dlp extractor (not the generic one, which takes any URL) handles `url`."""
    from yt_dlp.extractor import gen_extractor_classes

    return any(ie.ie_key() != "Generic" and ie.working() and ie.suitable(url) for ie in gen_extractor_classes())


def ydl_params(timeout: float) -> dict:
    """yt-dlp options: no download, no playlist, quiet (errors come back as exceptions), no config files."""
    return {"skip_download": True, "noplaylist": True, "quiet": True, "no_warnings": True, "noprogress": True,
            "socket_timeout": timeout, "ignoreconfig": True, "retries": 1, "extractor_retries": 1,
            "writesubtitles": True, "writeautomaticsub": True}


def extract_info(url: str, timeout: float, *, generic: bool = True) -> dict:
    """yt-dlp's info dict for a video URL (network). `generic=False` refuses URLs only the generic extractor
    would take (the app: the generic extractor fetches any address itself, outside the address guard)."""
    from yt_dlp import YoutubeDL
    from yt_dlp.utils import DownloadError

    params = ydl_params(timeout)
    if not generic:
        params["allowed_extractors"] = ["default", "-generic"]
    try:
        with YoutubeDL(params) as ydl:
            info = ydl.extract_info(url, download=False)
    except DownloadError as exc:
        message = _clean(str(exc))
        unreachable = any(m in message for m in ("name resolution", "Name or service not known", "Errno -2",
                                                 "Errno -3", "Connection refused", "Network is unreachable"))
        raise FetchError(url, f"yt-dlp could not read the video: {message}", network=unreachable) from exc
    if not isinstance(info, dict):
        raise FetchError(url, "yt-dlp found no video")
    if info.get("_type") == "playlist":
        entries = [e for e in info.get("entries") or [] if isinstance(e, dict)]
        if len(entries) != 1:
            raise FetchError(url, f"a playlist of {len(entries)} videos: add one video's URL")
        info = entries[0]
    return info


def download_caption(caption: Caption, dest: Path, max_bytes: int, timeout: float) -> Path:
    """Fetch a caption file through yt-dlp's own networking (YouTube needs its headers), at most `max_bytes`."""
    from yt_dlp import YoutubeDL
    from yt_dlp.networking import Request
    from yt_dlp.networking.exceptions import RequestError

    try:
        with (YoutubeDL(ydl_params(timeout)) as ydl,
              ydl.urlopen(Request(caption.url, headers=dict(caption.headers))) as r):
            data = r.read(max_bytes + 1)
    except RequestError as exc:
        raise FetchError(caption.url, f"cannot download the {caption.describe()}: {_clean(str(exc))}") from exc
    if len(data) > max_bytes:
        raise FetchError(caption.url,
                         f"the captions are larger than {max_bytes // 1024 // 1024} MB (PODRAG_FETCH_MAX_MB)")
    if not data.strip():
        raise FetchError(caption.url, "the captions are empty")
    dest.write_bytes(data)
    return dest


def choose_caption(info: dict) -> Caption | None:
    """Captions in the video's language, uploaded before automatic; then uploaded captions in another language.
    Automatic captions in another language are machine translations and never used."""
    language = (info.get("language") or "en").split("-")[0]
    uploaded = {k: v for k, v in (info.get("subtitles") or {}).items() if k not in _NOT_CAPTIONS}
    automatic = {k: v for k, v in (info.get("automatic_captions") or {}).items() if k not in _NOT_CAPTIONS}

    def own(lang: str) -> bool:
        return lang.split("-")[0] == language

    def rank(lang: str) -> int:  # "en" before "en-orig" (YouTube's untranslated ASR) before "en-GB"
        return 0 if lang == language else 1 if lang == f"{language}-orig" else 2

    order = [(uploaded, False, [k for k in sorted(uploaded, key=rank) if own(k)]),
             (automatic, True, [k for k in sorted(automatic, key=rank) if own(k)]),
             (uploaded, False, sorted(k for k in uploaded if not own(k)))]
    for table, is_automatic, langs in order:
        for lang in langs:
            formats = {f.get("ext"): f for f in table[lang] if isinstance(f, dict) and f.get("url")}
            for ext in CAPTION_FORMATS:
                if ext in formats:
                    headers = tuple((formats[ext].get("http_headers") or {}).items())
                    return Caption(lang, ext, formats[ext]["url"], is_automatic, headers)
    return None


def json3_transcript(path: Path) -> dict:
    """YouTube json3 captions -> a Podcasting 2.0 JSON transcript (one segment per caption line, word offsets
    kept as `words` when the captions have them). Speaker labels at a line's start ("Lex Fridman: ...",
    "[Lex] ...") become the segment's speaker."""
    try:
        events = json.loads(path.read_bytes().decode("utf-8-sig"))["events"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise FetchError(str(path), "not YouTube json3 captions: expected {\"events\": [...]}") from exc
    segments = []
    for event in sorted((e for e in events if isinstance(e, dict) and e.get("segs")),
                        key=lambda e: e.get("tStartMs", 0)):
        start = event.get("tStartMs", 0) / 1000
        pieces = [(s.get("utf8", ""), s.get("tOffsetMs")) for s in event["segs"] if isinstance(s, dict)]
        text = " ".join("".join(p for p, _ in pieces).split())
        if not text:
            continue  # the newline events that break automatic captions into lines
        segment = {"startTime": round(start, 3),
                   "endTime": round(start + event.get("dDurationMs", 0) / 1000, 3)}
        speaker, body = split_speaker_label(text.removeprefix(">> ").strip(), brackets=True)
        if speaker:
            segment["speaker"] = speaker
        segment["body"] = body
        if len(pieces) > 1:
            segment["words"] = [{"startTime": round(start + (offset or 0) / 1000, 3), "body": word.strip()}
                                for word, offset in pieces if word.strip()]
        segments.append(segment)
    if not segments:
        raise FetchError(str(path), "the captions have no text")
    return {"version": "1.0.0", "segments": segments}


def video_metadata(info: dict) -> dict:
    """episode.json fields from a yt-dlp info dict."""
    date = info.get("upload_date") or info.get("release_date") or ""
    published = f"{date[:4]}-{date[4:6]}-{date[6:8]}" if re.fullmatch(r"\d{8}", date) else None
    return {k: v for k, v in {
        "title": info.get("title"), "podcast": info.get("channel") or info.get("uploader"),
        "published": published, "video_url": info.get("webpage_url") or info.get("original_url"),
    }.items() if v}


def video_chapters(info: dict) -> dict | None:
    """Podcasting 2.0 chapters from the video's chapters, if it has any."""
    chapters = [{"startTime": float(c["start_time"]), "title": str(c.get("title") or "").strip()}
                for c in info.get("chapters") or [] if isinstance(c, dict) and c.get("start_time") is not None]
    chapters = [c for c in chapters if c["title"]]
    return {"version": "1.2.0", "chapters": sorted(chapters, key=lambda c: c["startTime"])} if chapters else None


def video_id(info: dict) -> str | None:
    """'youtube-<id>' for site videos (ids are case-sensitive, so not slugified); None for the generic extractor."""
    key, vid = str(info.get("extractor_key") or info.get("ie_key") or ""), str(info.get("id") or "")
    if key and key.lower() not in _GENERIC and re.fullmatch(r"[A-Za-z0-9_-]{1,60}", vid):
        return f"{key.lower()}-{vid}"
    return None


def _clean(message: str) -> str:
    """yt-dlp's messages without colour codes and the 'ERROR: ' prefix, on one line."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", message).replace("ERROR: ", "")
    return " ".join(message.split())[:300]
