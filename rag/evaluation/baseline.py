"""The baseline: what a user gets from about twenty lines of llama-index.

`VectorStoreIndex` over each episode's raw transcript text (the segments' text joined, no speakers, no chapters)
cut by llama-index's default `SentenceSplitter` (1,024 tokens, 200 overlap), embedded by the same model, top-k by
cosine. The only additions are bookkeeping so it can be scored like everything else: a map from character offsets
to transcript times gives every node a start and end, and the embeddings go through our cache (the vectors are
the same normalised all-MiniLM-L6-v2 vectors llama-index's HuggingFaceEmbedding would compute).

Offline by construction: `Settings.llm` is set to llama-index's MockLLM (its default would resolve to OpenAI) and
the embedding model is always passed explicitly.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.embedding import CachedEmbedder
from rag.errors import PodragError
from rag.models import Chunk, Episode, Filters, Moment, Passage
from rag.sources import discover, load_episode

BASELINE_VERSION = "1"


def _embedding_adapter(embedder: CachedEmbedder):
    """A llama-index BaseEmbedding over our CachedEmbedder (defined lazily: llama-index is slow to import)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class CachedEmbedding(BaseEmbedding):
        _inner: Any = PrivateAttr()

        def __init__(self, inner: CachedEmbedder, **kwargs: Any):
            super().__init__(model_name=inner.name, embed_batch_size=64, **kwargs)
            self._inner = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._inner.embed([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._inner.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._inner.embed(texts).tolist()

    return CachedEmbedding(embedder)


class TimeMap:
    """Character offset in an episode's joined transcript text -> the time of the segment it falls in."""

    def __init__(self, episode: Episode):
        segments = [s for s in (episode.transcript.segments if episode.transcript else []) if s.text.strip()]
        parts, self.offsets, self.starts, self.ends = [], [], [], []
        pos = 0
        for i, seg in enumerate(segments):
            text = seg.text.strip()
            nxt = segments[i + 1].start if i + 1 < len(segments) else None
            self.offsets.append(pos)
            self.starts.append(seg.start)
            self.ends.append(seg.end if seg.end is not None else (nxt if nxt is not None else seg.start))
            parts.append(text)
            pos += len(text) + 1
        self.text = " ".join(parts)

    def _segment(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.offsets, offset) - 1)

    def span(self, start_char: int, end_char: int) -> tuple[float, float]:
        """Start of the segment holding the first character, end of the one holding the last."""
        return self.starts[self._segment(start_char)], self.ends[self._segment(max(start_char, end_char - 1))]


def _corpus_fingerprint(paths: Sequence[Path]) -> tuple[list, str]:
    sources, errors = discover(list(paths))
    if errors:
        raise PodragError(str(errors[0]))
    h = hashlib.sha256(BASELINE_VERSION.encode())
    for src in sorted(sources, key=lambda s: s.id):
        h.update(src.id.encode())
        for f in sorted(src.files, key=lambda p: (p.name, str(p))):
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return sources, h.hexdigest()


class LlamaIndexBaseline:
    """Build (once, then load) and query the naive llama-index index of a corpus."""

    def __init__(self, folder: Path, embedder: CachedEmbedder):
        self.folder = folder
        self.embedder = embedder
        self._retrievers: dict[int, Any] = {}
        self._index = None
        self.built = False  # whether the last `prepare` had to build (not just load)
        self.nodes = 0

    def prepare(self, corpus: Sequence[Path]) -> None:
        """Load the persisted index if it was built from the same files, else build and persist it."""
        from llama_index.core import Settings as LISettings
        from llama_index.core import StorageContext, VectorStoreIndex, load_index_from_storage
        from llama_index.core.llms import MockLLM

        LISettings.llm = MockLLM()  # never resolve the OpenAI default
        embed_model = _embedding_adapter(self.embedder)
        sources, fingerprint = _corpus_fingerprint(corpus)
        stamp = self.folder / "corpus.json"
        if stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") == fingerprint:
            storage = StorageContext.from_defaults(persist_dir=str(self.folder))
            self._index = load_index_from_storage(storage, embed_model=embed_model)
            self.nodes = len(self._index.docstore.docs)
            self.built = False
            return
        from llama_index.core import Document
        from llama_index.core.node_parser import SentenceSplitter

        documents, maps = [], {}
        for src in sources:
            episode = load_episode(src)
            if not episode.transcript:
                continue
            tmap = TimeMap(episode)
            maps[episode.id] = tmap
            documents.append(Document(text=tmap.text, id_=episode.id, metadata={"episode_id": episode.id}))
        nodes = SentenceSplitter().get_nodes_from_documents(documents)
        for node in nodes:
            start, end = maps[node.metadata["episode_id"]].span(node.start_char_idx or 0, node.end_char_idx or 0)
            node.metadata.update(start=start, end=end)
            # The bookkeeping must not change what is embedded: the raw text only.
            node.excluded_embed_metadata_keys = list(node.metadata)
            node.excluded_llm_metadata_keys = list(node.metadata)
        index = VectorStoreIndex(nodes, embed_model=embed_model)
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        index.storage_context.persist(persist_dir=str(self.folder))
        stamp.write_text(json.dumps({"fingerprint": fingerprint, "nodes": len(nodes)}))
        self._index, self.nodes, self.built = index, len(nodes), True

    def episode_ids(self) -> set[str]:
        return {n.metadata["episode_id"] for n in self._index.docstore.docs.values()}

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        """The k nodes most similar to the question, as Passages with their transcript times."""
        from llama_index.core.vector_stores import MetadataFilter, MetadataFilters

        key = hash((k, filters.episode_ids if filters else ()))
        retriever = self._retrievers.get(key)
        if retriever is None:
            li_filters = None
            if filters and filters.episode_ids:
                li_filters = MetadataFilters(
                    filters=[MetadataFilter(key="episode_id", value=e) for e in filters.episode_ids], condition="or"
                )
            retriever = self._index.as_retriever(similarity_top_k=k, filters=li_filters)
            self._retrievers[key] = retriever
        out = []
        for rank, hit in enumerate(retriever.retrieve(question), start=1):
            node, meta = hit.node, hit.node.metadata
            chunk = Chunk(node.node_id, meta["episode_id"], "transcript", node.get_content(), meta["start"],
                          meta["end"], [], None, None, [Moment(0, meta["start"], None)], rank)
            out.append(Passage(chunk, float(hit.score or 0.0), rank, None, dense_score=hit.score))
        return out
