"""The BM25 side of the index (bm25s, Snowball stemming), kept on disk beside Chroma.

It is derived data: built from the chunks the Chroma manifest lists and stamped with the manifest's version. A
process that finds the stamp stale, or the files missing or unreadable, rebuilds it from Chroma. That is also how
several processes sharing a Chroma server stay in step: each keeps its own copy and rebuilds when the stamp moves.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.models import Chunk, Filters

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _bm25s():
    """bm25s, imported on first use; it sets its own logger to DEBUG on import, which floods output: undo that."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s

_POINTER = "bm25.current"


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop words removed, Snowball-stemmed tokens (numbers like 50,000 kept whole)."""
    bm25s = _bm25s()

    # Join digit groups so "50,000" is one token, not "50" and "000".
    texts = [re.sub(r"(?<=\d),(?=\d{3})", "", t) for t in texts]
    return bm25s.tokenize(
        list(texts), stopwords="english", stemmer=_stemmer(), return_ids=False, show_progress=False
    )


@dataclass
class ChunkInfo:
    """The per-chunk fields BM25 needs for filtering, held in memory beside the BM25 matrix."""

    id: str
    episode_id: str
    source_type: str
    start: float | None
    end: float | None
    speakers: list[str]


class LexicalIndex:
    def __init__(self, bm25, infos: list[ChunkInfo], version: str):
        self.bm25 = bm25
        self.infos = infos
        self.version = version
        self._episode = np.array([i.episode_id for i in infos], dtype=object)
        self._source = np.array([i.source_type for i in infos], dtype=object)
        self._start = np.array([np.nan if i.start is None else i.start for i in infos], dtype=float)
        self._end = np.array([np.nan if i.end is None else i.end for i in infos], dtype=float)
        self._doc_freq = np.diff(bm25.scores["indptr"]) if infos else np.zeros(0)
        self._prefixes: dict[int, set[str]] = {}

    @classmethod
    def build(cls, chunks: Iterable[Chunk], texts: Sequence[str], version: str) -> LexicalIndex:
        bm25s = _bm25s()

        chunks = list(chunks)
        bm25 = bm25s.BM25()
        if chunks:
            bm25.index(tokenize(texts), show_progress=False)
        infos = [ChunkInfo(c.id, c.episode_id, c.source_type, c.start, c.end, list(c.speakers)) for c in chunks]
        return cls(bm25, infos, version)

    # -- persistence --------------------------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write to a fresh sub-folder, then switch the pointer file to it atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        name = f"bm25-{uuid.uuid4().hex[:12]}"
        target = folder / name
        target.mkdir()
        if self.infos:
            self.bm25.save(str(target), show_progress=False)
        (target / "chunks.json").write_text(
            json.dumps({"version": self.version, "chunks": [i.__dict__ for i in self.infos]})
        )
        tmp = folder / f"{_POINTER}.{os.getpid()}.tmp"
        tmp.write_text(name)
        os.replace(tmp, folder / _POINTER)
        for old in folder.glob("bm25-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none; raises ValueError when the files are damaged."""
        pointer = folder / _POINTER
        if not pointer.exists():
            return None
        bm25s = _bm25s()

        target = folder / pointer.read_text().strip()
        try:
            data = json.loads((target / "chunks.json").read_text())
            infos = [ChunkInfo(**i) for i in data["chunks"]]
            bm25 = bm25s.BM25.load(str(target), show_progress=False) if infos else bm25s.BM25()
            if infos and bm25.scores["num_docs"] != len(infos):
                raise ValueError(f"{len(infos)} chunks listed but the BM25 matrix has {bm25.scores['num_docs']}")
        except Exception as exc:  # any damage means: rebuild
            raise ValueError(f"BM25 index at {target} is damaged ({exc})") from exc
        return cls(bm25, infos, data["version"])

    # -- querying -----------------------------------------------------------------------------------------------

    def mask(self, filters: Filters | None, speakers: Sequence[str] = ()) -> np.ndarray | None:
        if not filters:
            return None
        keep = np.ones(len(self.infos), dtype=bool)
        if filters.episode_ids:
            keep &= np.isin(self._episode, list(filters.episode_ids))
        if filters.source_type:
            keep &= self._source == filters.source_type
        if filters.speaker:
            names = set(speakers) or {filters.speaker}
            keep &= np.array([bool(names.intersection(i.speakers)) for i in self.infos], dtype=bool)
        with np.errstate(invalid="ignore"):
            if filters.time_from is not None:
                keep &= self._end >= filters.time_from
            if filters.time_to is not None:
                keep &= self._start <= filters.time_to
        return keep

    def search(self, query: str, n: int, filters: Filters | None = None,
               speakers: Sequence[str] = ()) -> list[tuple[str, float]]:
        """Best (chunk id, BM25 score) pairs; chunks without any query term are left out."""
        if not self.infos:
            return []
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        mask = self.mask(filters, speakers)
        k = min(n, len(self.infos))
        docs, scores = self.bm25.retrieve(
            tokens, k=k, show_progress=False, n_threads=0,
            weight_mask=None if mask is None else mask.astype(np.float32),
        )
        return [(self.infos[d].id, float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def term_document_frequency(self, query: str) -> dict[str, int]:
        """For each query token, in how many chunks it occurs (0: the corpus never says it)."""
        vocab = self.bm25.vocab_dict or {}
        out = {}
        for tok in tokenize([query])[0]:
            idx = vocab.get(tok)
            out[tok] = int(self._doc_freq[idx]) if idx is not None and idx < len(self._doc_freq) else 0
        return out

    def has_term(self, token: str, prefix: int | None = None) -> bool:
        """Whether any chunk contains `token` (a stemmed token); with `prefix`, any token sharing its first
        `prefix` characters counts (other forms of a word), for tokens at least that long."""
        vocab = self.bm25.vocab_dict or {}
        if token in vocab and self._doc_freq[vocab[token]] > 0:
            return True
        if prefix is None or len(token) < prefix:
            return False
        if prefix not in self._prefixes:
            self._prefixes[prefix] = {t[:prefix] for t in vocab if len(t) >= prefix}
        return token[:prefix] in self._prefixes[prefix]

    def speakers(self) -> list[str]:
        return sorted({s for i in self.infos for s in i.speakers})


class LexicalStore:
    """Keeps a process's BM25 index in step with the Chroma manifest, loading or rebuilding it as needed."""

    def __init__(self, index, folder: Path, text_of):
        self.index = index  # rag.index.ChromaIndex
        self.folder = folder
        self.text_of = text_of  # Chunk -> the text BM25 indexes (same as what is embedded)
        self._current: LexicalIndex | None = None
        self._lock = threading.Lock()
        self.notices: list[str] = []  # messages for the user, e.g. "rebuilt a damaged BM25 index"

    def sync(self) -> LexicalIndex:
        """The BM25 index for the manifest's current version."""
        version = self.index.version()
        current = self._current
        if current is not None and current.version == version:
            return current
        with self._lock:
            return self._load_or_rebuild(version)

    def _load_or_rebuild(self, version: str) -> LexicalIndex:
        if self._current is not None and self._current.version == version:
            return self._current  # another thread got here first
        try:
            loaded = LexicalIndex.load(self.folder)
        except ValueError as exc:
            self._notice(f"{exc}; rebuilding it from the vector store")
            loaded = None
        if loaded is not None and loaded.version == version:
            self._current = loaded
            return loaded
        self._current = self.rebuild(version)
        return self._current

    def rebuild(self, version: str | None = None) -> LexicalIndex:
        version = self.index.version() if version is None else version
        chunks = sorted(self.index.iter_live_chunks(), key=lambda c: (c.episode_id, c.seq, c.id))
        built = LexicalIndex.build(chunks, [self.text_of(c) for c in chunks], version)
        built.save(self.folder)
        log.info("BM25 index rebuilt: %d chunks", len(chunks))
        return built

    def _notice(self, text: str) -> None:
        log.warning(text)
        self.notices.append(text)
