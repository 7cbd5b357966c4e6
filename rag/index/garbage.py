"""Deleting chunks no episode lists: the previous version's after a commit, and orphans an interrupted ingest left
(invisible to queries).

An embedded store is written by one process at a time (rag/index/lock.py), so a writer may delete every unlisted
chunk. On a server several processes may ingest at once, so an unlisted chunk may belong to an ingest still in
progress elsewhere: one that wrote it (orphans younger than `GC_GRACE_SECONDS` stay), or one that found it stored
and will list it in its commit. That one claims the chunks it reuses before it relies on them (`claim`), and chunks
claimed within the grace period stay too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.index.store import ChromaIndex

# On a shared server, unlisted chunks younger than this may be an ingest in progress in another process.
GC_GRACE_SECONDS = 3600.0


def collect_garbage(index: ChromaIndex, grace: float | None = None) -> int:
    """Delete chunks that no episode lists. Returns how many.

    `grace` spares orphans written less than that many seconds ago; the default is none for the embedded store
    (writers hold its lock) and `GC_GRACE_SECONDS` for a server.
    """
    if grace is None:
        grace = GC_GRACE_SECONDS if index.is_server else 0.0
    index.refresh()
    live = index.live_ids
    if index.count() <= len(live):
        return 0  # the usual case: no orphans, and no need to list every chunk to know it
    cutoff = time.time() - grace
    # Only the age needs metadata; without a grace period the ids alone will do (much less to read).
    listing = index.all_chunk_metadata() if grace > 0 else ((cid, {}) for cid in index.all_chunk_ids())
    orphans = [cid for cid, meta in listing if cid not in live and _last_used(meta) <= cutoff]
    # A commit since the refresh above may list some of them now: check against the latest manifest.
    index.refresh()
    orphans = [cid for cid in orphans if cid not in index.live_ids]
    index.delete_chunks(orphans)
    return len(orphans)


def drop_unlisted(index: ChromaIndex, ids: Sequence[str]) -> list[str]:
    """Delete those of `ids` (the chunks a commit or a removal stopped listing) that no episode lists now; on a
    server, not those another ingest claimed within the grace period. Returns the ids deleted."""
    index.refresh()
    unlisted = [cid for cid in ids if cid not in index.live_ids]
    if index.is_server and unlisted:
        cutoff = time.time() - GC_GRACE_SECONDS
        claimed = index.chunk_metadata(unlisted)
        unlisted = [cid for cid in unlisted if float(claimed.get(cid, {}).get("claimed", 0.0)) <= cutoff]
    index.delete_chunks(unlisted)
    return unlisted


def _last_used(meta: dict) -> float:
    """When the chunk was written or last claimed by an ingest, whichever is later."""
    return max(float(meta.get("written", 0.0)), float(meta.get("claimed", 0.0)))
