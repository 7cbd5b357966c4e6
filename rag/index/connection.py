"""The connection to Chroma: an embedded store (`PersistentClient`) or a server (`HttpClient`), its two
collections, and what its failures mean to a user.

Failures are classified by exception type: a transport error (refused, reset, timed out) means the server did not
answer; chromadb's `NotFoundError` on a server means the collections are gone. Either resets the connection, so the
next call reconnects. Anything else is not the store being unreachable and propagates as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from rag.errors import IndexUnavailableError
from rag.settings import Settings


# Collection kinds -> whether it holds embeddings (cosine space, one embedding model) or records looked up by id.
COLLECTIONS = {"chunks": True, "episodes": False}


class ChromaConnection:
    """Opens the client and the chunk and episode collections on first use, and again after a reset."""

    def __init__(self, settings: Settings, embed_model: str):
        self.settings = settings
        self.embed_model = embed_model
        self.location = settings.chroma_url or str(settings.index / "chroma")
        self._client = None
        self._open: dict[str, Any] = {}
        # Called when a server no longer has the collections: whatever was read from them is void.
        self.on_lost: Callable[[], None] = lambda: None

    @property
    def is_server(self) -> bool:
        return bool(self.settings.chroma_url)

    def collection(self, kind: str):
        """The `<prefix>-<kind>` collection (a kind of `COLLECTIONS`); all are opened, and created when missing,
        on first use."""
        if not self._open:
            try:
                self._client = self._connect()
                opened = {kind: self._get_or_create(kind, vectors) for kind, vectors in COLLECTIONS.items()}
            except Exception as exc:  # whatever stops it opening, the user's remedy is at that location
                raise IndexUnavailableError(f"cannot open the Chroma index at {self.location}: {one_line(exc)}") from exc
            for got in opened.values():
                built_with = (got.metadata or {}).get("embed_model")
                if built_with and built_with != self.embed_model:
                    raise IndexUnavailableError(
                        f"the index at {self.location} was built with the embedding model {built_with!r}, not "
                        f"{self.embed_model!r}: use another --index folder, or set PODRAG_EMBED_MODEL={built_with}"
                    )
            self._open = opened
        return self._open[kind]

    def _get_or_create(self, kind: str, vectors: bool):
        name = f"{self.settings.collection}-{kind}"
        if not vectors:
            return self._client.get_or_create_collection(name, embedding_function=None)
        return self._client.get_or_create_collection(
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
        """Forget the client and collections: the next call opens them again."""
        self._open = {}

    def call(self, what: str, fn: Callable[..., Any], *args, **kwargs):
        """Run a Chroma call, turning a lost server into one clear error (and reconnecting on the next call)."""
        try:
            return fn(*args, **kwargs)
        except IndexUnavailableError:
            raise
        except Exception as exc:
            if not self.is_server:
                raise
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
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def is_connection_error(exc: Exception) -> bool:
    """The server did not answer: refused, reset, unreachable or timed out (httpx's transport errors)."""
    import httpx

    return isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError))


def is_missing_collection(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)
