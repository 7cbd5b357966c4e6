"""Pytest fixtures for a real `chroma run` server (marker `server`): see tools/chroma_server.py.

`make test` needs nothing extra: the `chroma` command comes with the chromadb package, next to sys.executable.
"""

from __future__ import annotations

import pytest

from tools.chroma_server import ChromaServer


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """One Chroma server for the session; tests keep apart by using their own collection names."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db").start()
    yield server
    server.stop()


@pytest.fixture
def own_chroma_server(tmp_path):
    """A Chroma server for one test, which it may kill and restart."""
    server = ChromaServer(tmp_path / "chroma-db").start()
    yield server
    server.stop()
