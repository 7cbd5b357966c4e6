"""One builder per kind of source: each fills a `Draft` episode folder (metadata, transcript, chapters,
provenance) from a page, a bare transcript, audio, a feed item or a video. The draft is checked and committed by
rag.fetch.add."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

from rag.errors import PodragError
from rag.fetch import audio
from rag.fetch.context import Context
from rag.fetch.errors import FetchError
from rag.fetch.feed import Feed, FeedItem
from rag.fetch.folder import FETCH_DIR, Draft, derive_id, read_provenance
from rag.fetch.http import Download
from rag.fetch.page import page_metadata
from rag.fetch.sniff import TRANSCRIPT_SUFFIX, describe, sniff_file
from rag.fetch.video import Caption, choose_caption, json3_transcript, video_chapters, video_id, video_metadata
from rag.models import Transcript
from rag.sources import parse_transcript

MAX_CANDIDATES = 6  # transcripts tried per feed item


def name_of(source: str) -> str:
    """The last part of a URL's path or a file name, without extension: a fallback episode name."""
    path = unquote(urlsplit(source).path) if "://" in source else source
    return Path(path.rstrip("/")).stem


def place(path: Path, dest: Path, *, keep: bool) -> None:
    """Put a file into a draft: copied when it is the user's own (`keep`), moved when it is a download."""
    if keep:
        shutil.copyfile(path, dest)
    else:
        path.replace(dest)


# -- a transcript page -----------------------------------------------------------------------------------------


def page_draft(ctx: Context, source: str, path: Path, download: Download | None, episode_id: str | None) -> Draft:
    """A lexfridman.com-style transcript page: the page is the transcript (with its chapters); the head gives
    title, podcast, number, host, guests, date; the body the video link."""
    meta = page_metadata(path, source if download else "")
    episode_id = episode_id or derive_id(podcast=meta.get("site") or meta.get("podcast"), number=meta.get("number"),
                                         title=meta.get("title"), fallback=name_of(source))
    draft = Draft(ctx.root, episode_id, source, "page")
    place(path, draft.file("transcript.html"), keep=download is None)
    draft.record("transcript.html", download, "transcript", **({} if download else {"path": str(path)}))
    draft.write_meta(meta)
    return draft


# -- a bare transcript file ------------------------------------------------------------------------------------


def transcript_draft(ctx: Context, source: str, path: Path, download: Download | None, kind: str,
                     episode_id: str | None) -> Draft:
    """A transcript on its own (VTT, SRT, JSON, timed text, or YouTube json3 captions)."""
    draft = Draft(ctx.root, episode_id or derive_id(fallback=name_of(source)), source, "transcript")
    extra = {} if download else {"path": str(path)}
    if kind == "json3":
        raw = f"{FETCH_DIR}/captions.json3"
        place(path, draft.file(raw), keep=download is None)
        draft.record(raw, download, "captions", **extra)
        draft.write_json("transcript.json", json3_transcript(draft.file(raw)))
        draft.record("transcript.json", None, "transcript", derived_from=raw)
    else:
        name = "transcript" + TRANSCRIPT_SUFFIX[kind]
        place(path, draft.file(name), keep=download is None)
        draft.record(name, download, "transcript", **extra)
    draft.write_meta({"transcript_url": source if download else None})
    return draft


# -- audio -------------------------------------------------------------------------------------------------------


def audio_draft(ctx: Context, source: str, episode_id: str | None, meta: dict | None = None, *,
                path: Path | None = None, download: Download | None = None, url: str | None = None,
                label: str = "") -> Draft:
    """Audio transcribed by faster-whisper: a local file (`path`), a file already downloaded (`path` and its
    `download`), or a URL to download. Audio fetched before whose server says it has not changed (304), or
    whose bytes are the same, is not transcribed again: the earlier transcript is kept."""
    meta = dict(meta or {})
    episode_id = episode_id or derive_id(title=meta.get("title"), fallback=name_of(source))
    audio_url = url or (download.url if download else None)
    if audio_url:
        meta.setdefault("audio_url", audio_url)
    previous = ctx.known(audio_url) if audio_url else None
    if previous and not (previous[0] / "transcript.json").is_file():
        previous = None
    validators = previous[1] if previous else {}
    draft = Draft(ctx.root, episode_id, source, "audio")
    try:
        if url is not None:
            path = draft.file(f"{FETCH_DIR}/audio.download")
            download = ctx.downloader.get(url, path, etag=validators.get("etag"),
                                          last_modified=validators.get("last_modified"), media=True,
                                          progress=_bytes_progress(ctx, "downloading audio"))
        if previous and download and (download.not_modified or download.sha256 == validators.get("sha256")):
            # The same audio as last time: keep its transcript rather than spend minutes transcribing again.
            shutil.copyfile(previous[0] / "transcript.json", draft.file("transcript.json"))
            draft.files.extend(e for e in _files(previous[0]) if e.get("name") == "transcript.json")
            draft.files.append(dict(validators, checked_at=download.fetched_at))
            draft.notes.extend(_notes(previous[0]))
            draft.write_meta(meta)
            return draft
        assert path is not None
        ctx.report(0, 0, f"transcribing {label or episode_id}")
        result = audio.transcribe(path, ctx.settings, source, ctx.progress)
    except BaseException:
        draft.discard()
        raise
    finally:
        draft.file(f"{FETCH_DIR}/audio.download").unlink(missing_ok=True)
    draft.write_json("transcript.json", result.transcript)
    audio_entry = download.provenance() if download else {"path": str(path)}
    draft.files.append({"name": "audio (not kept)", "role": "audio", **audio_entry})
    draft.record("transcript.json", None, "transcript", derived_from=audio_entry.get("url") or str(path),
                 transcriber=f"faster-whisper {result.model}", language=result.language,
                 audio_seconds=round(result.duration, 1), transcribe_seconds=round(result.seconds, 1))
    draft.notes.append(f"speakers unknown: transcribed by faster-whisper {result.model} ({result.language}, "
                       f"{result.speed:.1f}x real time)")
    draft.write_meta(meta)
    return draft


