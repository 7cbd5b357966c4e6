"""`podcast-rag add SOURCE...`: what a source is, the episode folders it makes, and their ingest.

A SOURCE is a URL or (on the command line only) a local file. A URL a site-specific yt-dlp extractor knows is a
video; anything else is downloaded once and sniffed: an RSS feed, a transcript page, a bare transcript, a yt-dlp
info file, or audio. Each resulting episode is checked by the real parsers in a hidden draft folder, swapped in,
and ingested together with the other folders of the same id (say the summary in data/episodes); when the ingest
fails, the previous folder comes back. One source failing does not stop the others; every failure is one line.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.errors import PodragError
from rag.fetch import builders
from rag.fetch.context import Context, Progress
from rag.fetch.errors import FetchError
from rag.fetch.feed import parse_feed
from rag.fetch.feeds import load_feed, remember_channel, save_feed
from rag.fetch.folder import Draft
from rag.fetch.guard import AddressGuard, Resolver, split_url
from rag.fetch.http import Download, Downloader, now
from rag.fetch.sniff import TRANSCRIPT_SUFFIX, describe, sniff_file
from rag.sources import discover
from rag.sources.lexfridman_html import NO_SEGMENTS

_STALE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class AddOptions:
    latest: int | None = None  # feeds: the newest N items (default 1)
    episode: str | None = None  # feeds: the item with this guid or episode number
    episode_id: str | None = None  # the id to give the episode (one episode only)


@dataclass
class Added:
    episode_id: str
    source: str
    kind: str  # page, transcript, feed, video, audio
    status: str  # new, updated, unchanged
    title: str | None
    transcript: str | None  # the transcript's format
    folder: str
    seconds: float  # from the first byte fetched to the episode indexed
    ingest_seconds: float = 0.0  # of which parsing, chunking, embedding and indexing
    notes: list[str] = field(default_factory=list)


@dataclass
class AddReport:
    added: list[Added] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unreachable: int = 0  # failures that never reached a server
    feeds: int | None = None  # `sync`: how many feeds were read

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def offline(self) -> bool:
        """Nothing could be reached at all: most likely this machine has no network."""
        return bool(self.failed) and not self.added and self.unreachable == len(self.failed)

    def summary_line(self) -> str:
        counts = {s: sum(a.status == s for a in self.added) for s in ("new", "updated", "unchanged")}
        if self.feeds is not None:
            return (f"{self.feeds} feeds synced: {counts['new']} new episodes, {counts['updated']} updated, "
                    f"{counts['unchanged']} unchanged, {len(self.failed)} failed")
        return (f"{len(self.added)} episodes added ({counts['new']} new, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged), {len(self.failed)} failed")

    def to_json(self) -> dict:
        return {"added": [asdict(a) for a in self.added], "failed": self.failed, "notes": self.notes,
                **({"feeds": self.feeds} if self.feeds is not None else {})}


class Adder:
    """Adds sources to an assistant's index. `guarded` is the web app: URLs only, never an address on this
    machine's own network (unless PODRAG_FETCH_ALLOW_PRIVATE), no generic video extractor."""

    def __init__(self, assistant, *, guarded: bool = False, progress: Progress | None = None,
                 resolver: Resolver | None = None):
        settings = assistant.settings
        self.assistant = assistant
        guard = AddressGuard(allow_private=not guarded or settings.fetch_allow_private, resolver=resolver)
        self.ctx = Context(settings, Downloader(settings, guard), settings.fetched_dir(), guarded, progress)
        _sweep(self.ctx.root)

    def close(self) -> None:
        self.ctx.downloader.close()

    def __enter__(self) -> Adder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, sources: list[str], options: AddOptions = AddOptions()) -> AddReport:
        report = AddReport()
        if options.episode_id and len(sources) > 1:
            report.failed.append(f"--id {options.episode_id}: names one episode, but {len(sources)} sources were "
                                 "given")
            return report
        for source in sources:
            self.add_one(source.strip(), options, report)
        return report

    def add_one(self, source: str, options: AddOptions, report: AddReport) -> None:
        started = time.perf_counter()
        tmp = self.ctx.root / f".tmp-{uuid.uuid4().hex[:8]}"
        try:
            for draft in self._drafts(source, options, tmp, report):
                try:
                    report.added.append(self.commit(draft, started))
                except PodragError as exc:
                    self._fail(report, exc)
                started = time.perf_counter()
        except PodragError as exc:
            self._fail(report, exc)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @staticmethod
    def _fail(report: AddReport, exc: PodragError) -> None:
        report.failed.append(str(exc))
        report.unreachable += bool(getattr(exc, "network", False))

    # -- what a source is ---------------------------------------------------------------------------------------

    def _drafts(self, source: str, options: AddOptions, tmp: Path, report: AddReport):
        """Drafts for one source (several for a feed), built one at a time so each is ingested before the
        next is fetched."""
        download: Download | None = None
        if "://" in source:
            split_url(source)
            from rag.fetch.video import is_video_url

            if is_video_url(source):
                yield self._video(source, options)
                return
            path = tmp / "download"
            download = self.ctx.get(source, path, media=None, label=source)
        elif self.ctx.guarded:
            raise FetchError(source, "expected an http:// or https:// URL")
        else:
            path = Path(source).expanduser()
            if not path.is_file():
                raise FetchError(source, "no such file (a web address starts with https://)")
        kind = sniff_file(path)
        if kind == "feed":
            yield from self._feed(source, path, download, options, report)
        elif kind == "html" and download is not None and not self.ctx.guarded and _embeds_video(path):
            yield self._video(source, options)  # a page with a player but no transcript: the player's captions
        elif kind == "html":
            yield builders.page_draft(self.ctx, source, path, download, options.episode_id)
        elif kind == "media":
            yield builders.audio_draft(self.ctx, source, options.episode_id, path=path, download=download)
        elif kind in TRANSCRIPT_SUFFIX or kind == "json3":
            yield builders.transcript_draft(self.ctx, source, path, download, kind, options.episode_id)
        elif kind == "ytdlp-info" and not self.ctx.guarded:
            info = json.loads(path.read_text(encoding="utf-8"))
            caption_file = None if download else _caption_beside(path)
            yield builders.video_draft(self.ctx, source, info, options.episode_id, caption_file=caption_file)
        elif kind == "atom":
            raise FetchError(source, "an Atom feed: podcast feeds are RSS 2.0 (<rss><channel><item>...)")
        else:
            raise FetchError(source,
                             f"not a transcript, podcast feed, transcript page or audio: found {describe(kind)}")

    def _video(self, source: str, options: AddOptions) -> Draft:
        from rag.fetch.video import choose_caption, extract_info

        self.ctx.report(0, 0, "reading the video's page")
        if self.ctx.guarded:
            # yt-dlp connects by itself, so its connections cannot be pinned; at least the address is checked.
            self.ctx.downloader.guard.pin(source)
        info = extract_info(source, self.ctx.settings.fetch_timeout, generic=not self.ctx.guarded)
        caption = choose_caption(info)
        if caption is not None:
            self.ctx.downloader.guard.pin(caption.url)  # the app: captions must not come from a private address
        return builders.video_draft(self.ctx, source, info, options.episode_id, caption=caption)

    def _feed(self, source: str, path: Path, download: Download | None, options: AddOptions, report: AddReport):
        if download is None:  # a local feed file: `sync` re-reads it from wherever it is run
            source = str(path.resolve())
        feed = parse_feed(path, source)
        items = feed.select(options.latest, options.episode)
        if options.episode_id and len(items) > 1:
            raise FetchError(source, "--id names one episode: use it with --episode or --latest 1")
        if len(feed.items) > len(items) and options.episode is None:
            report.notes.append(f"{source}: added the latest {len(items)} of {len(feed.items)} items (--latest N "
                                "or --episode GUID|NUMBER for others); `podcast-rag sync` fetches new ones")
        state = load_feed(self.ctx.root, source)
        remember_channel(state, feed)
        if download is not None:
            state.etag, state.last_modified = download.etag, download.last_modified
        state.checked_at = now()
        # Items not chosen now count as seen (`sync` fetches only what appears later); chosen ones once added, so
        # that one that failed (no transcript yet, a server error) is tried again by the next `sync`.
        chosen = {i.guid for i in items}
        state.seen = list(dict.fromkeys([*state.seen, *(i.guid for i in feed.items if i.guid not in chosen)]))
        del feed.items[:]  # only the chosen ones are needed from here on
        try:
            yield from self.feed_items(feed, items, options.episode_id, state, report)
        finally:
            save_feed(self.ctx.root, state)

    def feed_items(self, feed, items, episode_id, state, report: AddReport):
        for item in items:
            try:
                draft = builders.feed_item_draft(self.ctx, feed, item, episode_id)
            except PodragError as exc:
                self._fail(report, exc)
                continue
            yield draft
            if draft.committed:
                state.episodes[item.guid] = draft.episode_id
                if item.guid not in state.seen:
                    state.seen.append(item.guid)
        for item in items:  # what failed is tried again by `sync`, even if the feed itself does not change
            if item.guid in state.episodes:
                state.pending.pop(item.guid, None)
            else:
                state.pending[item.guid] = item.to_json()

    # -- committing an episode ----------------------------------------------------------------------------------

    def commit(self, draft: Draft, started: float) -> Added:
        """Check the draft with the real parsers, swap it in, ingest it with its companions; roll back on failure."""
        try:
            episode = draft.check()
        except FetchError as exc:
            draft.discard()
            if draft.kind == "page" and NO_SEGMENTS.split(":")[0] in exc.message:
                raise FetchError(draft.source, "not a transcript page: no lexfridman.com-style transcript "
                                               "(div.ts-segment); for other shows add the podcast's RSS feed or "
                                               "the video's URL") from exc
            raise
        except BaseException:
            draft.discard()
            raise
        target = self.ctx.root / draft.episode_id
        ingest_seconds = 0.0
        if target.is_dir() and _same_files(draft.path, target) and self._indexed(draft.episode_id, target):
            draft.discard()
            status = "unchanged"
        else:
            staged = draft.publish()
            try:
                ingest = self.assistant.ingest(self._folders(draft.episode_id, staged.folder), self.ctx.progress)
            except BaseException:
                staged.rollback()
                raise
            if not ingest.ok:
                staged.rollback()
                raise FetchError(draft.source, ingest.failed[0])
            staged.commit()
            ingest_seconds = ingest.seconds
            status = ("new" if draft.episode_id in ingest.new else
                      "updated" if draft.episode_id in ingest.updated else "unchanged")
        draft.committed = True
        transcript = episode.transcript.format if episode.transcript else None
        return Added(draft.episode_id, draft.source, draft.kind, status, episode.meta.title, transcript,
                     str(target), round(time.perf_counter() - started, 2), round(ingest_seconds, 2), draft.notes)

    def _indexed(self, episode_id: str, folder: Path) -> bool:
        """Whether the index holds the episode with every file of `folder` (an `ingest` of other folders alone
        may have replaced it since)."""
        record = self.assistant.index.records().get(episode_id)
        listed = {Path(f).resolve() for f in record.files} if record else set()
        return record is not None and all(p.resolve() in listed for p in folder.iterdir()
                                          if p.is_file() and not p.name.startswith("."))

    def _folders(self, episode_id: str, folder: Path) -> list[Path]:
        """The new folder, with every other folder holding files of the same episode id: those the index lists
        for it, and those of the default corpus (e.g. data/episodes/<id>/ with its summary)."""
        found: list[Path] = []
        record = self.assistant.index.records().get(episode_id)
        if record is not None:
            found += [Path(f).parent for f in record.files]
        root = self.ctx.root.resolve()
        corpus = [p for p in self.assistant.settings.default_corpus() if p.is_dir() and p.resolve() != root]
        sources, _ = discover(corpus)
        found += [f for s in sources if s.id == episode_id for f in s.folders]
        out, seen = [folder], {folder.resolve()}
        for f in found:
            resolved = f.resolve()
            if f.is_dir() and resolved not in seen and not resolved.is_relative_to(root):
                out.append(f)
                seen.add(resolved)
        return out


