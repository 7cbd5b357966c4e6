"""Ingest: episode folders -> parsed episodes -> chunks -> vectors -> committed to the index, one episode at a time.

Each episode is all-or-nothing: it is parsed and checked completely before anything is written, its chunks are added
invisibly, and one manifest write makes it visible (see rag/index/manifest.py). A transcript too large to hold is
read again from its file and its chunks written a batch at a time, so memory follows the batch, not the file. A
broken episode is reported and skipped; the others still ingest. Unchanged episodes (same files, same settings) are
skipped without parsing. Chunks an interrupted run left behind are reused when the run is repeated (no re-embedding,
no re-writing), and what is left unlisted at the end is collected.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rag.alignment import summary_offset
from rag.chunking import ChunkingConfig, chunk_episode, embedding_text, iter_chunks
from rag.embedding import CachedEmbedder, EmbedCounts
from rag.errors import PodragError, SourceError
from rag.index import ChromaIndex, IndexCheck
from rag.lexical import LexicalStore
from rag.models import Chunk, Episode, EpisodeRecord, transcript_sentences
from rag.settings import MB
from rag.sources import EpisodeSources, discover, load_episode
from rag.sources.common import StreamedSegments

log = logging.getLogger(__name__)

# Bump when parsing or chunking changes what the same files produce, so unchanged files are re-chunked once.
# 2: the summary's clock offset is estimated at ingest; 3: sentences keep the quotation marks that close them;
# 4: nor end at a title ("Mr.", "Dr.")
PIPELINE_VERSION = "4"

Progress = Callable[[int, int, str], None]  # (done, total, message)
# Chunks embedded and written at a time: a transcript streamed from its file is never held whole.
_WRITE_BATCH = 1000


@dataclass
class IngestReport:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one line each: the error, naming file and place
    chunks: int = 0  # chunks written for new and updated episodes
    embedded: int = 0  # of which needed the model (the rest came from the cache)
    orphans_removed: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary_line(self) -> str:
        indexed = len(self.new) + len(self.updated) + len(self.unchanged)
        return (
            f"{indexed} episode{'' if indexed == 1 else 's'} indexed ({len(self.new)} new, {len(self.updated)} "
            f"updated, {len(self.unchanged)} unchanged), {len(self.failed)} failed; {self.chunks} chunks written "
            f"({self.embedded} embedded, {self.chunks - self.embedded} from cache) in {self.seconds:.1f} s"
        )


def fingerprint(files: Sequence[Path], cfg: ChunkingConfig, model: str) -> str:
    h = hashlib.sha256(f"{PIPELINE_VERSION}|{cfg}|{model}".encode())
    for path in sorted(files, key=lambda p: (p.name, str(p))):
        h.update(path.name.encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def check_files(src: EpisodeSources, max_mb: float) -> None:
    """Before any file is read: reject the episode when discovery refused one of its files (a symbolic link out of
    its folder), or when a file is above the size limit (a 5-hour episode's transcript is < 1 MB)."""
    if src.refused:
        raise src.refused[0]
    for path in src.files:
        size = path.stat().st_size
        if size > max_mb * MB:
            raise SourceError(path, f"file too large ({size / MB:.1f} MB): expected at most {max_mb:g} MB "
                                    "(PODRAG_MAX_FILE_MB)")


def _failure(src: EpisodeSources, exc: Exception) -> str:
    return str(exc) if isinstance(exc, PodragError) else f"{src.id}: {exc}"


def _record(episode: Episode, chunk_ids: list[str], fp: str, chunks: list[Chunk] | None) -> EpisodeRecord:
    # Estimated once here, from the summary's quotes matched against the transcript (well under a second), so
    # summary citations can show the transcript's time and link to the right second. Not for a transcript too
    # large to hold (`chunks` None): matching needs all of its text at once.
    offset = summary_offset(episode.summary, transcript_sentences(chunks)) if episode.summary and chunks else None
    return EpisodeRecord(
        meta=episode.meta,
        chunk_ids=chunk_ids,
        fingerprint=fp,
        chapters=sorted(episode.chapters, key=lambda c: c.start),
        duration=episode.duration,
        # Absolute: verify-summary and the app read them again from wherever they were started.
        files=[os.path.abspath(p) for p in episode.files],
        transcript_format=episode.transcript.format if episode.transcript else None,
        has_summary=episode.summary is not None,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        summary_offset=offset,
    )


def ingest_paths(
    paths: Sequence[Path],
    index: ChromaIndex,
    lexical: LexicalStore,
    embedder: CachedEmbedder,
    cfg: ChunkingConfig,
    progress: Progress | None = None,
    max_file_mb: float | None = None,
    guard: Callable[[Mapping[str, EpisodeRecord]], None] | None = None,
) -> IngestReport:
    """Ingest every episode found under `paths`. Never raises for a bad episode: see `IngestReport.failed`.

    Raises `IndexUnavailableError` when the index cannot be written (another writer holds the embedded store,
    or the Chroma server is gone); episodes committed before that stay committed. `guard`, given the indexed
    episodes once the write lock is held, may refuse the whole ingest by raising a `PodragError` (nothing is
    written then).
    """
    t0 = time.perf_counter()
    report = IngestReport()
    max_file_mb = index.settings.max_file_mb if max_file_mb is None else max_file_mb
    with index.writing():
        sources, errors = discover(list(paths))
        report.failed.extend(str(e) for e in errors)
        known = index.records()
        if guard is not None:
            guard(known)

        todo: list[tuple[EpisodeSources, str]] = []
        for src in sources:
            try:
                check_files(src, max_file_mb)
                fp = fingerprint(src.files, cfg, embedder.name)
            except (PodragError, OSError) as exc:
                report.failed.append(_failure(src, exc))
                continue
            old = known.get(src.id)
            # Records from before file paths were stored absolute are written again (nothing is re-embedded).
            if old and old.fingerprint == fp and all(os.path.isabs(f) for f in old.files):
                report.unchanged.append(src.id)
            else:
                todo.append((src, fp))

        # One episode at a time, parsed just before it is written: holding every parsed episode of a 1,000-episode
        # catalogue would take gigabytes. So the chunk total is known only as episodes are read; until the last,
        # progress shows an estimate from the average so far.
        done = read = read_chunks = 0
        for position, (src, fp) in enumerate(todo):
            try:
                episode = load_episode(src)
                chunks, expected = _chunks(episode, cfg)
            except (PodragError, OSError) as exc:
                report.failed.append(_failure(src, exc))
                continue
            read, read_chunks = read + 1, read_chunks + expected
            total = read_chunks + round(read_chunks / read * (len(todo) - position - 1))

            def tick(n: int, label: str = episode.id, total: int = total) -> None:
                nonlocal done
                done += n
                if progress:
                    progress(done, total, label)

            try:
                record = _write_episode(episode, fp, chunks, cfg, index, embedder, report, tick)
            except SourceError as exc:  # nothing to index: nothing was written
                report.failed.append(_failure(src, exc))
                continue
            finally:
                del episode, chunks
            (report.updated if record.id in known else report.new).append(record.id)

        if progress and not read:
            progress(0, 0, "nothing to embed")
        report.orphans_removed = index.collect_garbage()
        lexical.sync(wait=True)
    report.seconds = time.perf_counter() - t0
    return report


def _chunks(episode: Episode, cfg: ChunkingConfig) -> tuple[Iterable[Chunk], int]:
    """The episode's chunks and how many there are: all of them, or for a transcript read from its file on each
    pass (rag/sources/vtt.py) a stream of them and an estimate from its words."""
    segments = episode.transcript.segments if episode.transcript else []
    if isinstance(segments, StreamedSegments):
        return iter_chunks(episode, cfg), max(1, segments.words // max(1, cfg.target_words - cfg.overlap_words))
    chunks = chunk_episode(episode, cfg)
    return chunks, len(chunks)


def _write_episode(episode: Episode, fp: str, chunks: Iterable[Chunk], cfg: ChunkingConfig, index: ChromaIndex,
                   embedder: CachedEmbedder, report: IngestReport, tick: Callable[[int], None]) -> EpisodeRecord:
    """Embed and add the episode's chunks (invisible so far), a batch at a time, then commit its manifest record
    (visible at once). Raises `SourceError` when there is nothing to index."""
    ids: list[str] = []
    written = 0
    stream = iter(chunks)
    while batch := list(itertools.islice(stream, _WRITE_BATCH)):
        written += _write_chunks(batch, index, embedder, report, tick)
        ids += [c.id for c in batch]
    if not ids:
        raise SourceError(episode.files[0].parent if episode.files else episode.id,
                          "nothing to index: no transcript segments and no summary text")
    record = _record(episode, ids, fp, chunks if isinstance(chunks, list) else None)
    index.commit_episode(record)
    if index.is_server:
        _restore_lost(record, chunks if isinstance(chunks, list) else iter_chunks(episode, cfg), index, embedder)
    log.info("committed %s: %d chunks (%d written)", record.id, len(ids), written)
    return record


def _write_chunks(chunks: list[Chunk], index: ChromaIndex, embedder: CachedEmbedder, report: IngestReport,
                  tick: Callable[[int], None]) -> int:
    """Embed and add those of `chunks` not stored yet; returns how many that was."""
    # Chunks already stored (an interrupted earlier run, the previous version) are neither embedded nor written
    # again. On a server they are claimed first, so that another process committing this episode meanwhile does
    # not delete them (see rag/index/garbage.py).
    ids = [c.id for c in chunks]
    if index.is_server:
        index.claim(ids)
    present = index.existing_ids(ids)
    fresh = [c for c in chunks if c.id not in present]
    tick(len(chunks) - len(fresh))
    e0 = time.perf_counter()
    counts = EmbedCounts()  # this episode's own: chats running beside the ingest embed through the same embedder
    vectors = embedder.embed([embedding_text(c) for c in fresh], progress=tick, counts=counts)
    report.embed_seconds += time.perf_counter() - e0
    report.embedded += counts.misses
    if fresh:
        index.add_chunks(fresh, vectors)
    report.chunks += len(fresh)
    return len(fresh)


def _restore_lost(record: EpisodeRecord, chunks: Iterable[Chunk], index: ChromaIndex, embedder: CachedEmbedder) -> None:
    """Write back chunks of the just-committed version that another process deleted after this one found them
    stored and before it claimed them (a narrow race the claim leaves), while this version is the visible one."""
    lost = set(record.chunk_ids) - index.existing_ids(record.chunk_ids)
    current = index.records().get(record.id)
    if not lost or current is None or current.chunk_ids != record.chunk_ids:
        return
    again = [c for c in chunks if c.id in lost]
    index.add_chunks(again, embedder.embed([embedding_text(c) for c in again]))
    log.warning("%s: %d chunks deleted by another process's commit were written again", record.id, len(again))


def remove_episodes(ids: Sequence[str], index: ChromaIndex, lexical: LexicalStore) -> list[str]:
    """Drop episodes from the index. Returns the ids that were there."""
    with index.writing():
        removed = [i for i in ids if index.remove_episode(i)]
        lexical.sync(wait=True)
    return removed


def check_index(index: ChromaIndex, lexical: LexicalStore, repair: bool = False) -> IndexCheck:
    """Verify the store against its manifest and BM25 against both (`podcast-rag doctor`).

    With `repair`, first collect orphan chunks and bring BM25 in step (rebuilding it if it is damaged or
    disagrees); a chunk missing from a listed episode cannot be repaired here: re-ingest that episode.
    """
    if repair:
        with index.writing():
            index.collect_garbage()
            lexical.sync(repair=True)
    check = index.verify()
    check.lexical = lexical.check()
    return check
