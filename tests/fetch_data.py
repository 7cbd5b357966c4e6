"""Small made-up episodes in every transcript format a feed may offer, lexfridman.com-style pages, and RSS feeds
(either Podcasting 2.0 namespace URI), written by the tests."""

from __future__ import annotations

import json
from html import escape
from xml.sax.saxutils import quoteattr

NEW_NS = "https://podcastindex.org/namespace/1.0"
OLD_NS = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"

Cue = tuple[float, float, str, str]  # start, end, speaker, text

BREAD: list[Cue] = [
    (0.0, 6.0, "Ana Silva", "Welcome to Bread Talk, the show about baking at home."),
    (6.0, 15.0, "Ben Ortiz", "Today we talk about sourdough starters and a long cold fermentation."),
    (15.0, 27.0, "Ana Silva", "Our starter is twelve years old and we feed it rye flour every morning at four."),
    (27.0, 40.0, "Ben Ortiz", "The dough rests thirty six hours in the fridge before it is baked in a cast iron pot."),
]


def episode(topic: str) -> list[Cue]:
    """Another short conversation, about `topic` (so search can tell episodes apart)."""
    return [
        (0.0, 8.0, "Ana Silva", f"This week is all about {topic}, a listener favourite."),
        (8.0, 20.0, "Ben Ortiz", f"I tried {topic} three times before it worked, and the third time was magic."),
        (20.0, 31.0, "Ana Silva", f"The trick with {topic} is patience and a very hot oven."),
    ]


def clock(t: float, sep: str = ".") -> str:
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}".replace(".", sep)


def vtt(cues: list[Cue]) -> str:
    return "WEBVTT\n\n" + "".join(f"{i}\n{clock(a)} --> {clock(b)}\n<v {who}>{escape(text)}</v>\n\n"
                                  for i, (a, b, who, text) in enumerate(cues, 1))


def srt(cues: list[Cue]) -> str:
    return "".join(f"{i}\n{clock(a, ',')} --> {clock(b, ',')}\n{who}: {text}\n\n"
                   for i, (a, b, who, text) in enumerate(cues, 1))


def pc20_json(cues: list[Cue], speakers: bool = True) -> str:
    return json.dumps({"version": "1.0.0", "segments": [
        {"startTime": a, "endTime": b, "body": text, **({"speaker": who} if speakers else {})}
        for a, b, who, text in cues]})


def timed_text(cues: list[Cue]) -> str:
    return "".join(f"{who} ({clock(a)[:8]}) {text}\n" for a, _, who, text in cues)


def untimed_text(cues: list[Cue]) -> str:
    return "\n\n".join(text for *_, text in cues) + "\n"


def json3(cues: list[Cue], automatic: bool = False) -> str:
    """YouTube json3 captions as yt-dlp downloads them: a window event, caption events (automatic ones word by word
    with tOffsetMs, separated by newline events)."""
    events = [{"tStartMs": 0, "dDurationMs": int(cues[-1][1] * 1000), "id": 1, "wpWinPosId": 1, "wsWinStyleId": 1}]
    for a, b, who, text in cues:
        if automatic:
            words = text.split()
            step = int((b - a) * 1000 / len(words))
            segs = [{"utf8": (" " if i else "") + w, **({"tOffsetMs": i * step, "acAsrConf": 0} if i else {})}
                    for i, w in enumerate(words)]
            events.append({"tStartMs": int(a * 1000), "dDurationMs": int((b - a) * 1000), "wWinId": 1, "segs": segs})
            events.append({"tStartMs": int(b * 1000) - 10, "dDurationMs": 10, "wWinId": 1, "aAppend": 1,
                           "segs": [{"utf8": "\n"}]})
        else:
            events.append({"tStartMs": int(a * 1000), "dDurationMs": int((b - a) * 1000),
                           "segs": [{"utf8": f"{who}: {text}"}]})
    return json.dumps({"wireMagic": "pb3", "pens": [{}], "wsWinStyles": [{}], "wpWinPositions": [{}],
                       "events": events})


