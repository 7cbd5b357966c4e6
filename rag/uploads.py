"""Episodes added through the app: check the uploaded files, then write them as an episode folder.

Nothing is written until every check passed (id, file types, sizes, metadata). The folder is written beside the
current one and swapped in, so a failed ingest can put the previous files back (`StagedUpload.rollback`).
Files are saved under fixed names (transcript.<ext>, summary.<ext>, chapters.json, episode.json) so that the
parsers recognise them whatever they were called on the uploader's disk.

One upload at a time per uploads folder, from staging to commit or rollback (a lock on the folder, for threads and
processes alike): two uploads of one id would otherwise swap each other's folders, and one's rollback could delete
the other's files. `add_upload` runs the whole of it, and checks again inside the index's write lock that the id
is not an episode ingested from elsewhere.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rag.errors import PodragError
from rag.models import EpisodeRecord
from rag.settings import MB
from rag.sources.ids import id_problem

if TYPE_CHECKING:
    from rag.assistant import Assistant
    from rag.ingest import IngestReport, Progress

UploadKind = Literal["transcript", "summary", "chapters"]

ALLOWED_SUFFIXES: dict[UploadKind, tuple[str, ...]] = {
    "transcript": (".vtt", ".srt", ".html", ".htm", ".json", ".txt"),
    "summary": (".txt", ".md"),
    "chapters": (".json",),
}
_URL_FIELDS = ("video_url", "audio_url", "transcript_url")
_TEXT_FIELDS = ("podcast", "title", "host", "published", *_URL_FIELDS)


class UploadError(PodragError):
    """An upload was refused; the message says why, in one line."""


@dataclass(frozen=True)
class EpisodeForm:
    """The metadata typed into the app's form; empty strings mean 'not given'."""

    id: str = ""
    title: str = ""
    podcast: str = ""
    number: str = ""
    host: str = ""
    guests: str = ""  # comma-separated
    published: str = ""
    video_url: str = ""
    audio_url: str = ""
    transcript_url: str = ""


def slugify(text: str) -> str:
    """'Bread & Butter #12' -> 'bread-butter-12' (at most 80 characters)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-")


def check_episode_id(text: str) -> str:
    """The id (stripped) if it follows the id rule (rag/sources/ids.py), else `UploadError` saying why."""
    episode_id = text.strip()
    problem = id_problem(episode_id)
    if problem:
        raise UploadError(problem)
    return episode_id


def episode_json(form: EpisodeForm, episode_id: str) -> dict:
    """The episode.json for the form, checked the way the ingest will read it."""
    data: dict = {"id": episode_id}
    for name in _TEXT_FIELDS:
        value = getattr(form, name).strip()
        if value:
            data[name] = value
    for name in _URL_FIELDS:
        if name in data and not re.match(r"https?://[^\s]+$", data[name]):
            raise UploadError(f"{name.replace('_', ' ')} {data[name]!r}: expected an http:// or https:// address")
    if form.number.strip():
        if not form.number.strip().isdigit():
            raise UploadError(f"episode number {form.number!r}: expected a whole number such as 459")
        data["number"] = int(form.number.strip())
    guests = [g.strip() for g in form.guests.split(",") if g.strip()]
    if guests:
        data["guests"] = guests
    return data


class _FolderLock:
    """An exclusive lock on the uploads folder itself (flock on its descriptor), held from staging to commit or
    rollback; a second upload waits for it, up to `wait` seconds."""

    def __init__(self, folder: Path, wait: float):
        self.fd: int | None = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.release()
                    raise UploadError("another upload is still being indexed: try again when it is done") from None
                time.sleep(0.1)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = None


@dataclass
class StagedUpload:
    """An episode folder written from an upload; `commit` after a good ingest, `rollback` after a failed one.
    Either releases the uploads folder's lock."""

    episode_id: str
    folder: Path
    _previous: Path | None
    _lock: _FolderLock | None = field(default=None, repr=False)

    def commit(self) -> None:
        try:
            if self._previous is not None:
                shutil.rmtree(self._previous, ignore_errors=True)
                self._previous = None
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self._previous is not None:
                self._previous.rename(self.folder)
                self._previous = None
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def stage_upload(root: Path, form: EpisodeForm, files: Mapping[UploadKind, Path | None], max_bytes: int,
                 indexed: Mapping[str, EpisodeRecord], wait: float = 120.0) -> StagedUpload:
    """Check an upload and write it to `root/<episode id>/`, holding the uploads folder's lock until the returned
    upload is committed or rolled back (waiting up to `wait` seconds for another upload's).

    `files` maps each kind to the uploaded file (its original name decides the format); `indexed` is what the
    index holds, so that an upload cannot replace an episode that was ingested from elsewhere.
    """
    given = {kind: Path(p) for kind, p in files.items() if p}
    if "transcript" not in given and "summary" not in given:
        raise UploadError("add a transcript or a summary: an episode needs text to answer from")
    for kind, path in given.items():
        _check_file(kind, path, max_bytes)

    fallback = form.title or (given["transcript"].stem if "transcript" in given else "")
    if not (form.id.strip() or slugify(fallback)):
        raise UploadError("give the episode an id or a title")
    episode_id = check_episode_id(form.id or slugify(fallback))
    root = Path(root)
    target = root / episode_id
    if target.resolve().parent != root.resolve():
        raise UploadError(f"episode id {episode_id!r} is not allowed: it must name a folder inside {root}")
    check_not_elsewhere(indexed, episode_id, target)
    meta = episode_json(form, episode_id)

    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = _FolderLock(root, wait)
    except OSError as exc:
        raise UploadError(f"cannot save the upload in {root}: {exc.strerror or exc}") from exc
    try:
        previous = _swap_in(root, target, given, meta)
    except BaseException:
        lock.release()
        raise
    return StagedUpload(episode_id, target, previous, lock)


