"""Reading the embedded store through Chroma's own engine, without importing chromadb's Python client.

`import chromadb` takes ~1.2 s on this project's machine (pydantic models, OpenTelemetry, and the `overrides`
library checking every method signature as the classes are built), more than the rest of a fresh `podcast-rag ask`
or `search` together. The client is a thin layer over `chromadb_rust_bindings`, the compiled engine shipped in the
same wheel (imported in ~20 ms): a process that only reads (every question) calls the engine's `get`, `query` and
`count` directly, with the arguments the client passes it (chromadb/api/rust.py). Anything that writes, creates a
collection or finds no store opens the full client instead (rag/index/connection.py); so does a store whose schema
needs migrating, since this reader only validates it.

The engine's methods are not a documented API: chromadb is pinned (constraints.txt), and
tests/test_index_reader.py compares this reader with the client on the same store, so an upgrade that changes them
fails there rather than in a user's query.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TENANT, DATABASE = "default_tenant", "default_database"


class ReadOnlyCollection:
    """The read methods of a chromadb `Collection`, with the same arguments and results (plain dicts)."""

    def __init__(self, bindings: Any, model: Any):
        self._bindings = bindings
        self.id = str(model.id)
        self.name = model.name
        self.metadata = model.metadata

    def get(self, ids: Sequence[str] | None = None, where: dict | None = None, limit: int | None = None,
            offset: int | None = None, where_document: dict | None = None,
            include: Sequence[str] = ("metadatas", "documents")) -> dict[str, Any]:
        got = self._bindings.get(self.id, list(ids) if ids is not None else None, _json(where), limit, offset or 0,
                                 _json(where_document), list(include), TENANT, DATABASE)
        return _result(got, include, query=False)

    def query(self, query_embeddings: Sequence[Sequence[float]], n_results: int = 10, where: dict | None = None,
              where_document: dict | None = None, ids: Sequence[str] | None = None,
              include: Sequence[str] = ("metadatas", "documents", "distances")) -> dict[str, Any]:
        import numpy as np

        vectors = np.asarray(query_embeddings, dtype=np.float32)
        got = self._bindings.query(self.id, list(ids) if ids is not None else None, vectors, n_results,
                                   _json(where), _json(where_document), list(include), TENANT, DATABASE)
        return _result(got, include, query=True)

    def count(self) -> int:
        return self._bindings.count(self.id, TENANT, DATABASE)


def open_reader(folder: Path, names: dict[str, str]) -> dict[str, ReadOnlyCollection] | None:
    """Read-only collections {kind: collection} of the embedded store in `folder`, or None when there is none to
    read (no store yet, a collection missing, a schema this version must migrate first): the caller then opens the
    full client, which creates or migrates it. `names` maps each kind to its collection name."""
    database = folder / "chroma.sqlite3"
    if not database.is_file():  # the engine would create an empty, unmigrated file in its place
        return None
    import chromadb_rust_bindings as engine

    try:
        config = engine.SqliteDBConfig(hash_type=engine.MigrationHash.MD5,  # chromadb's default
                                       migration_mode=engine.MigrationMode.Validate, url=str(database))
        bindings = engine.Bindings(allow_reset=False, sqlite_db_config=config, persist_path=str(folder),
                                   hnsw_cache_size=_hnsw_cache_size())
        return {kind: ReadOnlyCollection(bindings, bindings.get_collection(name, TENANT, DATABASE))
                for kind, name in names.items()}
    except Exception:  # noqa: BLE001 - any failure here is the full client's to report (or to repair)
        return None


def _hnsw_cache_size() -> int:
    # As chromadb's client sizes it: each open vector index holds 5 files.
    try:
        import resource
    except ImportError:  # Windows: the C runtime's default limit
        return 512 // 5
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 5


def _json(where: dict | None) -> str | None:
    return json.dumps(where) if where else None


def _result(got: Any, include: Sequence[str], query: bool) -> dict[str, Any]:
    out = {"ids": got.ids, "documents": got.documents, "metadatas": got.metadatas, "embeddings": got.embeddings,
           "uris": got.uris if "uris" in include else None, "included": list(include)}
    if query:
        out["distances"] = got.distances
    if "embeddings" in include and got.embeddings is not None:
        import numpy as np

        out["embeddings"] = [np.array(e) for e in got.embeddings] if query else np.array(got.embeddings)
    return out