def lex_page(cues: list[Cue], *, title: str, number: int, guests: list[str], published: str, video_id: str,
             chapters: list[tuple[float, str]] = (), canonical: str = "https://lexfridman.com/x-transcript/") -> str:
    """A page marked up like lexfridman.com's transcript pages (head meta, YouTube link, ts-segment turns)."""
    guest_text = " and ".join(guests)
    head = (f"<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<meta charset=\"UTF-8\" />\n"
            f"<title>Transcript for {escape(title)} | Lex Fridman Podcast #{number} - Lex Fridman</title>\n"
            f"<link rel=\"canonical\" href=\"{canonical}\" />\n"
            f"<meta property=\"og:title\" content=\"Transcript for {escape(title)} | Lex Fridman Podcast #{number} "
            f"- Lex Fridman\" />\n"
            f"<meta property=\"og:description\" content=\"This is a transcript of Lex Fridman Podcast #{number} with "
            f"{escape(guest_text)}. The timestamps in the transcript are clickable links.\" />\n"
            f"<meta property=\"og:site_name\" content=\"Lex Fridman\" />\n"
            f"<meta property=\"article:published_time\" content=\"{published}T16:14:41+00:00\" />\n"
            f"<meta name=\"author\" content=\"Lex Fridman\" />\n</head>\n<body>\n"
            f"<ul><li>Watch the <a href=\"https://youtube.com/watch?v={video_id}\">full YouTube version of the podcast"
            f"</a></li></ul>\n")
    body, pending = [], list(chapters)
    for a, _, who, text in cues:
        while pending and pending[0][0] <= a:
            t = pending.pop(0)[1]
            body.append(f"<h2 id=\"chapter{len(body)}_{t.lower().replace(' ', '_')}\"><span>{escape(t)}</span></h2>")
        body.append(
            f"<div class=\"ts-segment\">\n<span class=\"ts-name\">{escape(who)}</span>\n"
            f"<span class=\"ts-timestamp\"><a href=\"https://youtube.com/watch?v={video_id}&#038;t={int(a)}\">"
            f"({clock(a)[:8]})</a> </span>\n<span class=\"ts-text\">{escape(text)}</span>\n</div>")
    return head + "\n".join(body) + "\n</body>\n</html>\n"


def rss(items: list[dict], *, title: str = "Bread Talk", ns: str = NEW_NS, persons: list[tuple[str, str]] = ()) -> str:
    """An RSS 2.0 feed. Item keys: guid, title, number, date (RFC 822), enclosure, duration, transcripts
    [(url, type)], chapters (url), persons [(name, role)], episode_tag ("itunes" or "podcast")."""
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
           f'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="{ns}">\n<channel>\n'
           f"<title>{escape(title)}</title>\n<link>https://bread.example/</link>\n"
           f"<itunes:author>Ana Silva</itunes:author>\n"]
    out += [f"<podcast:person role={quoteattr(role)}>{escape(name)}</podcast:person>\n" for name, role in persons]
    for it in items:
        out.append("<item>\n")
        if "title" in it:
            out.append(f"<title>{escape(it['title'])}</title>\n")
        if "guid" in it:
            out.append(f"<guid isPermaLink=\"false\">{escape(it['guid'])}</guid>\n")
        if "date" in it:
            out.append(f"<pubDate>{it['date']}</pubDate>\n")
        if "number" in it:
            tag = "podcast:episode" if it.get("episode_tag") == "podcast" else "itunes:episode"
            out.append(f"<{tag}>{it['number']}</{tag}>\n")
        if "duration" in it:
            out.append(f"<itunes:duration>{it['duration']}</itunes:duration>\n")
        if "enclosure" in it:
            out.append(f"<enclosure url={quoteattr(it['enclosure'])} type=\"audio/mpeg\" length=\"1234\"/>\n")
        for url, kind in it.get("transcripts", []):
            out.append(f"<podcast:transcript url={quoteattr(url)} type={quoteattr(kind)} language=\"en\"/>\n")
        if "chapters" in it:
            out.append(f"<podcast:chapters url={quoteattr(it['chapters'])} type=\"application/json+chapters\"/>\n")
        for name, role in it.get("persons", []):
            out.append(f"<podcast:person role={quoteattr(role)}>{escape(name)}</podcast:person>\n")
        out.append("<description><![CDATA[<p>Show notes with <b>HTML</b>.</p>]]></description>\n</item>\n")
    out.append("</channel>\n</rss>\n")
    return "".join(out)


def chapters_json(chapters: list[tuple[float, str]]) -> str:
    return json.dumps({"version": "1.2.0", "chapters": [{"startTime": t, "title": x} for t, x in chapters]})
