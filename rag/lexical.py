"""The BM25 side of the index (bm25s, Snowball stemming), kept on disk beside Chroma.

It is derived data: built from the chunks the Chroma manifest lists and stamped with the manifest's version. A
process that finds the stamp stale, or the files missing or unreadable, rebuilds it from Chroma. That is also how
several processes sharing a Chroma server stay in step: each keeps its own copy and rebuilds when the stamp moves.

A rebuild reads and tokenizes every chunk (about a minute at 1,000 episodes), so a process that already has a BM25
index keeps answering from it while a background thread rebuilds after another process's commit; the retriever
only keeps BM25 hits the current manifest lists, so the stale copy can miss new chunks for that long, never return
removed ones. Writers (ingest, remove) wait for the rebuild.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from rag.casing import CaseTally
from rag.errors import PodragError
from rag.models import Chunk, Filters

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _bm25s():
    """bm25s, imported on first use; it sets its own logger to DEBUG on import, which floods output: undo that."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s

_POINTER = "bm25.current"
# Superseded copies are deleted once this old: another process sharing the folder may still be loading one.
_KEEP_OLD_SECONDS = 120.0


@lru_cache(maxsize=1)
def stopwords_plus() -> frozenset[str]:
    """bm25s's longer English stop-word list (imported on first use: bm25s brings scipy, ~0.3 s that listing
    episodes or starting the app need not pay)."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Names what `tokenize` returns for a text: change it whenever tokenize changes (rag/term_cache.py keeps tokens;
# `tokenizer_fingerprint` adds the versions of the libraries it calls).
TOKENIZER_VERSION = "snowball-english-stopwords-digit-groups-1"


@lru_cache(maxsize=1)
def tokenizer_fingerprint() -> str:
    import Stemmer

    return f"{TOKENIZER_VERSION} bm25s {_bm25s().__version__} PyStemmer {Stemmer.version()}"


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

    @classmethod
    def of(cls, c: Chunk) -> ChunkInfo:
        return cls(c.id, c.episode_id, c.source_type, c.start, c.end, list(c.speakers))


class LexicalIndex:
    def __init__(self, bm25, infos: list[ChunkInfo], version: str, cased: frozenset[str] | None = frozenset()):
        self.bm25 = bm25
        self.infos = infos
        self.version = version
        # the words the texts write as names, lower-cased (rag/casing.py); None: saved by a version without them
        self.cased = cased
        self._episode = np.array([i.episode_id for i in infos], dtype=object)
        self._source = np.array([i.source_type for i in infos], dtype=object)
        self._start = np.array([np.nan if i.start is None else i.start for i in infos], dtype=float)
        self._end = np.array([np.nan if i.end is None else i.end for i in infos], dtype=float)
        self._doc_freq = np.diff(bm25.scores["indptr"]) if infos else np.zeros(0)
        self._prefixes: dict[int, set[str]] = {}

    @cached_property
    def _by_episode(self) -> dict[str, np.ndarray]:
        return _positions((i.episode_id,) for i in self.infos)

    @cached_property
    def _by_speaker(self) -> dict[str, np.ndarray]:
        return _positions(i.speakers for i in self.infos)

    @cached_property
    def _position(self) -> dict[str, int]:
        return {info.id: n for n, info in enumerate(self.infos)}

    @classmethod
    def build(cls, chunks: Iterable[Chunk], texts: Iterable[str], version: str) -> LexicalIndex:
        """BM25 over `texts`, one per chunk in the same order."""
        chunks = list(chunks)
        tally = CaseTally()
        tally.update(c.text for c in chunks)
        return cls.from_infos([ChunkInfo.of(c) for c in chunks], texts, version, tally.names())

    @classmethod
    def from_infos(cls, infos: list[ChunkInfo], texts: Iterable[str], version: str,
                   cased: frozenset[str] = frozenset()) -> LexicalIndex:
        """BM25 over `texts` (may be a generator), one per info in the same order; `cased` as in __init__."""
        bm25s = _bm25s()

        bm25 = bm25s.BM25()
        # Token ids, not token strings: 100 strings per chunk take ~6 KB, 100 ids of one shared vocabulary ~0.8 KB.
        ids, vocab = _tokenize_ids(texts)
        if infos:
            bm25.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        return cls(bm25, infos, version, cased)

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
            json.dumps({"version": self.version, "chunks": [i.__dict__ for i in self.infos],
                        **({"cased": sorted(self.cased)} if self.cased is not None else {})})
        )
        tmp = folder / f"{_POINTER}.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_text(name)
        os.replace(tmp, folder / _POINTER)
        cutoff = time.time() - _KEEP_OLD_SECONDS
        for old in folder.glob("bm25-*"):
            try:
                if old.name != name and old.stat().st_mtime < cutoff:
                    shutil.rmtree(old, ignore_errors=True)
            except FileNotFoundError:
                pass  # another process removed it first

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The saved index, or None when there is none; raises ValueError when the files are damaged."""
        pointer = folder / _POINTER
        try:
            name = pointer.read_text().strip()
        except FileNotFoundError:
            return None
        bm25s = _bm25s()

        target = folder / name
        try:
            data = json.loads((target / "chunks.json").read_text())
            infos = [ChunkInfo(**i) for i in data["chunks"]]
            bm25 = bm25s.BM25.load(str(target), show_progress=False) if infos else bm25s.BM25()
            if infos and bm25.scores["num_docs"] != len(infos):
                raise ValueError(f"{len(infos)} chunks listed but the BM25 matrix has {bm25.scores['num_docs']}")
        # What damaged files raise (missing, truncated, garbage, wrong shapes); anything else is a bug, not damage.
        except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"BM25 index at {target} is damaged ({exc})") from exc
        cased = data.get("cased")
        return cls(bm25, infos, data["version"], None if cased is None else frozenset(cased))

    # -- querying -----------------------------------------------------------------------------------------------

    def mask(self, filters: Filters | None, speakers: Sequence[str] = ()) -> np.ndarray | None:
        """Which chunks pass `filters` (None: all); the same rules as rag.index.query.where_clause applies in Chroma."""
        if not filters:
            return None
        keep = np.ones(len(self.infos), dtype=bool)
        if filters.episode_ids:
            keep &= self._any_of(self._by_episode, filters.episode_ids)
        if filters.source_type:
            keep &= self._source == filters.source_type
        if filters.speaker:
            keep &= self._any_of(self._by_speaker, set(speakers) or {filters.speaker})
        with np.errstate(invalid="ignore"):
            if filters.time_from is not None:
                keep &= self._end >= filters.time_from
            if filters.time_to is not None:
                keep &= self._start <= filters.time_to
        return keep

    def _any_of(self, positions: dict[str, np.ndarray], values) -> np.ndarray:
        hit = np.zeros(len(self.infos), dtype=bool)
        for value in values:
            if value in positions:
                hit[positions[value]] = True
        return hit

    def allows(self, filters: Filters | None, speakers: Sequence[str] = ()):
        """A predicate on chunk ids for `filters` (None when there are none): lets the dense side over-fetch
        unfiltered and filter here, instead of a Chroma `where`, whose cost grows with the chunks it matches."""
        mask = self.mask(filters, speakers)
        if mask is None:
            return None
        position = self._position
        return lambda chunk_id: (n := position.get(chunk_id)) is not None and bool(mask[n])

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

    @property
    def _vocab(self) -> dict[str, int]:
        # bm25s sets vocab_dict when it indexes something: over an empty index (nothing ingested yet) it has none
        return getattr(self.bm25, "vocab_dict", None) or {}

    def term_document_frequency(self, query: str) -> dict[str, int]:
        """For each query token, in how many chunks it occurs (0: the corpus never says it)."""
        vocab = self._vocab
        out = {}
        for tok in tokenize([query])[0]:
            idx = vocab.get(tok)
            out[tok] = int(self._doc_freq[idx]) if idx is not None and idx < len(self._doc_freq) else 0
        return out

    def has_term(self, token: str, prefix: int | None = None) -> bool:
        """Whether any chunk contains `token` (a stemmed token); with `prefix`, any token sharing its first
        `prefix` characters counts (other forms of a word), for tokens at least that long."""
        vocab = self._vocab
        if token in vocab and self._doc_freq[vocab[token]] > 0:
            return True
        if prefix is None or len(token) < prefix:
            return False
        if prefix not in self._prefixes:
            self._prefixes[prefix] = {t[:prefix] for t in vocab if len(t) >= prefix}
        return token[:prefix] in self._prefixes[prefix]

    def speakers(self) -> list[str]:
        return sorted(self._by_speaker)


