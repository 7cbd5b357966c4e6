"""Podcast RSS feeds -> items with their transcripts, chapters, audio and people.

Read namespace-aware with a streaming XML parser, element by element, so a 5,000-item feed costs the memory of
one item plus a small record per item; DTDs and entities are refused (defusedxml: no billion laughs, no external
entities). Common feed libraries lose what matters here: feedparser keeps only the last of an item's several
`<podcast:transcript>` tags and podcastparser knows only the namespace's old URI, so the tags are read directly,
under both URIs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from rag.fetch.errors import FetchError

PODCAST_NS = ("https://podcastindex.org/namespace/1.0",
              "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md")
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"

# Declared transcript types, richest first: a feed's types only order the candidates; the content decides.
TYPE_RANK = {"application/json": 0, "text/vtt": 1, "application/x-subrip": 2, "application/srt": 2,
             "text/srt": 2, "text/html": 3, "text/plain": 4}


@dataclass(frozen=True)
class TranscriptLink:
    url: str
    type: str = ""
    language: str = ""
    rel: str = ""


@dataclass(frozen=True)
class Person:
    name: str
    role: str = "host"  # the namespace's default
    group: str = ""


@dataclass
class FeedItem:
    guid: str
    title: str = ""
    published: str | None = None  # YYYY-MM-DD
    timestamp: float | None = None  # for ordering by date
    enclosure: str | None = None  # audio URL
    enclosure_type: str = ""
    enclosure_length: int | None = None
    duration: float | None = None  # seconds (itunes:duration)
    number: int | None = None  # itunes:episode or podcast:episode
    link: str | None = None
    transcripts: list[TranscriptLink] = field(default_factory=list)
    chapters: str | None = None  # URL of Podcasting 2.0 chapters JSON
    persons: list[Person] = field(default_factory=list)
    position: int = 0  # order in the feed

    def label(self) -> str:
        number = f"#{self.number} " if self.number is not None else ""
        return f"item {number}\"{self.title or self.guid}\""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> FeedItem:
        """The item as `to_json` wrote it (kept in the episode's provenance, so `sync` can re-check it even when
        the feed itself has not changed)."""
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["transcripts"] = [TranscriptLink(**t) for t in data.get("transcripts", [])]
        fields["persons"] = [Person(**p) for p in data.get("persons", [])]
        return cls(**fields)

    def ranked_transcripts(self) -> list[TranscriptLink]:
        return sorted(self.transcripts, key=lambda t: TYPE_RANK.get(t.type.split(";")[0].strip().lower(), 5))


@dataclass
class Feed:
    url: str
    title: str = ""
    author: str | None = None
    link: str | None = None
    persons: list[Person] = field(default_factory=list)
    items: list[FeedItem] = field(default_factory=list)

    def select(self, latest: int | None = None, episode: str | None = None) -> list[FeedItem]:
        """The items to add: the one whose guid or number is `episode`, else the `latest` N by date (default 1)."""
        if episode is not None:
            wanted = episode.strip()
            found = [i for i in self.items if i.guid == wanted]
            if not found and wanted.lstrip("#").isdigit():
                found = [i for i in self.items if i.number == int(wanted.lstrip("#"))]
            if not found:
                numbers = sorted(i.number for i in self.items if i.number is not None)
                span = f", numbered {numbers[0]}-{numbers[-1]}" if numbers else ""
                raise FetchError(self.url, f"no item with guid or number {wanted!r} (the feed has "
                                           f"{len(self.items)} items{span})")
            return found[:1]
        ordered = sorted(self.items, key=lambda i: (-(i.timestamp or float("-inf")), i.position))
        return ordered[: max(1, latest or 1)]


def _local(tag: str) -> tuple[str, str]:
    """('{ns}name') -> (ns, name)."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def parse_feed(path: Path, url: str) -> Feed:
    """Read an RSS 2.0 podcast feed; FetchError naming `url` when it is not one."""
    feed = Feed(url)
    depth_tags: list[tuple[str, str]] = []
    item: FeedItem | None = None
    try:
        for event, elem in SafeET.iterparse(str(path), events=("start", "end"), forbid_dtd=True):
            ns, name = _local(elem.tag)
            if event == "start":
                if not depth_tags and name not in ("rss", "RDF"):
                    raise FetchError(url, f"not a podcast feed: the document is <{name}>, expected <rss>")
                depth_tags.append((ns, name))
                if name == "item" and not ns:
                    item = FeedItem(guid="", position=len(feed.items))
                continue
            depth_tags.pop()
            parent = depth_tags[-1][1] if depth_tags else ""
            if item is not None and name == "item" and not ns:
                _finish_item(item)
                feed.items.append(item)
                item = None
                elem.clear()
            elif item is not None:
                _item_field(item, ns, name, elem)
            elif parent == "channel":
                _channel_field(feed, ns, name, elem)
                if name != "item":
                    elem.clear()
    except (ET.ParseError, DefusedXmlException) as exc:
        what = "a DTD or entity declaration (refused)" if isinstance(exc, DefusedXmlException) else str(exc)
        raise FetchError(url, f"not a readable feed: {what}") from exc
    if not feed.items:
        raise FetchError(url, "the feed has no items")
    return feed


