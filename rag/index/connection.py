"""The connection to Chroma: an embedded store (`PersistentClient`) or a server (`HttpClient`), its collections,
and what its failures mean to a user.

A process that has only read an embedded store (every question) reads it through Chroma's engine without its
Python client (rag/index/reader.py: the client's import is most of a fresh `ask`); the first write, or a store the
reader cannot open, opens the client, and from then on every call goes through it.

Failures are classified by exception type: on a server, a transport error (refused, reset, timed out) means it did
not answer and chromadb's `NotFoundError` means the collections are gone; either resets the connection, so the next
call reconnects. On the embedded store, chromadb's `InternalError` means this process's view is older than the
files (see `reopen`). Anything else propagates as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from rag.errors import IndexUnavailableError
from rag.settings import Settings
from rag.text import clip

# Collection kinds -> whether it holds embeddings (cosine space, one embedding model) or records looked up by id.
COLLECTIONS = {"chunks": True, "episodes": False}
READS = frozenset({"get", "query", "count"})  # the collection methods rag/index/reader.py serves


class ChromaConnection:
    """Opens the client and the chunk and episode collections on first use, and again after a reset."""

    def __init__(self, settings: Settings, embed_model: str):
        self.settings = settings
        self.embed_model = embed_model
        self.location = settings.chroma_url or str(settings.index / "chroma")
        self._client = None
        # kind -> collection; replaced whole (never mutated), so a reader sees all of them or none.
        self._open: dict[str, Any] = {}
        # kind -> read-only collection while no client is open ({}: none to read, use the client); same rule.
        self._reader: dict[str, Any] | None = None
        self._open_lock = threading.Lock()
        # Called when a server no longer has the collections: whatever was read from them is void.
        self.on_lost: Callable[[], None] = lambda: None

    @property
    def is_server(self) -> bool:
        return bool(self.settings.chroma_url)

    def collection(self, kind: str):
        """The `<prefix>-<kind>` collection (a kind of `COLLECTIONS`); all are opened, and created when missing,
        on first use."""
        opened = self._open  # one read: a reset in another thread must not empty it between check and use
        return (opened or self._opened())[kind]

    def _opened(self) -> dict[str, Any]:
        # One thread connects; threads arriving meanwhile wait for its connection instead of opening their own.
        with self._open_lock:
            if self._open:
                return self._open
            try:
                # A local client: a reset in another thread (it takes no lock) must not swap it out mid-open.
                client = self._connect()
                opened = {kind: self._get_or_create(client, kind, vectors) for kind, vectors in COLLECTIONS.items()}
            except Exception as exc:  # whatever stops it opening, the user's remedy is at that location
                raise IndexUnavailableError(
                    f"cannot open the Chroma index at {self.location}: {one_line(exc)}") from exc
            self._check_model(opened)
            self._client, self._open, self._reader = client, opened, None
            return opened

    def _reading(self, kind: str, method: str):
        """The collection to call `method` on: the read-only one while this process has only read an embedded
        store, the client's otherwise."""
        if method not in READS or self.is_server or self._open:
            return self.collection(kind)
        reader = self._reader
        if reader is None:
            with self._open_lock:
                if self._reader is None and not self._open:
                    from rag.index.reader import open_reader

                    names = {k: f"{self.settings.collection}-{k}" for k in COLLECTIONS}
                    got = open_reader(self.settings.index / "chroma", names) or {}
                    self._check_model(got)
                    self._reader = got
                reader = self._reader or {}
        return reader[kind] if reader and not self._open else self.collection(kind)

    def _check_model(self, collections: dict[str, Any]) -> None:
        for got in collections.values():
            built_with = (got.metadata or {}).get("embed_model")
            if built_with and built_with != self.embed_model:
                raise IndexUnavailableError(
                    f"the index at {self.location} was built with the embedding model {built_with!r}, not "
                    f"{self.embed_model!r}: use another --index folder, or set PODRAG_EMBED_MODEL={built_with}"
                )

    def _get_or_create(self, client, kind: str, vectors: bool):
        name = f"{self.settings.collection}-{kind}"
        if not vectors:
            return client.get_or_create_collection(name, embedding_function=None)
        return client.get_or_create_collection(
            name,
            # ef_search well above the 40 candidates asked for: the approximate search then returns the same
            # neighbours as an exact one, run after run (the default 100 let the tail vary).
            configuration={"hnsw": {"space": "cosine", "ef_search": 200}},
            metadata={"embed_model": self.embed_model},
            embedding_function=None,
        )

    def max_batch_size(self) -> int:
        self.collection("chunks")
        return self._client.get_max_batch_size()

    def reset(self) -> None:
        """Forget the collections: the next call opens them again."""
        self._open, self._reader = {}, None

    def reopen(self) -> None:
        """Open the embedded store afresh, to see another process's commits.

        Chroma's embedded store reads another process's records from SQLite at once, but keeps the vector index it
        loaded: asked for the vectors of chunks another process added, it fails ("Error finding id"), and its
        searches never return them. A new client loads both from disk. chromadb shares one client state per path
        within a process, so that state is taken out of its registry (not stopped: other threads may be in a call
        on it; it is freed once nobody uses it) before the next call opens a new one.
        """
        # Under the opening lock: no thread may open a client on the old state between the reset and its removal.
        # A read-only view is simply dropped: the next read opens the engine afresh.
        with self._open_lock:
            client = self._client
            self.reset()
            if client is not None and not self.is_server:
                from chromadb.api.shared_system_client import SharedSystemClient

                with SharedSystemClient._refcount_lock:
                    SharedSystemClient._identifier_to_system.pop(client._identifier, None)
                    SharedSystemClient._identifier_to_refcount.pop(client._identifier, None)

    def call(self, what: str, kind: str, method: str, **kwargs):
        """`<kind collection>.<method>(**kwargs)`, turning failures into one clear error.

        Server: a lost server or lost collections become `IndexUnavailableError` (and the next call reconnects).
        Embedded: Chroma's `InternalError` is retried once on a freshly opened store (a commit by another process
        between this process's look at the manifest and this call); a second one is an `IndexUnavailableError`.
        """
        try:
            return getattr(self._reading(kind, method), method)(**kwargs)
        except IndexUnavailableError:
            raise
        except Exception as exc:
            if not self.is_server:
                if not is_internal_error(exc):
                    raise
                self.reopen()
                try:
                    return getattr(self._reading(kind, method), method)(**kwargs)
                except Exception as again:
                    if not is_internal_error(again):
                        raise
                    raise IndexUnavailableError(
                        f"the index at {self.location} cannot be read ({what}): {one_line(again)}; "
                        "`podcast-rag doctor` checks it"
                    ) from again
            if is_connection_error(exc):
                self.reset()
                raise IndexUnavailableError(
                    f"the Chroma server at {self.settings.chroma_url} did not answer ({what}): {one_line(exc)}"
                ) from exc
            if is_missing_collection(exc):
                # The server lost its data (restarted on an empty folder, or someone deleted the collections).
                self.reset()
                self.on_lost()
                raise IndexUnavailableError(
                    f"the Chroma server at {self.settings.chroma_url} no longer has the collections "
                    f"{self.settings.collection}-*: was it restarted on another --path? ({one_line(exc)})"
                ) from exc
            raise

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        # Telemetry off; no embedding function is ever configured or sent (see README, Security).
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.settings.chroma_url:
            url = urlsplit(self.settings.chroma_url)
            token = self.settings.chroma_token
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                # For the authenticating proxy in front of the server (Chroma itself checks nothing).
                headers={"Authorization": f"Bearer {token.get_secret_value()}"} if token else None,
                settings=chroma_settings,
            )
            # chromadb's HTTP session never times out; a hung server must not hang every query with it.
            session = getattr(getattr(client, "_server", None), "_session", None)
            if session is not None:
                import httpx

                session.timeout = httpx.Timeout(self.settings.chroma_timeout)
            return client
        self.settings.index.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.settings.index / "chroma"), settings=chroma_settings)


def batches(items: list, size: int) -> Iterator[list]:
    """`items` in slices of `size`: Chroma calls are sent a bounded number of ids at a time."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def one_line(exc: Exception) -> str:
    return clip(" ".join(str(exc).split()) or type(exc).__name__, 200)


def is_connection_error(exc: Exception) -> bool:
    """The server did not answer: refused, reset, unreachable or timed out (httpx's transport errors)."""
    import httpx

    return isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError))


def is_internal_error(exc: Exception) -> bool:
    from chromadb.errors import InternalError

    return isinstance(exc, InternalError)


def is_missing_collection(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)
