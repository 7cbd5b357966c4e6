"""Fetched episodes on disk: one folder per episode under PODRAG_FETCHED (default data/fetched), with what was
downloaded and where it came from, so that re-ingest and `doctor` work offline and a user can see exactly what
was fetched.

    data/fetched/<id>/episode.json          metadata read from the source
    data/fetched/<id>/transcript.<ext>      the transcript as downloaded (or converted: captions, Whisper)
    data/fetched/<id>/chapters.json         Podcasting 2.0 chapters, when the source has chapters
    data/fetched/<id>/.fetch/provenance.json  every file's URL, fetch time, validators, size, SHA-256
    data/fetched/<id>/.fetch/...            raw files that were converted (caption json3, the video's info)

The ingest ignores dot-folders, so `.fetch/` is never parsed. A draft is written in a hidden folder beside the
others, checked by the real parsers, and only then swapped in (the previous version is kept until the ingest
succeeded): nothing half-written is ever visible.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import PodragError
from rag.fetch.errors import FetchError
from rag.fetch.http import Download, now
from rag.models import Episode
from rag.sources import EpisodeSources, load_episode
from rag.sources.ids import id_problem
from rag.uploads import StagedUpload, slugify

FETCH_DIR = ".fetch"
PROVENANCE = "provenance.json"


def derive_id(*, podcast: str | None = None, number: int | str | None = None, title: str | None = None,
              fallback: str = "") -> str:
    """The id of a fetched episode: `<podcast>-<number>` when both are known (lexfridman.com pages give
    'lex-fridman-459', matching the shared corpus), else the title's slug, else `fallback`'s."""
    if podcast and number not in (None, ""):
        candidate = f"{slugify(podcast)[:60]}-{number}".strip("-")
    else:
        candidate = slugify(title or "")[:80] or slugify(fallback)[:80]
    candidate = candidate.strip("-.")
    if not candidate:
        raise FetchError(fallback or "source", "cannot name the episode: give it an id with --id")
    return candidate


@dataclass
class Draft:
    """An episode folder being written; `publish()` makes it the episode's folder, `discard()` forgets it."""

    root: Path
    episode_id: str
    source: str  # what the user gave: URL or path
    kind: str  # page, feed, video, audio, file
    path: Path = field(init=False)
    files: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # e.g. the feed and item guid
    committed: bool = False  # set once the episode is indexed

    def __post_init__(self) -> None:
        # The one id rule (rag/sources/ids.py), for derived ids and --id alike: the id names a folder here.
        if problem := id_problem(self.episode_id):
            raise FetchError(self.source, problem)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / f".new-{self.episode_id}-{uuid.uuid4().hex[:8]}"
        (self.path / FETCH_DIR).mkdir(parents=True)

    def file(self, name: str) -> Path:
        return self.path / name

    def record(self, name: str, download: Download | None, role: str, derived_from: str | None = None,
               **extra) -> None:
        """Note where a file of the draft came from (a download, or `derived_from` another file)."""
        entry = {"name": name, "role": role, **(download.provenance() if download else {})}
        if derived_from:
            entry["derived_from"] = derived_from
        path = self.file(name)
        if not download and path.is_file():
            entry |= {"size": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        self.files.append(entry | extra)

    def write_json(self, name: str, data: object) -> Path:
        path = self.file(name)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        return path

    def write_meta(self, meta: dict) -> None:
        """episode.json: only the fields the ingest knows, without empty values."""
        allowed = ("podcast", "number", "title", "host", "guests", "published", "video_url", "audio_url",
                   "transcript_url")
        data = {"id": self.episode_id, **{k: meta[k] for k in allowed if meta.get(k) not in (None, "", [])}}
        self.write_json("episode.json", data)
        self.record("episode.json", None, "metadata")

    def check(self) -> Episode:
        """Parse the draft as the ingest will; a parser error becomes one line naming the source."""
        files = sorted(p for p in self.path.iterdir() if p.is_file())
        try:
            return load_episode(EpisodeSources(self.episode_id, [self.path], files))
        except PodragError as exc:
            message = str(exc).replace(str(self.path) + "/", "")
            raise FetchError(self.source, f"not usable: {message}") from exc

    def publish(self) -> StagedUpload:
        """Write provenance.json and swap the draft in as `root/<id>/`; keep the previous folder until commit."""
        self.write_json(f"{FETCH_DIR}/{PROVENANCE}", {
            "episode_id": self.episode_id, "source": self.source, "kind": self.kind, "added_at": now(),
            "files": self.files, "notes": self.notes, **self.extra,
        })
        target = self.root / self.episode_id
        previous = None
        if target.exists():
            previous = self.root / f".old-{self.episode_id}-{uuid.uuid4().hex[:8]}"
            target.rename(previous)
        self.path.rename(target)
        return StagedUpload(self.episode_id, target, previous)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def read_provenance(folder: Path) -> dict | None:
    """The provenance record of a fetched episode folder, or None when it has none (or it is unreadable)."""
    try:
        data = json.loads((folder / FETCH_DIR / PROVENANCE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
