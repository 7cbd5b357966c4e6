"""`podcast-rag sync`: re-read every feed that was added; add the items it did not have before; re-check the
transcripts (and chapters, and audio) of the items added from it, re-ingesting those that changed.

Nothing is fetched twice: the feed, each transcript, chapters file and enclosure is asked for with the ETag /
Last-Modified it came with (a 304 costs no body), and an episode whose files come back the same is left alone.
A feed answering 304 is not parsed at all; its added items are re-checked from what their provenance kept.
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

from rag.errors import PodragError
from rag.fetch.add import Adder, AddReport
from rag.fetch.errors import FetchError
from rag.fetch.feed import Feed, FeedItem, parse_feed
from rag.fetch.feeds import FeedState, feed_of, load_feeds, remember_channel, save_feed
from rag.fetch.folder import read_provenance
from rag.fetch.http import now


def sync_feeds(adder: Adder) -> AddReport:
    """Sync every added feed; one report for all (a feed that fails is one line, the others go on)."""
    states = load_feeds(adder.ctx.root)
    report = AddReport(feeds=len(states))
    for state in states:
        tmp = adder.ctx.root / f".tmp-{uuid.uuid4().hex[:8]}"
        try:
            _sync_one(adder, state, tmp, report)
        except PodragError as exc:
            report.failed.append(str(exc))
            report.unreachable += bool(getattr(exc, "network", False))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return report


def _sync_one(adder: Adder, state: FeedState, tmp: Path, report: AddReport) -> None:
    feed, fresh = _read_feed(adder, state, tmp)
    current = {i.guid: i for i in feed.items} if fresh else {}
    seen = set(state.seen)
    if fresh:
        # Items become seen once added, so one that fails (no transcript yet) is tried again next time.
        new = [i for i in feed.items if i.guid not in seen and i.guid not in state.episodes]
        state.pending = {g: item for g, item in state.pending.items() if g in current}
        remember_channel(state, feed)
    else:
        new = [FeedItem.from_json(item) for item in state.pending.values()]
    state.checked_at = now()
    # Items added before: as the feed now describes them, else as their provenance kept them.
    known = []
    for guid, episode_id in state.episodes.items():
        item = current.get(guid) or _kept_item(adder.ctx.root / episode_id)
        if item is not None:
            known.append((item, episode_id))
    feed.items = []
    label = feed.title or state.url
    if new:
        report.notes.append(f"{label}: {len(new)} new item{'s' * (len(new) != 1)}")
    try:
        for item, episode_id in [*known, *((i, None) for i in sorted(new, key=lambda i: i.timestamp or 0))]:
            started = time.perf_counter()
            for draft in adder.feed_items(feed, [item], episode_id, state, report):
                try:
                    report.added.append(adder.commit(draft, started))
                except PodragError as exc:
                    report.failed.append(str(exc))
    finally:
        save_feed(adder.ctx.root, state)


def _read_feed(adder: Adder, state: FeedState, tmp: Path) -> tuple[Feed, bool]:
    """(the feed, whether it was read anew); an unchanged feed (304) gives its channel as last read."""
    if "://" not in state.url:
        path = Path(state.url)
        if not path.is_file():
            raise FetchError(state.url, "the feed file is gone")
        return parse_feed(path, state.url), True
    download = adder.ctx.downloader.get(state.url, tmp / "feed", etag=state.etag, last_modified=state.last_modified)
    if download.not_modified:
        return feed_of(state), False
    feed = parse_feed(download.path, state.url)
    state.etag, state.last_modified = download.etag, download.last_modified
    return feed, True


def _kept_item(folder: Path) -> FeedItem | None:
    item = (read_provenance(folder) or {}).get("item")
    return FeedItem.from_json(item) if isinstance(item, dict) else None
