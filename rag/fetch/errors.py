"""The one error every fetching step raises: one line naming the URL (or file) and what went wrong."""

from __future__ import annotations

from rag.errors import PodragError


class FetchError(PodragError):
    """A source could not be fetched or is not what `add` can use. `network` marks failures to reach a server at
    all (no DNS answer, no route, refused), so that a machine without network gets one line, not one per URL."""

    def __init__(self, source: str, message: str, *, network: bool = False):
        self.source = source
        self.message = message
        self.network = network
        super().__init__(f"{source}: {message}")
