"""Errors a user can act on: each names the file, the place and what was expected."""

from __future__ import annotations

from pathlib import Path


class PodragError(Exception):
    """Base class for errors shown to users as one line, without a traceback."""


class SourceError(PodragError):
    """A source file could not be read as what it claims to be."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"


class IndexUnavailableError(PodragError):
    """The index is missing, unreadable or out of reach (e.g. the Chroma server is down)."""


class EmbeddingUnavailableError(PodragError):
    """The embedding model or endpoint cannot embed (e.g. the embeddings server is down)."""


class EmptyLibraryError(PodragError):
    """Nothing is indexed yet (a fresh clone): a question or a claim has nothing to be looked up in. One message
    for the CLI, the chat and the app's tabs, so a new user meets the same words wherever they start."""

    def __init__(self, location: str):
        self.location = location
        super().__init__(f"The library at {location} is empty: add episodes first with `podcast-rag ingest FOLDER` "
                         "or `podcast-rag add URL`, or in the app's Library tab.")


class UnknownEpisodeError(PodragError):
    """An episode id that is not in the index."""
