"""Garbage collection: chunks that no episode lists, left by an interrupted ingest (invisible to queries).

An embedded store is written by one process at a time (rag/index/lock.py), so a writer may collect every orphan.
On a server several processes may ingest at once, so an unlisted chunk may belong to an ingest still in progress
elsewhere: only orphans older than `GC_GRACE_SECONDS` go.
"""

from __future__ import annotations

import time
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
    orphans = [cid for cid, meta in listing if cid not in live and float(meta.get("written", 0.0)) <= cutoff]
    # A commit since the refresh above may list some of them now: check against the latest manifest.
    index.refresh()
    orphans = [cid for cid in orphans if cid not in index.live_ids]
    index.delete_chunks(orphans)
    return len(orphans)
