"""Downloads against a real HTTP server on 127.0.0.1: validators and 304, errors, redirects, size caps, slow, hung
and lying servers. Each failure is one line naming the URL, and nothing is left on disk."""

from __future__ import annotations

import time

import pytest

from rag.fetch.errors import FetchError
from rag.fetch.guard import AddressGuard
from rag.fetch.http import Downloader
from rag.settings import Settings
from tests.fetch_server import FetchServer, Route

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 400


@pytest.fixture
def server():
    with FetchServer() as s:
        yield s


def downloader(**settings) -> Downloader:
    # The CLI's downloader: 127.0.0.1 is allowed (the app's guard is tested in test_fetch_guard.py).
    return Downloader(Settings(_env_file=None, **settings), AddressGuard(allow_private=True))


def test_a_download_records_where_it_came_from_and_a_304_sends_nothing(server, tmp_path):
    url = server.file("/t.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n", "text/vtt")
    with downloader() as d:
        got = d.get(url, tmp_path / "t.vtt")
        assert got.status == 200 and got.path.read_text().startswith("WEBVTT")
        assert got.etag and got.last_modified and got.size == 38 and len(got.sha256) == 64 and got.fetched_at
        again = d.get(url, tmp_path / "again.vtt", etag=got.etag, last_modified=got.last_modified)
    assert again.not_modified and again.path is None and not (tmp_path / "again.vtt").exists()
    assert server.hits[-1].headers["If-None-Match"] == got.etag and server.downloads("/t.vtt") == 1


@pytest.mark.parametrize("status, expected", [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error"),
                                              (403, "HTTP 403 Forbidden")])
def test_http_errors_are_one_line_naming_the_url(server, tmp_path, status, expected):
    url = server.route("/x", Route(b"nope", "text/plain", status))
    with downloader() as d, pytest.raises(FetchError) as err:
        d.get(url, tmp_path / "x")
    assert str(err.value) == f"{url}: {expected}"
    assert not (tmp_path / "x").exists()


def test_five_redirects_are_followed_and_a_sixth_is_refused(server, tmp_path):
    server.file("/end", "WEBVTT\n")
    for i in range(6):
        server.route(f"/r{i}", Route(status=302, headers={"Location": f"/r{i + 1}" if i < 5 else "/end"}))
    with downloader() as d:
        assert d.get(server.url("/r1"), tmp_path / "a").final_url == server.url("/end")  # 5 redirects
        with pytest.raises(FetchError, match="more than 5 redirects"):
            d.get(server.url("/r0"), tmp_path / "b")  # 6


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)"])
def test_a_redirect_to_another_scheme_is_refused(server, tmp_path, location):
    url = server.route("/r", Route(status=301, headers={"Location": location}))
    with downloader() as d, pytest.raises(FetchError, match="expected an http:// or https:// URL"):
        d.get(url, tmp_path / "x")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed.xml", "gopher://x", "//x"])
def test_only_http_and_https_are_fetched(tmp_path, url):
    with downloader() as d, pytest.raises(FetchError, match="expected an http:// or https:// URL"):
        d.get(url, tmp_path / "x")


def test_a_hung_server_times_out(server, tmp_path):
    hung = server.route("/hung", Route(b"WEBVTT\n" * 100, "text/vtt", mode="hang"))
    silent = server.route("/silent", Route(b"x", mode="hang-headers"))
    with downloader(fetch_timeout=1) as d:
        for url in (hung, silent):
            t0 = time.monotonic()
            with pytest.raises(FetchError, match="timed out: the server stopped answering"):
                d.get(url, tmp_path / "x")
            assert time.monotonic() - t0 < 5
            assert not (tmp_path / "x").exists()


def test_a_slow_server_hits_the_deadline(server, tmp_path):
    url = server.route("/drip", Route(b"WEBVTT\n" + b"a" * 2000, "text/vtt", mode="drip", delay=0.05))
    with downloader(fetch_timeout=5, fetch_deadline=1.5) as d, pytest.raises(FetchError, match="too slow") as err:
        d.get(url, tmp_path / "x")
    assert "PODRAG_FETCH_DEADLINE" in str(err.value)


def test_an_endless_response_stops_at_the_size_cap(server, tmp_path):
    url = server.route("/endless", Route(b"<rss>" + b"x" * 65531, "application/rss+xml", mode="endless"))
    with downloader(fetch_max_mb=1) as d, pytest.raises(FetchError) as err:
        d.get(url, tmp_path / "x")
    assert "larger than the 1.0 MB limit" in str(err.value) and "PODRAG_FETCH_MAX_MB" in str(err.value)
    assert not (tmp_path / "x").exists()


def test_a_500_mb_audio_file_is_refused_from_its_announced_length(server, tmp_path):
    url = server.route("/big.mp3", Route(MP3, "audio/mpeg", length=500 * 1024 * 1024, mode="short"))
    with downloader(audio_max_mb=200) as d, pytest.raises(FetchError) as err:
        d.get(url, tmp_path / "x.mp3", media=True)
    assert str(err.value) == f"{url}: 500.0 MB is over the 200.0 MB limit (PODRAG_AUDIO_MAX_MB); nothing was saved"


def test_audio_gets_the_audio_limit_and_text_the_text_limit(server, tmp_path):
    audio = server.file("/a.mp3", MP3 * 400, "text/html")  # 640 KB of "audio" served as HTML
    page = server.file("/p", b"<html>" + b"x" * 700_000, "audio/mpeg")  # 700 KB of HTML served as audio
    with downloader(fetch_max_mb=0.5, audio_max_mb=5) as d:
        got = d.get(audio, tmp_path / "a", media=None)
        assert got.media and got.size == len(MP3) * 400
        with pytest.raises(FetchError, match=r"0.7 MB is over the 0.5 MB limit \(PODRAG_FETCH_MAX_MB\)"):
            d.get(page, tmp_path / "p", media=None)


def test_a_server_lying_about_the_length_is_caught(server, tmp_path):
    url = server.route("/short", Route(b"WEBVTT\n\nshort", "text/vtt", length=5000, mode="short"))
    with downloader() as d, pytest.raises(FetchError, match="broke off the response"):
        d.get(url, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_audio_where_a_transcript_was_expected_and_the_reverse(server, tmp_path):
    audio = server.file("/a", MP3, "text/vtt")
    text = server.file("/t", "WEBVTT\n", "audio/mpeg")
    with downloader() as d:
        with pytest.raises(FetchError, match="found audio or video where a page, feed or transcript was expected"):
            d.get(audio, tmp_path / "a")
        with pytest.raises(FetchError, match="not audio"):
            d.get(text, tmp_path / "t", media=True)


def test_an_empty_response_and_a_closed_port(server, tmp_path):
    empty = server.file("/empty", b"")
    with downloader() as d:
        with pytest.raises(FetchError, match="empty response"):
            d.get(empty, tmp_path / "e")
        with pytest.raises(FetchError, match="cannot connect") as err:
            d.get("http://127.0.0.1:9/x", tmp_path / "c")
    assert err.value.network


def test_mirrors_fetch_from_the_replacement_and_keep_the_public_url(server, tmp_path):
    server.file("/episode-transcript", "WEBVTT\n")
    with downloader(fetch_mirrors=f"https://podcasts.example={server.url('')}") as d:
        got = d.get("https://podcasts.example/episode-transcript", tmp_path / "x")
    assert got.url == "https://podcasts.example/episode-transcript"
    assert got.provenance()["fetched_from"] == server.url("/episode-transcript")
