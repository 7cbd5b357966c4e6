"""Finding episode folders and reading their files into one `Episode` each.

Every parser returns the records of `rag.models`; errors are `SourceError`s naming file, line and expectation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal, TypeVar

from rag.errors import SourceError
from rag.models import Chapter, Episode, EpisodeMeta, Summary, Transcript
from rag.sources.common import load_json
from rag.sources.ids import id_problem
from rag.sources.lexfridman_html import parse_lexfridman_html
from rag.sources.metadata import parse_episode_json
from rag.sources.plaintext import parse_plaintext
from rag.sources.podcasting20 import parse_json_chapters, parse_json_transcript
from rag.sources.srt import parse_srt
from rag.sources.summary import parse_summary
from rag.sources.text import SourceWarning, read_text
from rag.sources.vtt import parse_vtt

__all__ = [
    "EpisodeSources",
    "SourceFile",
    "SourceWarning",
    "detect",
    "detect_kind",
    "discover",
    "load_episode",
    "parse_episode_json",
    "parse_json_chapters",
    "parse_json_transcript",
    "parse_lexfridman_html",
    "parse_plaintext",
    "parse_srt",
    "parse_summary",
    "parse_transcript",
    "parse_vtt",
    "read_text",
]

Kind = Literal["metadata", "chapters", "summary", "transcript", "ignored"]
T = TypeVar("T")

_IGNORED_SUFFIXES = {".mp3", ".m4a", ".mp4", ".wav", ".jpg", ".png", ".webp"}
_TRANSCRIPT_PARSERS: dict[str, Callable[[Path], Transcript]] = {
    ".vtt": parse_vtt,
    ".srt": parse_srt,
    ".html": parse_lexfridman_html,
    ".htm": parse_lexfridman_html,
    ".json": parse_json_transcript,
    ".txt": parse_plaintext,
}
EXPECTED_FORMATS = (
    "episode.json, chapters.json, summary.txt, summary.md, a transcript (.vtt, .srt, .html, .htm, "
    "Podcasting 2.0 .json, .txt), or media/images (ignored)"
)

_EXPECTED_PATH = "an episode folder or a folder of episode folders"


@dataclass(frozen=True)
class SourceFile:
    """A file and what it is: its kind and the parser that reads it (None for ignored files)."""

    path: Path
    kind: Kind
    parser: Callable[[Path], object] | None


@dataclass
class EpisodeSources:
    """One episode's files, possibly from several folders (e.g. data/episodes/x and ../shared/corpus/x)."""

    id: str
    folders: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    # Files that are not read, and fail the episode: symbolic links leading out of their episode folder.
    refused: list[SourceError] = field(default_factory=list)


def detect(path: Path | str) -> SourceFile:
    """What a file is, by its name; other `.json` files by their top-level key (`chapters` or `segments`)."""
    path = Path(path)
    name, suffix = path.name.lower(), path.suffix.lower()
    if _ignored(path):
        return SourceFile(path, "ignored", None)
    if name == "episode.json":
        return SourceFile(path, "metadata", parse_episode_json)
    if name == "chapters.json":
        return SourceFile(path, "chapters", parse_json_chapters)
    if name in ("summary.txt", "summary.md"):
        return SourceFile(path, "summary", parse_summary)
    if suffix == ".json":
        return _detect_json(path)
    if suffix in _TRANSCRIPT_PARSERS:
        return SourceFile(path, "transcript", _TRANSCRIPT_PARSERS[suffix])
    raise SourceError(path, f"unknown format: expected one of {EXPECTED_FORMATS}")


def detect_kind(path: Path | str) -> Kind:
    """'metadata', 'chapters', 'summary', 'transcript' or 'ignored'; `SourceError` for an unknown format."""
    return detect(path).kind


def _detect_json(path: Path) -> SourceFile:
    data = load_json(path)
    if isinstance(data, dict) and isinstance(data.get("chapters"), list):
        return SourceFile(path, "chapters", parse_json_chapters)
    if isinstance(data, dict) and isinstance(data.get("segments"), list):
        return SourceFile(path, "transcript", parse_json_transcript)
    raise SourceError(
        path,
        "unknown JSON: expected Podcasting 2.0 chapters "
        '{"chapters": [...]} or transcript {"segments": [...]}',
    )


def parse_transcript(path: Path | str) -> Transcript:
    """Read a transcript in any supported format, chosen by file extension."""
    path = Path(path)
    parser = _TRANSCRIPT_PARSERS.get(path.suffix.lower())
    if parser is None:
        expected = ", ".join(_TRANSCRIPT_PARSERS)
        raise SourceError(path, f"unknown transcript format: expected one of {expected}")
    return parser(path)


