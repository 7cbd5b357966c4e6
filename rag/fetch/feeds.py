"""The feeds that were added, for `podcast-rag sync`: one small JSON file per feed in `<fetched>/.feeds/`, with the
feed's validators (ETag / Last-Modified), every item guid seen so far (so only new items are fetched) and the
episode each added item became. Written atomically (a temporary file renamed over the old one)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

FEEDS_DIR = ".feeds"


@dataclass
class FeedState:
    url: str
    title: str = ""
    author: str | None = None
    persons: list[dict] = field(default_factory=list)  # channel-level podcast:person
    etag: str | None = None
    last_modified: str | None = None
    checked_at: str | None = None
    seen: list[str] = field(default_factory=list)  # every item guid the feed had when last read
    episodes: dict[str, str] = field(default_factory=dict)  # guid -> episode id, for items that were added
    pending: dict[str, dict] = field(default_factory=dict)  # guid -> item, for items to try again (they failed)

    @property
    def key(self) -> str:
        return hashlib.sha1(self.url.encode()).hexdigest()[:16]


def feed_of(state: FeedState):
    """An item-less Feed with the channel's fields as last read (when the feed answers 304)."""
    from rag.fetch.feed import Feed, Person

    return Feed(state.url, state.title, state.author, persons=[Person(**p) for p in state.persons])


def remember_channel(state: FeedState, feed) -> None:
    state.title, state.author = feed.title, feed.author
    state.persons = [asdict(p) for p in feed.persons]


def _path(root: Path, state: FeedState) -> Path:
    return root / FEEDS_DIR / f"{state.key}.json"


def load_feeds(root: Path) -> list[FeedState]:
    """Every feed added under `root`, oldest first; unreadable files are skipped."""
    folder = root / FEEDS_DIR
    states = []
    for path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            states.append(FeedState(**{k: v for k, v in data.items() if k in FeedState.__dataclass_fields__}))
        except (OSError, ValueError, TypeError):
            continue
    return states


def load_feed(root: Path, url: str) -> FeedState:
    """The state of `url`, or a fresh one."""
    fresh = FeedState(url)
    try:
        data = json.loads(_path(root, fresh).read_text(encoding="utf-8"))
        return FeedState(**{k: v for k, v in data.items() if k in FeedState.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return fresh


def save_feed(root: Path, state: FeedState) -> None:
    path = _path(root, state)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(asdict(state), indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