def _bytes_progress(ctx: Context, label: str):
    return (lambda done, total, _: ctx.report(done, total, label)) if ctx.progress else None


def _files(folder: Path) -> list[dict]:
    return (read_provenance(folder) or {}).get("files", [])


def _notes(folder: Path) -> list[str]:
    return (read_provenance(folder) or {}).get("notes", [])


# -- a feed item -------------------------------------------------------------------------------------------------


def item_meta(feed: Feed, item: FeedItem) -> dict:
    persons = item.persons or feed.persons
    hosts = [p.name for p in persons if p.role == "host"]
    return {"title": item.title, "podcast": feed.title, "number": item.number, "published": item.published,
            "audio_url": item.enclosure, "host": hosts[0] if hosts else feed.author,
            "guests": [p.name for p in persons if p.role == "guest"]}


def item_id(feed: Feed, item: FeedItem) -> str:
    return derive_id(podcast=feed.title, number=item.number, title=item.title, fallback=item.guid)


def feed_item_draft(ctx: Context, feed: Feed, item: FeedItem, episode_id: str | None) -> Draft:
    """The richest of the item's transcripts (timed, with speakers), its chapters and metadata; its audio,
    transcribed, when no transcript is usable."""
    meta = item_meta(feed, item)
    episode_id = episode_id or item_id(feed, item)
    source = f"{feed.url}#{item.guid}"
    if not item.transcripts:
        return _item_audio(ctx, feed, item, episode_id, meta, "has no transcript")
    draft = Draft(ctx.root, episode_id, source, "feed")
    draft.extra = _feed_extra(feed, item)
    try:
        best, problems = _best_transcript(ctx, draft, item)
        if best is None:
            draft.discard()
            reasons = "; ".join(p.removeprefix("transcript not used: ") for p in problems)
            return _item_audio(ctx, feed, item, episode_id, meta, f"has no usable transcript ({reasons})")
        link, candidate, download, score = best
        name = "transcript" + candidate.suffix
        candidate.replace(draft.file(name))
        draft.record(name, download, "transcript", declared_type=link.type or None)
        meta["transcript_url"] = link.url
        for leftover in draft.file(FETCH_DIR).glob("candidate-*"):
            leftover.unlink()
        draft.notes.extend(problems)
        if item.chapters:
            _item_chapters(ctx, draft, item)
        draft.write_meta(meta)
    except BaseException:
        draft.discard()
        raise
    return draft


def _best_transcript(ctx: Context, draft: Draft, item: FeedItem):
    """(link, file, download, score) of the richest usable transcript, and a note for each unusable one."""
    best, problems = None, []
    for n, link in enumerate(item.ranked_transcripts()[:MAX_CANDIDATES]):
        raw = draft.file(f"{FETCH_DIR}/candidate-{n}")
        try:
            download = ctx.get(link.url, raw, label=f"transcript of {item.label()}")
            kind = sniff_file(raw)
            if kind not in TRANSCRIPT_SUFFIX and kind != "json3":
                raise FetchError(link.url, f"not a transcript: found {describe(kind)}"
                                           + (f" (declared {link.type})" if link.type else ""))
            path = raw.with_name(raw.name + TRANSCRIPT_SUFFIX.get(kind, ".json"))
            if kind == "json3":
                path.write_text(json.dumps(json3_transcript(raw)), encoding="utf-8")
            else:
                raw.replace(path)
            score = richness(parse_transcript(path))
        except PodragError as exc:
            problems.append("transcript not used: " + str(exc).replace(str(raw.parent) + "/", ""))
            continue
        if best is None or score > best[3]:
            best = (link, path, download, score)
    return best, problems