def discover(paths: list[Path]) -> tuple[list[EpisodeSources], list[SourceError]]:
    """Group files into episodes: each path is an episode folder or a folder of them (searched recursively).

    The id is episode.json's `id`, else the folder name; folders with the same id make one episode. An id
    that breaks the id rule (rag/sources/ids.py) is an error naming where it came from, and its folder is left
    out. Returns the episodes and those errors, with the paths that could not be searched (missing, not a
    folder, unreadable), so that one bad path does not stop the others. An episode.json that cannot be read
    does not stop discovery either: the folder name is used as the id and `load_episode` reports the error.
    """
    episodes: dict[str, EpisodeSources] = {}
    errors: list[SourceError] = []
    # Resolved folders already taken, so that 10,000 folders of one id cost 10,000 checks, not 50 million.
    taken: set[Path] = set()
    for root in map(Path, paths):
        if not root.exists():
            errors.append(SourceError(root, f"no such file or directory: expected {_EXPECTED_PATH}"))
            continue
        if not root.is_dir():
            errors.append(SourceError(root, f"not a folder: expected {_EXPECTED_PATH}"))
            continue
        try:
            found = _episode_folders(root)
        except OSError as exc:
            errors.append(SourceError(exc.filename or root, f"cannot read folder: {exc.strerror or exc}"))
            continue
        for folder, files in found:
            if folder.resolve() in taken:
                continue  # the same folder reached through two of the paths
            taken.add(folder.resolve())
            episode_id, source = _episode_id(folder)
            problem = id_problem(episode_id)
            if problem:
                errors.append(SourceError(source, problem + (
                    " (it is the folder's name: set \"id\" in an episode.json)" if source == folder else "")))
                continue
            sources = episodes.setdefault(episode_id, EpisodeSources(episode_id))
            sources.folders.append(folder)
            for path in files:
                if _leaves(path, folder):
                    sources.refused.append(SourceError(
                        path, "a symbolic link to a file outside the episode folder: refused (copy the file in)"))
                else:
                    sources.files.append(path)
    return list(episodes.values()), errors


def _episode_folders(folder: Path, seen: set[Path] | None = None) -> list[tuple[Path, list[Path]]]:
    """(folder, its files) for every folder with a recognised source file, this one and all below.

    Subfolders are searched even below an episode folder, so that a stray notes.txt beside episode
    folders makes one broken "episode" (reported) instead of hiding the real ones.
    """
    seen = set() if seen is None else seen
    if folder.resolve() in seen:  # a symlink loop
        return []
    seen.add(folder.resolve())
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    files = [p for p in entries if p.is_file() and not _ignored(p)]
    # Unknown files go along, so that load_episode names them instead of silently skipping them.
    found = [(folder, files)] if any(_recognised(p) for p in files) else []
    return found + [f for sub in entries if sub.is_dir() for f in _episode_folders(sub, seen)]


def _ignored(path: Path) -> bool:
    return path.name.startswith(".") or path.suffix.lower() in _IGNORED_SUFFIXES


def _recognised(path: Path) -> bool:
    """Whether the name promises a source file (without reading JSON files to find out which kind)."""
    return path.suffix.lower() in _TRANSCRIPT_PARSERS or path.name.lower() in ("summary.txt", "summary.md")


def _episode_id(folder: Path) -> tuple[str, Path]:
    """The folder's episode id, and where it comes from (its episode.json, or the folder's name)."""
    meta = folder / "episode.json"
    if meta.is_file() and not _leaves(meta, folder):
        try:
            return parse_episode_json(meta).id, meta
        except SourceError:
            pass  # reported by load_episode, so that the other episodes are still found
    return folder.name, folder


def _leaves(path: Path, folder: Path) -> bool:
    """Whether `path` is a symbolic link whose target is outside `folder` (read, it could show any file)."""
    return path.is_symlink() and not path.resolve().is_relative_to(folder.resolve())


def load_episode(sources: EpisodeSources) -> Episode:
    """Parse an episode's files into one `Episode`; the first `SourceError` fails the whole episode.

    Metadata from several episode.json files is merged (a later file fills fields the earlier left empty;
    on conflicts the first wins). Identical copies of a file are read once; two different transcripts,
    summaries or chapter files are an error naming both. Chapters come from chapters.json, else from
    the transcript.
    """
    if sources.refused:
        raise sources.refused[0]
    metas: list[EpisodeMeta] = []
    transcript: tuple[Path, Transcript] | None = None
    summary: tuple[Path, Summary] | None = None
    chapters: tuple[Path, list[Chapter]] | None = None
    used: list[Path] = []
    seen: set[str] = set()

    for path in sources.files:
        source = detect(path)
        if source.kind == "ignored":
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        used.append(path)
        if source.kind == "metadata":
            metas.append(parse_episode_json(path))
        elif source.kind == "transcript":
            transcript = _only(sources.id, "transcripts", transcript, path, parse_transcript)
        elif source.kind == "summary":
            summary = _only(sources.id, "summaries", summary, path, parse_summary)
        elif source.kind == "chapters":
            chapters = _only(sources.id, "chapter files", chapters, path, parse_json_chapters)

    if not used:
        raise SourceError(sources.folders[0] if sources.folders else sources.id, "no source files in episode")
    return Episode(
        meta=_merge_meta(sources.id, metas),
        transcript=transcript[1] if transcript else None,
        summary=summary[1] if summary else None,
        chapters=chapters[1] if chapters else (transcript[1].chapters if transcript else []),
        files=used,
    )


def _only(
    episode_id: str, what: str, have: tuple[Path, T] | None, path: Path, parse: Callable[[Path], T]
) -> tuple[Path, T]:
    """Parse the episode's one file of a kind; a second, different one is an error naming both."""
    if have is not None:
        raise SourceError(
            path,
            f"two different {what} for episode {episode_id}: {have[0]} and {path}; "
            "expected one (or identical copies)",
        )
    return path, parse(path)


def _merge_meta(episode_id: str, metas: list[EpisodeMeta]) -> EpisodeMeta:
    merged = EpisodeMeta(id=episode_id)
    for meta in metas:
        for f in fields(EpisodeMeta):
            if f.name != "id" and not getattr(merged, f.name) and getattr(meta, f.name):
                setattr(merged, f.name, getattr(meta, f.name))
    return merged
