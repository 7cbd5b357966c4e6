"""What every builder of a fetched episode needs: the settings, the downloader, where episodes live, progress,
and what an earlier fetch of the same URL left (its validators and file), so nothing is downloaded twice."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.fetch.folder import read_provenance
from rag.fetch.http import Download, Downloader
from rag.settings import Settings

Progress = Callable[[int, int, str], None]


@dataclass
class Context:
    settings: Settings
    downloader: Downloader
    root: Path  # PODRAG_FETCHED
    guarded: bool  # the app: no local files, no generic video extractor
    progress: Progress | None = None
    _known: dict[str, tuple[Path, dict]] | None = field(default=None, repr=False)

    def report(self, done: int, total: int, label: str) -> None:
        if self.progress:
            self.progress(done, total, label)

    def known(self, url: str) -> tuple[Path, dict] | None:
        """(folder, file entry) of what an earlier fetch got from `url` (the file itself may not be kept: audio)."""
        if self._known is None:
            self._known = {}
            for folder in sorted(self.root.glob("*/")) if self.root.is_dir() else []:
                for entry in (read_provenance(folder) or {}).get("files", []):
                    if entry.get("url"):
                        self._known.setdefault(entry["url"], (folder, entry))
        return self._known.get(url)

    def previous_source(self, source: str) -> Path | None:
        """The folder an earlier `add` of the same source made."""
        for folder in sorted(self.root.glob("*/")) if self.root.is_dir() else []:
            if (read_provenance(folder) or {}).get("source") == source:
                return folder
        return None

    def get(self, url: str, dest: Path, *, media: bool | None = False, label: str | None = None) -> Download:
        """Download `url` to `dest`; when an earlier fetch kept it with validators and the server says it has
        not changed (304), the kept copy is used instead (its provenance says when it was fetched)."""
        known = self.known(url)
        if known and not (known[0] / known[1]["name"]).is_file():
            known = None
        etag = last_modified = None
        if known and (known[1].get("etag") or known[1].get("last_modified")):
            etag, last_modified = known[1].get("etag"), known[1].get("last_modified")
        progress = (lambda done, total, _: self.report(done, total, label or "downloading")) if self.progress else None
        download = self.downloader.get(url, dest, etag=etag, last_modified=last_modified, media=media,
                                       progress=progress)
        if download.not_modified and known:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(known[0] / known[1]["name"], dest)
            entry = known[1]
            download = Download(url, entry.get("fetched_from") or url, 304, dest, entry.get("content_type"),
                                entry.get("etag"), entry.get("last_modified"), entry.get("size", 0),
                                entry.get("sha256", ""), entry.get("fetched_at", ""))
        elif download.not_modified:  # validators we did not send: treat as a plain download
            download = self.downloader.get(url, dest, media=media, progress=progress)
        return download
