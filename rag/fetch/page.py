"""Episode metadata from a transcript page (lexfridman.com and pages marked up like it): title, podcast and number,
host, guests, date, video link. The transcript and its chapters are read by rag.sources.lexfridman_html.

The page says most of it in its head: `<title>Transcript for TITLE | PODCAST #N - SITE</title>`, the description
"This is a transcript of PODCAST #N with GUEST and GUEST.", `article:published_time`, the canonical link, and a
"Watch the full YouTube version" link in the body.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from rag.sources.text import read_text

_NUMBERED = re.compile(r"^(?P<podcast>.+?)\s*#\s*(?P<number>\d+)\s*$")
_GUESTS = re.compile(r"\bwith\s+(?P<guests>[^.]+)\.")
_VIDEO_HOSTS = ("youtube.com", "www.youtube.com", "youtu.be", "m.youtube.com")


def page_metadata(path: Path, url: str) -> dict:
    """episode.json fields read from a transcript page (missing ones are left out)."""
    tree = LexborHTMLParser(read_text(path))
    meta = {name: _meta(tree, name) for name in ("og:title", "og:description", "og:site_name", "og:url",
                                                "article:published_time", "author")}
    site = meta["og:site_name"]
    raw_title = meta["og:title"] or (tree.css_first("title").text(strip=True) if tree.css_first("title") else "")
    title, podcast, number = _split_title(raw_title, site)
    out: dict = {"title": title, "podcast": podcast, "number": number, "host": meta["author"],
                 # The site's name (lexfridman.com: "Lex Fridman") names the episode: lex-fridman-459.
                 "site": site}
    if meta["og:description"] and (m := _GUESTS.search(meta["og:description"])):
        out["guests"] = [g.strip() for g in re.split(r",\s*(?:and\s+)?|\s+and\s+", m.group("guests")) if g.strip()]
    if published := meta["article:published_time"]:
        out["published"] = published[:10] if re.match(r"\d{4}-\d{2}-\d{2}", published) else None
    canonical = tree.css_first('link[rel="canonical"]')
    out["transcript_url"] = url or (canonical.attributes.get("href") if canonical else None) or meta["og:url"]
    out["video_url"] = _video_url(tree)
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def _meta(tree: LexborHTMLParser, name: str) -> str | None:
    node = tree.css_first(f'meta[property="{name}"]') or tree.css_first(f'meta[name="{name}"]')
    value = node.attributes.get("content") if node is not None else None
    return " ".join(value.split()) if value else None


def _split_title(raw: str, site: str | None) -> tuple[str | None, str | None, int | None]:
    """'Transcript for T | Lex Fridman Podcast #491 - Lex Fridman' -> (T, 'Lex Fridman Podcast', 491)."""
    title = " ".join(raw.split())
    if site and title.endswith(f" - {site}"):
        title = title[: -len(site) - 3]
    title = re.sub(r"^Transcript (?:for|of)\s+", "", title, flags=re.I)
    podcast = number = None
    if " | " in title:
        head, tail = title.rsplit(" | ", 1)
        if m := _NUMBERED.match(tail):
            title, podcast, number = head, m.group("podcast"), int(m.group("number"))
    return title.strip() or None, podcast, number


def _video_url(tree: LexborHTMLParser) -> str | None:
    """The page's link to the full video: the 'full YouTube version' link, else the first timestamp link (its
    `t=` removed), else an embedded player."""
    links = [a for a in tree.css("a[href]") if _is_video(a.attributes.get("href") or "")]
    for a in links:
        if "youtube version" in a.text().lower() or "full video" in a.text().lower():
            return a.attributes["href"]
    for a in tree.css(".ts-timestamp a[href]"):
        if _is_video(href := a.attributes.get("href") or ""):
            return _without_time(href)
    frame = tree.css_first('iframe[src*="youtube.com/embed/"]')
    if frame is not None:
        video_id = (frame.attributes.get("src") or "").split("/embed/")[-1].split("?")[0]
        return f"https://www.youtube.com/watch?v={video_id}" if video_id else None
    return _without_time(links[0].attributes["href"]) if links else None


def _is_video(href: str) -> bool:
    parts = urlsplit(href)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _VIDEO_HOSTS


def _without_time(href: str) -> str:
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "t"]
    return urlunsplit(parts._replace(query=urlencode(query)))
