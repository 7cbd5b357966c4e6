"""What a file is, from its bytes alone (servers and feeds mislabel content)."""

from __future__ import annotations

import json

import pytest

from rag.fetch.sniff import is_media, sniff_bytes, sniff_file
from tests.fetch_data import BREAD, json3, pc20_json, rss, srt, timed_text, vtt


@pytest.mark.parametrize("head, media", [
    (b"ID3\x04\x00\x00\x00\x00", True), (b"\xff\xfb\x90\x64", True), (b"\xff\xf1\x50\x80", True),  # mp3, AAC ADTS
    (b"\x00\x00\x00\x20ftypM4A ", True), (b"OggS\x00\x02", True), (b"RIFF\x24\x08\x00\x00WAVEfmt ", True),
    (b"fLaC\x00\x00", True), (b"\x1aE\xdf\xa3\x01", True), (b"FORM\x00\x00\x00\x00AIFF", True),
    (b"\xff\xfeW\x00E\x00", False),  # UTF-16 text, not an MPEG frame
    (b"WEBVTT\n\n", False), (b"<rss ", False), (b"", False),
])
def test_audio_and_video_by_magic_number(head, media):
    assert is_media(head) is media


@pytest.mark.parametrize("body, kind", [
    (vtt(BREAD), "vtt"), ("\ufeffWEBVTT - with a BOM\n", "vtt"), (srt(BREAD), "srt"),
    (srt(BREAD).replace(",", "."), "srt"), (timed_text(BREAD), "text"),
    (rss([{"guid": "a"}]), "feed"),
    ('<?xml version="1.0"?>\n<!-- generator -->\n<rss version="2.0"><channel/></rss>', "feed"),
    ('<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "atom"),
    ("<!DOCTYPE html>\n<html><body>x</body></html>", "html"), ("<html lang=en><p>x", "html"),
    ('<tt xmlns="http://www.w3.org/ns/ttml"></tt>', "xml"), ("   \n\t", "empty"), ("\x00\x01\x02\x03" * 50, "binary"),
])
def test_text_kinds(body, kind):
    assert sniff_bytes(body.encode("utf-8")) == kind


def test_utf16_text_is_text():
    assert sniff_bytes(vtt(BREAD).encode("utf-16")) == "vtt"


@pytest.mark.parametrize("body, kind", [
    (pc20_json(BREAD), "json-transcript"), (json.dumps({"version": "1.2.0", "chapters": []}), "json-chapters"),
    (json3(BREAD), "json3"), (json.dumps({"id": "x", "extractor": "youtube", "webpage_url": "u", "chapters": []}),
                              "ytdlp-info"),
    ('{"hello": 1}', "json"), ("[1, 2]", "json"), ('{"broken": ', "text"),
])
def test_json_kinds_are_told_apart_by_reading_them(tmp_path, body, kind):
    path = tmp_path / "x"
    path.write_text(body)
    assert sniff_file(path) == kind
