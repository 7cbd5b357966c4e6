"""`podcast-rag doctor`'s check of the store against the manifest: every listed chunk stored under its episode,
none listed twice, and how many orphans there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.index.store import ChromaIndex


@dataclass
class IndexCheck:
    """What `verify` found; `ok` means every listed episode is complete and nothing is shared."""

    episodes: int = 0
    chunks_listed: int = 0  # chunk ids the manifest lists
    chunks_stored: int = 0  # chunk records in the store, listed or not
    missing: dict[str, int] = field(default_factory=dict)  # episode id -> listed chunks absent from the store
    misfiled: dict[str, int] = field(default_factory=dict)  # episode id -> listed chunks stored under another episode
    shared: int = 0  # chunk ids listed by more than one episode
    orphans: int = 0  # stored chunks no episode lists: invisible; an interrupted ingest leaves them
    lexical: str | None = None  # a disagreement between BM25 and the manifest (see LexicalStore.check)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.misfiled or self.shared or self.lexical)

    @property
    def clean(self) -> bool:
        """ok, and no orphan chunks left either."""
        return self.ok and not self.orphans

    def lines(self) -> list[str]:
        """The findings, one line each, for people."""
        out = [f"{self.episodes} episodes, {self.chunks_listed} chunks listed, {self.chunks_stored} stored"]
        out += [f"episode {e}: {n} of its chunks are missing from the store" for e, n in sorted(self.missing.items())]
        out += [f"episode {e}: {n} of its chunks are stored under another episode"
                for e, n in sorted(self.misfiled.items())]
        if self.shared:
            out.append(f"{self.shared} chunk ids are listed by more than one episode")
        if self.orphans:
            out.append(f"{self.orphans} orphan chunks (invisible; the next ingest removes them)")
        if self.lexical:
            out.append(f"BM25: {self.lexical}")
        return out


def verify(index: ChromaIndex) -> IndexCheck:
    """Reads every chunk's metadata: a maintenance task, not a query."""
    index.refresh()
    records = index.manifest.snapshot
    check = IndexCheck(episodes=len(records))
    owner: dict[str, str] = {}
    for rid, record in records.items():
        for cid in record.chunk_ids:
            if cid in owner:
                check.shared += 1
            owner[cid] = rid
    check.chunks_listed = len(owner)
    found: set[str] = set()
    for cid, meta in index.all_chunk_metadata():
        check.chunks_stored += 1
        rid = owner.get(cid)
        if rid is None:
            check.orphans += 1
            continue
        found.add(cid)
        if meta.get("episode_id") != rid:
            check.misfiled[rid] = check.misfiled.get(rid, 0) + 1
    for cid, rid in owner.items():
        if cid not in found:
            check.missing[rid] = check.missing.get(rid, 0) + 1
    return check