def _same_files(a: Path, b: Path) -> bool:
    """Whether two episode folders hold the same visible files with the same bytes."""
    def files(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}

    return files(a) == files(b)


def _caption_beside(info_file: Path) -> Path | None:
    """The caption file yt-dlp wrote beside its info file (`NAME.info.json` -> `NAME.LANG.json3|vtt|srt`)."""
    from rag.fetch.video import CAPTION_FORMATS

    base = info_file.name.removesuffix(".info.json").removesuffix(".json")
    for ext in CAPTION_FORMATS:
        found = sorted(info_file.parent.glob(f"{base}.*.{ext}"))
        if found:
            return found[0]
    return None


def _embeds_video(page: Path) -> bool:
    """Whether a page without transcript markup embeds a video player (HTML5 <video>, a YouTube or Vimeo frame)."""
    text = page.read_bytes()[:2_000_000].decode("utf-8", errors="replace").lower()
    return "ts-segment" not in text and any(m in text for m in ("<video", "youtube.com/embed/", "player.vimeo.com"))


def _sweep(root: Path) -> None:
    """Remove what a killed `add` left: drafts, temporary downloads and kept previous versions older than a day
    (younger ones may belong to an `add` still running in another process)."""
    if not root.is_dir():
        return
    for path in root.glob(".*-*"):
        if path.name.startswith((".new-", ".old-", ".tmp-")) and time.time() - path.stat().st_mtime > _STALE_SECONDS:
            shutil.rmtree(path, ignore_errors=True)
