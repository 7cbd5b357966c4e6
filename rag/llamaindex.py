"""podcast-rag's hybrid retriever as a llama-index `BaseRetriever`, for use inside llama-index pipelines
(query engines, routers, evaluators). Passages become `TextNode`s whose metadata carries episode, times, speakers,
chapter or section and the deep link, so a llama-index response can still be cited to the second.
"""

from __future__ import annotations

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.models import Filters, Passage
from rag.retrieval import Retriever


def passage_node(p: Passage) -> NodeWithScore:
    c = p.chunk
    metadata = {
        "episode_id": c.episode_id,
        "source_type": c.source_type,
        "start": c.start,
        "end": c.end,
        "speakers": ", ".join(c.speakers),
        "chapter": c.chapter,
        "section": c.section,
        "url": p.url,
    }
    node = TextNode(id_=c.id, text=c.text, metadata={k: v for k, v in metadata.items() if v not in (None, "")},
                    excluded_embed_metadata_keys=["url"], excluded_llm_metadata_keys=["url"])
    return NodeWithScore(node=node, score=p.score)


class LlamaIndexRetriever(BaseRetriever):
    """Adapter: `retrieve(query)` returns our hybrid top-k passages as nodes."""

    def __init__(self, retriever: Retriever, k: int = 10, filters: Filters | None = None):
        super().__init__()
        self._inner = retriever
        self._k = k
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [passage_node(p) for p in self._inner.search(query_bundle.query_str, self._k, self._filters)]
