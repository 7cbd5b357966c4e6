"""The manifest: one record per episode (in its own small collection) listing the chunk ids that make it up.

Writing an episode's record is the commit point of an ingest: chunks are added before it and stale ones deleted
after it, so a crash at any moment leaves the old version or the new one visible, never half of either. Chunks no
record lists are invisible to queries. Because the manifest lives in Chroma, every process sharing a Chroma server
sees the same episodes.

Each record carries a stamp, and a `__version__` record changes with every commit, so a process re-reads only the
records that changed since it last looked (one small read per query when nothing did).

Readers of an embedded store in another process than the writer (the app while `podcast-rag ingest` runs) see a
commit whole or not at all: a version this process did not write makes it open the store afresh before it reads
the new records (see ChromaConnection.reopen), so a listed chunk is always one it can read and search.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque

from rag.index.connection import ChromaConnection, batches
from rag.models import EpisodeRecord

VERSION_ID = "__version__"
# Chroma needs a vector per record; manifest records are looked up by id only.
_NO_VECTOR = [1.0]


class Manifest:
    """This process's snapshot of the episode records, brought up to date by `refresh`."""

    def __init__(self, conn: ChromaConnection):
        self.conn = conn
        self._version: str | None = None
        self._records: dict[str, EpisodeRecord] = {}
        self._stamps: dict[str, str] = {}
        self._live: set[str] = set()
        self._lock = threading.Lock()
        self._written: deque[str] = deque(maxlen=16)  # versions this process wrote: not news to reopen for
        conn.on_lost = self.forget

    def forget(self) -> None:
        """Drop the snapshot (the store lost its data): the next refresh reads everything again."""
        self._version, self._records, self._stamps, self._live = None, {}, {}, set()

    def version(self) -> str:
        """A token that changes whenever any episode is committed or removed."""
        got = self.conn.call("read version", "episodes", "get", ids=[VERSION_ID], include=["documents"])
        return got["documents"][0] if got["ids"] else ""

    @property
    def seen_version(self) -> str | None:
        """The version as last refreshed (None before the first refresh)."""
        return self._version

    @property
    def live(self) -> set[str]:
        """Ids of the chunks the records list, as last refreshed. A new set replaces it on each change, never
        mutated once published: queries in other threads keep a consistent snapshot."""
        return self._live

    @property
    def snapshot(self) -> dict[str, EpisodeRecord]:
        """The records as last refreshed (not copied: do not modify)."""
        return self._records

    def refresh(self) -> bool:
        """Catch up with commits made since the last look (here or in another process). True when any were.

        Re-reads only the records whose stamp changed: the first call reads every record, later ones a few.
        """
        with self._lock:
            version = self.version()
            if version == self._version:
                return False
            if self._version is not None and version not in self._written and not self.conn.is_server:
                self.conn.reopen()  # before the new records are published: queries that see them can read them
            got = self.conn.call("read episode stamps", "episodes", "get", include=["metadatas"])
            stamps = {
                rid: str((meta or {}).get("stamp", ""))
                for rid, meta in zip(got["ids"], got["metadatas"])
                if rid != VERSION_ID
            }
            # Records written before stamps existed have none: re-read those every time.
            changed = [rid for rid, stamp in stamps.items() if not stamp or self._stamps.get(rid) != stamp]
            gone = [rid for rid in self._records if rid not in stamps]
            records = {rid: rec for rid, rec in self._records.items() if rid in stamps}
            for batch in batches(changed, 200):
                docs = self.conn.call("read episodes", "episodes", "get", ids=batch, include=["documents"])
                for rid, doc in zip(docs["ids"], docs["documents"]):
                    records[rid] = EpisodeRecord.from_json(json.loads(doc))
            live = set(self._live)
            for rid in [*changed, *gone]:
                if rid in self._records:
                    live.difference_update(self._records[rid].chunk_ids)
            for rid in changed:
                if rid in records:
                    live.update(records[rid].chunk_ids)
            self._records, self._live = records, live
            self._stamps = {rid: stamps[rid] for rid in records}
            self._version = version
            return True

    def write(self, record: EpisodeRecord) -> None:
        """Make `record` its episode's visible version (the commit point)."""
        self.conn.call(
            "write episode",
            "episodes",
            "upsert",
            ids=[record.id],
            embeddings=[_NO_VECTOR],
            documents=[json.dumps(record.to_json())],
            metadatas=[{"stamp": uuid.uuid4().hex}],
        )
        self._bump_version()

    def delete(self, episode_id: str) -> None:
        self.conn.call("remove episode", "episodes", "delete", ids=[episode_id])
        self._bump_version()

    def _bump_version(self) -> None:
        token = uuid.uuid4().hex
        self._written.append(token)
        self.conn.call("write version", "episodes", "upsert", ids=[VERSION_ID], embeddings=[_NO_VECTOR],
                       documents=[token])