def _text(elem: ET.Element) -> str:
    return " ".join((elem.text or "").split())


def _channel_field(feed: Feed, ns: str, name: str, elem: ET.Element) -> None:
    if not ns and name == "title":
        feed.title = _text(elem)
    elif not ns and name == "link":
        feed.link = _text(elem) or None
    elif ns == ITUNES_NS and name == "author":
        feed.author = _text(elem) or None
    elif ns in PODCAST_NS and name == "person":
        feed.persons.append(_person(elem))


def _item_field(item: FeedItem, ns: str, name: str, elem: ET.Element) -> None:
    if not ns:
        if name == "title":
            item.title = _text(elem)
        elif name == "guid":
            item.guid = _text(elem)
        elif name == "link":
            item.link = _text(elem) or None
        elif name == "pubDate":
            _set_date(item, _text(elem))
        elif name == "enclosure" and elem.get("url"):
            item.enclosure = elem.get("url", "").strip()
            item.enclosure_type = elem.get("type", "")
            item.enclosure_length = _int(elem.get("length"))
    elif ns == ITUNES_NS:
        if name == "duration":
            item.duration = _duration(_text(elem))
        elif name == "episode" and item.number is None:
            item.number = _int(_text(elem))
    elif ns in PODCAST_NS:
        if name == "transcript" and elem.get("url"):
            item.transcripts.append(TranscriptLink(elem.get("url", "").strip(), elem.get("type", ""),
                                                   elem.get("language", ""), elem.get("rel", "")))
        elif name == "chapters" and elem.get("url"):
            item.chapters = elem.get("url", "").strip()
        elif name == "person" and _text(elem):
            item.persons.append(_person(elem))
        elif name == "episode":
            number = _text(elem)
            if re.fullmatch(r"\d+(?:\.0+)?", number):
                item.number = int(float(number))


def _finish_item(item: FeedItem) -> None:
    item.guid = item.guid or item.enclosure or item.link or item.title


def _person(elem: ET.Element) -> Person:
    return Person(_text(elem), (elem.get("role") or "host").strip().lower(), (elem.get("group") or "").strip())


def _set_date(item: FeedItem, value: str) -> None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return
    item.published = when.date().isoformat()
    item.timestamp = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _duration(value: str) -> float | None:
    """itunes:duration: seconds, MM:SS or HH:MM:SS."""
    parts = value.split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if not 1 <= len(numbers) <= 3 or any(n < 0 for n in numbers):
        return None
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds


def _int(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value else None
    except ValueError:
        return None