def _swap_in(root: Path, target: Path, given: Mapping[UploadKind, Path], meta: dict) -> Path | None:
    """Write the files to a new hidden folder and put it in `target`'s place; returns where the previous
    `target` went (None if there was none). On failure nothing has changed."""
    fresh = root / f".new-{target.name}-{uuid.uuid4().hex[:8]}"
    previous = root / f".old-{target.name}-{uuid.uuid4().hex[:8]}" if target.exists() else None
    try:
        fresh.mkdir()
        for kind, path in given.items():
            name = "chapters.json" if kind == "chapters" else f"{kind}{path.suffix.lower()}"
            shutil.copyfile(path, fresh / name)
        (fresh / "episode.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
        if previous is not None:
            target.rename(previous)
        try:
            fresh.rename(target)
        except OSError:
            if previous is not None:
                previous.rename(target)
            raise
    except OSError as exc:
        shutil.rmtree(fresh, ignore_errors=True)
        raise UploadError(f"cannot save the upload in {root.name}/: {exc.strerror or exc}") from exc
    return previous


def check_not_elsewhere(indexed: Mapping[str, EpisodeRecord], episode_id: str, target: Path) -> None:
    """Refuse an upload whose id is an episode ingested from files outside its upload folder."""
    existing = indexed.get(episode_id)
    if existing and not all(_inside(Path(f), target) for f in existing.files):
        raise UploadError(
            f"episode {episode_id!r} is already indexed from other files ({Path(existing.files[0]).name} and "
            "others): choose another id"
        )


def add_upload(assistant: Assistant, form: EpisodeForm, files: Mapping[UploadKind, Path | None],
               progress: Progress | None = None) -> tuple[str, IngestReport]:
    """Stage an upload in the app's uploads folder and index it: (episode id, ingest report) when it went in,
    `UploadError` (nothing changed) when it did not."""
    settings = assistant.settings
    staged = stage_upload(settings.uploads_dir(), form, files, settings.upload_max_bytes(),
                          assistant.index.records())
    try:
        # Checked again inside the index's write lock: another process may have ingested the id meanwhile.
        report = assistant.ingest([staged.folder], progress,
                                  guard=lambda known: check_not_elsewhere(known, staged.episode_id, staged.folder))
    except BaseException:
        staged.rollback()
        raise
    if not report.ok:
        staged.rollback()
        raise UploadError(report.failed[0])
    staged.commit()
    return staged.episode_id, report


def _check_file(kind: UploadKind, path: Path, max_bytes: int) -> None:
    allowed = ALLOWED_SUFFIXES[kind]
    if path.suffix.lower() not in allowed:
        raise UploadError(f"{path.name}: a {kind} must be one of {', '.join(allowed)}")
    size = path.stat().st_size
    if size > max_bytes:
        raise UploadError(f"{path.name}: {size / MB:.1f} MB is over the {max_bytes / MB:.0f} MB limit")
    if size == 0:
        raise UploadError(f"{path.name}: the file is empty")


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False
