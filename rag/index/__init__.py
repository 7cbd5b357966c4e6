"""The index: chunks, their vectors and the episode manifest in Chroma (see rag/index/store.py for the parts).
BM25 is kept beside it by rag/lexical.py."""

from rag.index.store import ChromaIndex
from rag.index.verify import IndexCheck

__all__ = ["ChromaIndex", "IndexCheck"]
