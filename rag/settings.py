"""All configuration in one place: environment variables prefixed PODRAG_, or a `.env` file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PODRAG_", env_file=".env", extra="ignore")

    # Storage
    index: Path = Field(Path("data/index"), description="Folder of the embedded Chroma store and the BM25 index.")
    chroma_url: str | None = Field(None, description="Use a Chroma server (e.g. http://127.0.0.1:8000) instead.")
    collection: str = Field("podrag", description="Prefix of the Chroma collections.")
    cache: Path = Field(
        Path.home() / ".cache" / "podcast-rag",
        description="Embedding cache (keyed by model and text), shared by every index.",
    )
    corpus: str | None = Field(
        None, description=f"Extra episode folders for `ingest` with no paths ({os.pathsep!r}-separated)."
    )

    # Embedding
    embed_model: str = Field(BUNDLED_MODEL, description="A sentence-transformers name or path.")
    embed_batch_size: int = 32
    allow_downloads: bool = Field(False, description="Let Hugging Face download models (off: offline).")

    # Chunking (words). The model reads 256 word pieces (~190 words), so chunks stay under that.
    chunk_words: int = 150
    chunk_max_words: int = 200
    chunk_overlap_words: int = 30

    # Retrieval
    top_k: int = 10
    candidates: int = Field(40, description="How many each retriever returns before fusion.")
    rrf_k: int = 60

    # Answers
    answer_passages: int = Field(6, description="Passages the answerer reads.")
    answer_sentences: int = Field(3, description="Sentences in an extractive answer.")

    # Evaluation
    eval_datasets: Path = Field(Path("eval/datasets"), description="Folder of the golden question sets (*.jsonl).")
    eval_report: Path = Field(Path("eval/reports"), description="Where `podcast-rag eval` writes its report.")

    # LLM (optional; see README)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("PODRAG_LLM_API_KEY", "OPENAI_API_KEY")
    )
    llm_timeout: float = 60.0
    llm_temperature: float = 0.1

    # App
    host: str = "127.0.0.1"
    port: int = 7860
    auth: SecretStr | None = Field(None, description="user:password, required to bind beyond loopback.")

    def corpus_paths(self) -> list[Path]:
        return [Path(p) for p in (self.corpus or "").split(os.pathsep) if p]

    def llm_key(self) -> str | None:
        return self.llm_api_key.get_secret_value() if self.llm_api_key else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
