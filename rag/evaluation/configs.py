"""Named evaluation configurations: chunking + retrieval mode + options, each with its own cached index.

Configurations that chunk alike share one index folder under `<PODRAG_CACHE>/eval-indexes/`, named by a hash of
what decides its contents (pipeline version, chunking, embedding model). It is built through the normal ingest
path, which skips unchanged episodes, so a second run only checks fingerprints; embeddings come from the shared
embedding cache, so a new chunk size costs only the texts it has not seen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.chunking import ChunkingConfig
from rag.errors import PodragError
from rag.ingest import PIPELINE_VERSION
from rag.retrieval import Mode


class ConfigError(PodragError):
    """An unknown configuration name."""


@dataclass(frozen=True)
class EvalConfig:
    name: str
    description: str
    mode: Mode = "hybrid"
    chunking: ChunkingConfig = ChunkingConfig()
    answer: bool = True  # run the answerer too (answer metrics, abstention, top-citation time)
    rerank: bool = False  # rank the fused candidates by their best moment (rag/rerank.py)
    baseline: bool = False  # the llama-index baseline (rag/evaluation/baseline.py): chunking/mode do not apply

    def index_key(self, embed_model: str) -> str:
        """Folder name of this configuration's index: readable prefix + hash of everything that shapes it."""
        if self.baseline:
            from rag.evaluation.baseline import BASELINE_VERSION

            digest = hashlib.sha1(f"llamaindex|{BASELINE_VERSION}|{embed_model}".encode()).hexdigest()[:10]
            return f"llamaindex-{digest}"
        c = self.chunking
        digest = hashlib.sha1(f"{PIPELINE_VERSION}|{c}|{embed_model}".encode()).hexdigest()[:10]
        return f"chunks-{c.target_words}-{c.max_words}-{c.overlap_words}-{digest}"

    def index_folder(self, cache: Path, embed_model: str) -> Path:
        return cache / "eval-indexes" / self.index_key(embed_model)


SMALL = ChunkingConfig(target_words=75, max_words=100, overlap_words=15)
DEFAULT = ChunkingConfig()
LARGE = ChunkingConfig(target_words=300, max_words=380, overlap_words=50)

CONFIGS: dict[str, EvalConfig] = {
    c.name: c
    for c in (
        EvalConfig("bm25", "BM25 only, 150-word chunks", mode="bm25"),
        EvalConfig("dense", "dense only (cosine), 150-word chunks", mode="dense"),
        EvalConfig("hybrid", "BM25 + dense fused by RRF, 150-word chunks (the app with PODRAG_RERANK=false)"),
        EvalConfig("moments", "hybrid, the top 40 and the closest moments ranked by moment (the app's default)",
                   rerank=True),
        EvalConfig("hybrid-75w", "hybrid, 75-word chunks", chunking=SMALL),
        EvalConfig("hybrid-300w", "hybrid, 300-word chunks (the model reads only the first ~190 words)",
                   chunking=LARGE),
        EvalConfig("llamaindex", "llama-index VectorStoreIndex, default SentenceSplitter, same model, top-5",
                   mode="dense", answer=False, baseline=True),
    )
}
DEFAULT_CONFIGS = tuple(CONFIGS)


def select_configs(names: Sequence[str]) -> list[EvalConfig]:
    """Configurations by name (comma-separated lists allowed); all of them when none are named."""
    wanted = [n.strip() for name in names for n in name.split(",") if n.strip()]
    if not wanted:
        return [CONFIGS[n] for n in DEFAULT_CONFIGS]
    unknown = [n for n in wanted if n not in CONFIGS]
    if unknown:
        raise ConfigError(f"unknown configuration {', '.join(map(repr, unknown))}: choose from {', '.join(CONFIGS)}")
    return [CONFIGS[n] for n in dict.fromkeys(wanted)]
