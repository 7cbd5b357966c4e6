"""Ingest: episode folders -> parsed episodes -> chunks -> vectors -> committed to the index, one episode at a time.

Each episode is all-or-nothing: it is parsed completely before anything is written, its chunks are added invisibly,
and one manifest write makes it visible (see rag/index.py). A broken episode is reported and skipped; the others
still ingest. Unchanged episodes (same files, same settings) are skipped without parsing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rag.chunking import ChunkingConfig, chunk_episode, embedding_text
from rag.embedding import CachedEmbedder
from rag.errors import PodragError, SourceError
from rag.index import ChromaIndex, EpisodeRecord, transcript_sentences
from rag.lexical import LexicalStore
from rag.models import Chunk, Episode
from rag.sources import EpisodeSources, discover, load_episode
from rag.summary_check import summary_offset

# Bump when parsing or chunking changes what the same files produce, so unchanged files are re-chunked once.
PIPELINE_VERSION = "2"  # 2: the summary's clock offset is estimated at ingest

Progress = Callable[[int, int, str], None]  # (done, total, message)


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
        done = len(self.new) + len(self.updated)
        return (
            f"{done + len(self.unchanged)} episodes indexed ({len(self.new)} new, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged), {len(self.failed)} failed; {self.chunks} chunks written "
            f"({self.embedded} embedded, {self.chunks - self.embedded} from cache) in {self.seconds:.1f} s"
        )


def fingerprint(files: Sequence[Path], cfg: ChunkingConfig, model: str) -> str:
    h = hashlib.sha256(f"{PIPELINE_VERSION}|{cfg}|{model}".encode())
    for path in sorted(files, key=lambda p: (p.name, str(p))):
        h.update(path.name.encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _record(episode: Episode, chunks: list[Chunk], fp: str) -> EpisodeRecord:
    # Estimated once here, from the summary's quotes matched against the transcript (well under a second), so
    # summary citations can show the transcript's time and link to the right second.
    offset = summary_offset(episode.summary, transcript_sentences(chunks)) if episode.summary else None
    return EpisodeRecord(
        meta=episode.meta,
        chunk_ids=[c.id for c in chunks],
        fingerprint=fp,
        chapters=sorted(episode.chapters, key=lambda c: c.start),
        duration=episode.duration,
        files=[str(p) for p in episode.files],
        transcript_format=episode.transcript.format if episode.transcript else None,
        has_summary=episode.summary is not None,
        ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        summary_offset=offset,
    )


def ingest_paths(
    paths: Sequence[Path],
    index: ChromaIndex,
    lexical: LexicalStore,
    embedder: CachedEmbedder,
    cfg: ChunkingConfig,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest every episode found under `paths`. Never raises for a bad episode: see `IngestReport.failed`."""
    t0 = time.perf_counter()
    report = IngestReport()
    report.orphans_removed = index.collect_garbage()
    sources, errors = discover(list(paths))
    report.failed.extend(str(e) for e in errors)
    known = index.records()

    planned: list[tuple[Episode, list[Chunk], str]] = []
    for src in sources:
        try:
            fp = fingerprint(src.files, cfg, embedder.name)
            old = known.get(src.id)
            if old and old.fingerprint == fp:
                report.unchanged.append(src.id)
                continue
            episode = load_episode(src)
            chunks = chunk_episode(episode, cfg)
            if not chunks:
                raise SourceError(src.folders[0], "nothing to index: no transcript segments and no summary text")
            planned.append((episode, chunks, fp))
        except (PodragError, OSError) as exc:
            report.failed.append(str(exc) if isinstance(exc, PodragError) else f"{src.id}: {exc}")

    total = sum(len(chunks) for _, chunks, _ in planned)
    done = 0
    for episode, chunks, fp in planned:
        label = episode.id

        def tick(n: int, label: str = label) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, total, label)

        present = index.existing_ids([c.id for c in chunks])
        todo = [c for c in chunks if c.id not in present]
        tick(len(chunks) - len(todo))
        e0 = time.perf_counter()
        misses = embedder.misses
        vectors = embedder.embed([embedding_text(c) for c in todo], progress=tick)
        report.embed_seconds += time.perf_counter() - e0
        report.embedded += embedder.misses - misses
        if todo:
            index.add_chunks(todo, vectors)
        (report.updated if episode.id in known else report.new).append(episode.id)
        index.commit_episode(_record(episode, chunks, fp))
        report.chunks += len(todo)

    if progress and not planned:
        progress(0, 0, "nothing to embed")
    lexical.sync()
    report.seconds = time.perf_counter() - t0
    return report


def remove_episodes(ids: Sequence[str], index: ChromaIndex, lexical: LexicalStore) -> list[str]:
    """Drop episodes from the index. Returns the ids that were there."""
    removed = [i for i in ids if index.remove_episode(i)]
    lexical.sync()
    return removed