def _tokenize_ids(texts: Iterable[str], batch: int = 5000) -> tuple[list[list[int]], dict[str, int]]:
    """`tokenize`, as token ids over one vocabulary, a batch at a time (so token strings never pile up)."""
    vocab: dict[str, int] = {}
    ids: list[list[int]] = []
    texts = iter(texts)
    while True:
        part = [t for _, t in zip(range(batch), texts)]
        if not part:
            return ids, vocab
        for tokens in tokenize(part):
            ids.append([vocab.setdefault(tok, len(vocab)) for tok in tokens])


def _positions(values: Iterable[Iterable[str]]) -> dict[str, np.ndarray]:
    """value -> positions of the chunks that have it (each chunk has zero or more values)."""
    found: dict[str, list[int]] = {}
    for n, vals in enumerate(values):
        for value in vals:
            found.setdefault(value, []).append(n)
    return {value: np.array(ns, dtype=np.int64) for value, ns in found.items()}


class LexicalStore:
    """Keeps a process's BM25 index in step with the Chroma manifest, loading or rebuilding it as needed."""

    def __init__(self, index, folder: Path, text_of):
        self.index = index  # rag.index.ChromaIndex
        self.folder = folder
        self.text_of = text_of  # Chunk -> the text BM25 indexes (same as what is embedded)
        self._current: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._background: threading.Thread | None = None
        self.notices: list[str] = []  # messages for the user, e.g. "rebuilt a damaged BM25 index"

    def sync(self, wait: bool = False, repair: bool = False) -> LexicalIndex:
        """The BM25 index for the manifest's current version.

        When this process already has one for an older version and `wait` is false, that one is returned while a
        background thread brings it up to date (see the module docstring); otherwise this waits for it. `repair`
        also re-reads the saved copy and rebuilds it if it is damaged or disagrees with the manifest.
        """
        self.index.refresh()
        version = self.index.seen_version or ""
        current = self._current
        if current is not None and current.version == version and not repair:
            return current
        if current is not None and not wait and not repair:
            self._rebuild_in_background()
            return current
        with self._lock:
            # A writer (wait, no repair) finding no saved copy is normal: its first ingest builds the first one.
            return self._load_or_rebuild(version, repair, missing_is_news=repair or not wait)

    def _load_or_rebuild(self, version: str, repair: bool = False, missing_is_news: bool = True) -> LexicalIndex:
        if self._current is not None and self._current.version == version and not repair:
            return self._current  # another thread got here first
        loaded, damaged = self._load()
        if loaded is None and not damaged and missing_is_news and self.index.live_ids and self._current is None:
            # Expected in a new process on a shared server: worth a notice, not a warning.
            self._notice(f"no BM25 index at {self.folder}: building it from the vector store", logging.INFO)
        if loaded is not None and loaded.version == version and loaded.cased is None:
            log.info("BM25 index at %s was saved without the words written as names; rebuilding it", self.folder)
        elif loaded is not None and loaded.version == version:
            problem = self._disagreement(loaded) if repair else None
            if problem is None:
                self._current = loaded
                return loaded
            self._notice(f"BM25 index at {self.folder} {problem}; rebuilding it from the vector store")
        self._current = self.rebuild(version)
        return self._current

    def _load(self) -> tuple[LexicalIndex | None, bool]:
        """(the saved copy or None, whether it was damaged); a damaged copy gets a notice: it is rebuilt."""
        try:
            return LexicalIndex.load(self.folder), False
        except ValueError as first:
            try:  # another process sharing the folder may have replaced it while we read: look once more
                return LexicalIndex.load(self.folder), False
            except ValueError:
                self._notice(f"{first}; rebuilding it from the vector store")
                return None, True

    def _rebuild_in_background(self) -> None:
        if self._background is not None and self._background.is_alive():
            return

        def run() -> None:
            try:
                with self._lock:
                    self.index.refresh()
                    self._load_or_rebuild(self.index.seen_version or "")
            except (PodragError, OSError) as exc:  # the next query tries again; a lost server is reported there
                log.warning("background BM25 rebuild failed: %s", exc)

        self._background = threading.Thread(target=run, name="bm25-rebuild", daemon=True)
        self._background.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild, if one is running."""
        thread = self._background
        if thread is not None:
            thread.join(timeout)

    def rebuild(self, version: str | None = None) -> LexicalIndex:
        if version is None:
            self.index.refresh()
            version = self.index.seen_version or ""
        # Chunks are read page by page and only their text and ChunkInfo kept: at 1,000 episodes the chunks
        # themselves (with per-sentence moments) would take gigabytes. Sorted for a deterministic index.
        # The words written as names are counted over what was said (not the chapter headers every chunk repeats).
        tally = CaseTally()
        rows = sorted(
            ((c.episode_id, c.seq, c.id), ChunkInfo.of(c), self.text_of(c))
            for c in tally.watch(self.index.iter_live_chunks())
        )
        chunks = [info for _, info, _ in rows]
        built = LexicalIndex.from_infos(chunks, (text for _, _, text in rows), version, tally.names())
        del rows
        try:
            built.save(self.folder)
        except OSError as exc:  # e.g. a full disk: this process still has it in memory
            self._notice(f"could not save the BM25 index to {self.folder} ({exc}); it is kept in memory only")
        log.info("BM25 index rebuilt: %d chunks", len(chunks))
        return built

    def _disagreement(self, lexical: LexicalIndex) -> str | None:
        ids = [i.id for i in lexical.infos]
        live = self.index.live_ids
        if len(ids) != len(set(ids)):
            return "lists a chunk twice"
        extra, missing = len(set(ids) - live), len(live - set(ids))
        if extra or missing:
            return f"disagrees with the manifest ({extra} chunks too many, {missing} missing)"
        return None

    def check(self) -> str | None:
        """What is wrong with the saved BM25 index compared with the manifest, or None when nothing is.

        A missing or older saved copy is not wrong: it is rebuilt on first use. A damaged one, or one that claims
        the current version but lists other chunks, is.
        """
        self.index.refresh()
        try:
            saved = LexicalIndex.load(self.folder)
        except ValueError as exc:
            return str(exc)
        if saved is None or saved.version != self.index.seen_version:
            return None
        return self._disagreement(saved)

    def _notice(self, text: str, level: int = logging.WARNING) -> None:
        log.log(level, text)
        self.notices.append(text)