def richness(transcript: Transcript) -> tuple:
    """How rich a transcript is: timed (more than one distinct time), with speakers, then longer."""
    segments = transcript.segments
    timed = len({s.start for s in segments}) > 1
    with_speaker = sum(1 for s in segments if s.speaker) / len(segments)
    return timed, with_speaker >= 0.5, round(with_speaker, 2), len(segments)


def _item_chapters(ctx: Context, draft: Draft, item: FeedItem) -> None:
    """The item's Podcasting 2.0 chapters; a bad chapters file is noted, not fatal (the transcript is what
    matters)."""
    path = draft.file("chapters.json")
    try:
        download = ctx.get(item.chapters, path, label="chapters")
        if sniff_file(path) != "json-chapters":
            raise FetchError(item.chapters, f"not Podcasting 2.0 chapters: found {describe(sniff_file(path))}")
        draft.record("chapters.json", download, "chapters")
    except PodragError as exc:
        path.unlink(missing_ok=True)
        draft.notes.append(f"chapters not used: {exc}")


def _item_audio(ctx: Context, feed: Feed, item: FeedItem, episode_id: str, meta: dict, why: str) -> Draft:
    where = f"{feed.url}: {item.label()}"
    if not item.enclosure:
        raise FetchError(where, f"{why} and no audio enclosure")
    if not audio.available():
        raise FetchError(where, f"{why}; its audio can be transcribed after {audio.INSTALL_HINT}")
    draft = audio_draft(ctx, f"{feed.url}#{item.guid}", episode_id, meta, url=item.enclosure, label=item.label())
    draft.kind = "feed"
    draft.extra = _feed_extra(feed, item)
    return draft


def _feed_extra(feed: Feed, item: FeedItem) -> dict:
    return {"feed": {"url": feed.url, "title": feed.title, "guid": item.guid}, "item": item.to_json()}


# -- a video -----------------------------------------------------------------------------------------------------


def video_draft(ctx: Context, source: str, info: dict, episode_id: str | None, *,
                caption_file: Path | None = None, caption: Caption | None = None) -> Draft:
    """Captions (uploaded before automatic), chapters, title, date and link of a video from yt-dlp's info dict.
    `caption_file` is a caption file already on disk (yt-dlp's --write-subs beside an info.json); otherwise the
    chosen caption is downloaded."""
    from rag.fetch.video import download_caption

    meta = video_metadata(info)
    episode_id = episode_id or video_id(info) or derive_id(title=meta.get("title"), fallback=name_of(source))
    caption = caption or choose_caption(info)
    if caption is None and caption_file is None:
        raise FetchError(source, "the video has no captions (uploaded or automatic) to use as a transcript; "
                                 "add its audio instead to transcribe it")
    draft = Draft(ctx.root, episode_id, source, "video")
    try:
        ext = caption.ext if caption else caption_file.suffix.lstrip(".")
        raw = draft.file(f"{FETCH_DIR}/captions.{ext}")
        if caption_file is not None:
            shutil.copyfile(caption_file, raw)
            draft.record(raw.relative_to(draft.path).as_posix(), None, "captions", path=str(caption_file))
        else:
            download_caption(caption, raw, ctx.downloader.text.max_bytes, ctx.settings.fetch_timeout)
            draft.record(raw.relative_to(draft.path).as_posix(), None, "captions", url=caption.url,
                         caption=caption.describe())
        kind = sniff_file(raw)
        if kind == "json3":
            draft.write_json("transcript.json", json3_transcript(raw))
            name = "transcript.json"
        elif kind in ("vtt", "srt"):
            name = "transcript" + TRANSCRIPT_SUFFIX[kind]
            shutil.copyfile(raw, draft.file(name))
        else:
            raise FetchError(source, f"the captions are not json3, WebVTT or SubRip: found {describe(kind)}")
        draft.record(name, None, "transcript", derived_from=raw.relative_to(draft.path).as_posix())
        if caption is not None and caption.automatic:
            draft.notes.append("automatic captions (speech recognition): speakers unknown")
        if chapters := video_chapters(info):
            draft.write_json("chapters.json", chapters)
            draft.record("chapters.json", None, "chapters", derived_from="the video's chapters")
        kept = {k: info.get(k) for k in ("id", "title", "channel", "uploader", "upload_date", "duration",
                                         "webpage_url", "extractor_key", "language", "chapters")}
        draft.write_json(f"{FETCH_DIR}/info.json", kept)
        draft.write_meta(meta)
    except BaseException:
        draft.discard()
        raise
    return draft
