"""The right to write an embedded store: an exclusive lock file beside it.

Chroma's embedded store is not safe for several writing processes, so a second writer fails fast with a message
naming the holder instead of corrupting the store. On a server there is nothing to hold: Chroma serialises
writes, and the manifest (rag/index/manifest.py) keeps concurrent ingests apart.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from rag.errors import IndexUnavailableError
from rag.settings import Settings


@contextlib.contextmanager
def write_lock(settings: Settings) -> Iterator[None]:
    """Hold the embedded index's write lock (no-op for a server); raises `IndexUnavailableError` when another
    process holds it."""
    if settings.chroma_url:
        yield
        return
    settings.index.mkdir(parents=True, exist_ok=True)
    path = settings.index / "write.lock"
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise IndexUnavailableError(
                f"the index at {settings.index} is being written by {holder}: wait for it to finish "
                "(several writers need a Chroma server, PODRAG_CHROMA_URL)"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"process {os.getpid()}")
        lock.flush()
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)
