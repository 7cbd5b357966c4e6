"""Downloading one URL to a file, within limits: http(s) only, at most 5 redirects, a timeout while waiting for
the server and a deadline for the whole download, a size cap checked against what the server announces and
against what it really sends, conditional GET (ETag / Last-Modified), and the address guard of rag.fetch.guard
on every hop. The body streams to disk in chunks, so a 500 MB file or an endless response costs no memory.

Whether a response is a page or audio (and so which limits apply) is decided from its first bytes, not from its
Content-Type, which servers get wrong.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import httpx

from rag.fetch.errors import FetchError
from rag.fetch.guard import AddressGuard, split_url
from rag.fetch.sniff import HEAD_BYTES, is_media
from rag.settings import Settings

MAX_REDIRECTS = 5
USER_AGENT = "podcast-rag/0.1 (+https://github.com/podcast-rag)"
_REDIRECTS = {301, 302, 303, 307, 308}

ByteProgress = Callable[[int, int, str], None]  # (bytes so far, total or 0, label)


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    deadline: float  # seconds for the whole download
    setting: str  # the variable that raises the limit, for messages


@dataclass
class Download:
    """One response: where it came from, what the server said about it, and where its body is on disk."""

    url: str  # the URL asked for
    final_url: str  # where the body came from (after mirrors and redirects)
    status: int  # 200, or 304 when the validators sent still match
    path: Path | None  # None when not modified
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    size: int = 0
    sha256: str = ""
    fetched_at: str = ""
    media: bool = False  # the first bytes are audio or video

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def provenance(self) -> dict:
        return {"url": self.url, "fetched_from": self.final_url if self.final_url != self.url else None,
                "fetched_at": self.fetched_at, "etag": self.etag, "last_modified": self.last_modified,
                "content_type": self.content_type, "size": self.size, "sha256": self.sha256}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Downloader:
    """Fetches URLs for `add` and `sync`. Pages, feeds and transcripts get the text limits (PODRAG_FETCH_MAX_MB,
    PODRAG_FETCH_DEADLINE); a body whose first bytes are audio or video gets the audio limits."""

    def __init__(self, settings: Settings, guard: AddressGuard):
        self.settings = settings
        self.guard = guard
        mb = 1024 * 1024
        self.text = Limits(int(settings.fetch_max_mb * mb), settings.fetch_deadline, "PODRAG_FETCH_MAX_MB")
        self.audio = Limits(int(settings.audio_max_mb * mb), settings.audio_deadline, "PODRAG_AUDIO_MAX_MB")
        # Without the guard, proxies from the environment apply (a corporate proxy); with it they could not
        # be pinned to a checked address, so they are ignored.
        self.client = httpx.Client(
            follow_redirects=False, timeout=httpx.Timeout(settings.fetch_timeout), trust_env=guard.allow_private,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def mirrored(self, url: str) -> str:
        for prefix, replacement in self.settings.mirrors():
            if url.startswith(prefix):
                return replacement + url[len(prefix):]
        return url

    def get(self, url: str, dest: Path, *, etag: str | None = None, last_modified: str | None = None,
            media: bool | None = False, progress: ByteProgress | None = None) -> Download:
        """Download `url` to `dest` (nothing is left at `dest` on failure).

        `media`: False for a text document (audio is refused), True for audio (text is refused), None to accept
        either. With `etag` / `last_modified`, a server that answers 304 leaves `dest` alone.
        """
        split_url(url)
        started = time.monotonic()
        target = self.mirrored(url)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(url, target, etag, last_modified)
            if response.status_code in _REDIRECTS and "location" in response.headers:
                response.close()
                target = urljoin(target, response.headers["location"])
                split_url(target)  # a redirect to file:, ftp: or javascript: stops here
                continue
            try:
                return self._receive(url, target, response, dest, started, media, progress)
            finally:
                response.close()
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects (last to {target})")

    def _send(self, url: str, target: str, etag: str | None, last_modified: str | None) -> httpx.Response:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        request_url, extensions = httpx.URL(target), {}
        pinned = self.guard.pin(target)
        if pinned is not None and not pinned.literal:
            # Connect to the address that was checked; the Host header and TLS (SNI, certificate) keep the name.
            default = 443 if request_url.scheme == "https" else 80
            headers["Host"] = pinned.host if pinned.port == default else f"{pinned.host}:{pinned.port}"
            request_url = request_url.copy_with(host=pinned.address)
            if request_url.scheme == "https":
                extensions["sni_hostname"] = pinned.host
        try:
            request = self.client.build_request("GET", request_url, headers=headers, extensions=extensions)
            return self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _describe(url if target == url else f"{url} (from {target})", exc) from exc
        except httpx.InvalidURL as exc:  # httpx reads a redirect's Location even when not following it
            raise FetchError(url, f"the server redirected to an unusable address: expected an http:// or "
                                  f"https:// URL ({exc})") from exc

    def _receive(self, url: str, target: str, response: httpx.Response, dest: Path, started: float,
                 media: bool | None, progress: ByteProgress | None) -> Download:
        where = url if target == url else f"{url} (from {target})"
        headers = response.headers
        found = Download(url, target, response.status_code, None, headers.get("content-type"),
                         headers.get("etag"), headers.get("last-modified"), fetched_at=now())
        if response.status_code == 304:
            return found
        if response.status_code >= 400 or response.status_code != 200:
            raise FetchError(where, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
        announced = _int(headers.get("content-length"))
        if announced is not None and announced > max(self.text.max_bytes, self.audio.max_bytes):
            limits = self.audio if self.audio.max_bytes >= self.text.max_bytes else self.text
            raise FetchError(where, f"{_mb(announced)} is over the {_mb(limits.max_bytes)} limit "
                                    f"({limits.setting}); nothing was saved")
        digest, size, head, limits = hashlib.sha256(), 0, b"", None
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with dest.open("wb") as out:
                # The first bytes are held back until they tell audio from text (and so which limits apply);
                # an empty chunk after the loop flushes a body shorter than that.
                for chunk in itertools.chain(response.iter_bytes(), [b""]):
                    if limits is None:
                        head += chunk
                        self._check_time(where, size + len(head), started, self.text)
                        if len(head) < HEAD_BYTES and chunk:
                            continue
                        found.media = is_media(head)
                        limits = self._limits(where, found.media, media, announced)
                        chunk, head = head, b""
                    size += len(chunk)
                    if size > limits.max_bytes:
                        raise FetchError(where, f"larger than the {_mb(limits.max_bytes)} limit: stopped at "
                                                f"{_mb(size)} ({limits.setting})")
                    self._check_time(where, size, started, limits)
                    digest.update(chunk)
                    out.write(chunk)
                    if progress and chunk:
                        progress(size, announced or 0, url)
        except httpx.HTTPError as exc:
            dest.unlink(missing_ok=True)
            raise _describe(where, exc) from exc
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        if size == 0:
            dest.unlink(missing_ok=True)
            raise FetchError(where, "the server sent an empty response")
        found.path, found.size, found.sha256 = dest, size, digest.hexdigest()
        return found

    @staticmethod
    def _check_time(where: str, size: int, started: float, limits: Limits) -> None:
        if time.monotonic() - started > limits.deadline:
            setting = "PODRAG_AUDIO_DEADLINE" if limits.setting == "PODRAG_AUDIO_MAX_MB" else "PODRAG_FETCH_DEADLINE"
            raise FetchError(where, f"too slow: {_mb(size)} in {limits.deadline:g} s, the limit for one download "
                                    f"({setting})")

    def _limits(self, where: str, is_audio: bool, wanted: bool | None, announced: int | None) -> Limits:
        if wanted is False and is_audio:
            raise FetchError(where, "found audio or video where a page, feed or transcript was expected")
        if wanted is True and not is_audio:
            raise FetchError(where, "not audio: expected an audio file (mp3, m4a, ogg, wav, ...)")
        limits = self.audio if is_audio else self.text
        if announced is not None and announced > limits.max_bytes:
            raise FetchError(where, f"{_mb(announced)} is over the {_mb(limits.max_bytes)} limit "
                                    f"({limits.setting}); nothing was saved")
        return limits


def _describe(where: str, exc: httpx.HTTPError) -> FetchError:
    """One line for what httpx raised."""
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchError(where, "timed out connecting to the server", network=True)
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(where, "timed out: the server stopped answering")
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc).split("] ")[-1] or "connection failed"
        return FetchError(where, f"cannot connect: {reason}", network=True)
    if isinstance(exc, httpx.RemoteProtocolError):
        return FetchError(where, f"the server broke off the response ({exc})")
    return FetchError(where, f"download failed: {exc}")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 100 * 1024 else f"{n / 1024:.0f} KB"
