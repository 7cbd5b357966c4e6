"""All configuration in one place: environment variables prefixed PODRAG_, or a `.env` file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
MB = 1024 * 1024  # the one unit of every file-size limit: "25 MB" is 25 MiB for ingest and uploads alike


def default_concurrency() -> int:
    """Events the app runs at once: 8 per core (16 on 2 cores), at most 64. An answer from an LLM mostly waits on
    the server, so many can run together; extractive answers share the cores anyway (BENCHMARKS.md, issue 12)."""
    return min(64, 8 * (os.cpu_count() or 1))


class Settings(BaseSettings):
    # An empty variable is unset: `PODRAG_INDEX=` would otherwise be Path(""), the working directory.
    model_config = SettingsConfigDict(env_prefix="PODRAG_", env_file=".env", extra="ignore", env_ignore_empty=True)

    # Storage
    index: Path = Field(Path("data/index"), description="Folder of the embedded Chroma store and the BM25 index.")
    chroma_url: str | None = Field(None, description="Use a Chroma server (e.g. http://127.0.0.1:8000) instead.")
    chroma_token: SecretStr | None = Field(
        None, description="Sent as 'Authorization: Bearer' to the authenticating proxy in front of a Chroma server."
    )
    chroma_timeout: float = Field(30.0, description="Seconds to wait for the Chroma server before giving up.")
    collection: str = Field("podrag", description="Prefix of the Chroma collections.")
    cache: Path = Field(
        Path.home() / ".cache" / "podcast-rag",
        description="Embedding cache (keyed by model and text), shared by every index; also episodes' sentence "
        "tokens and the ONNX export.",
    )
    corpus: str | None = Field(
        None, description=f"Extra episode folders for `ingest` with no paths ({os.pathsep!r}-separated)."
    )

    # Embedding
    embed_model: str = Field(BUNDLED_MODEL, description="A sentence-transformers name or path.")
    embed_batch_size: int = 32
    embed_backend: Literal["auto", "onnx", "torch"] = Field(
        "auto",
        description="auto: the bundled model through ONNX Runtime (exported once into the cache), "
        "sentence-transformers for other models or if the export fails; onnx: require it; torch: never.",
    )
    allow_downloads: bool = Field(False, description="Let Hugging Face download models (off: offline).")
    # Embeddings from an OpenAI-compatible /v1/embeddings endpoint (a GPU server: TEI, vLLM, Infinity) instead.
    embed_base_url: str | None = Field(None, description="e.g. http://gpu-box:8080/v1; the model is embed_model.")
    embed_api_key: SecretStr | None = None
    embed_timeout: float = Field(60.0, description="Seconds per embeddings request.")
    embed_retries: int = Field(4, description="Retries of a failed embeddings request (429, 5xx, lost connection).")
    embed_remote_batch: int = Field(128, description="Texts per embeddings request.")

    # Ingest limits: a transcript this large is a mistake (a 5-hour episode is under 1 MB).
    max_file_mb: float = Field(25.0, description="Source files larger than this are rejected (as app uploads are).")

    # Chunking (words). The model reads 256 word pieces (~190 words), so chunks stay under that.
    chunk_words: int = 150
    chunk_max_words: int = 200
    chunk_overlap_words: int = 30

    # Retrieval
    top_k: int = 10
    candidates: int = Field(40, description="How many each retriever returns before fusion.")
    rrf_k: int = 60
    # On by default: better on every golden set (README, Evaluation), for ~0.6 s more per never-seen question on
    # 2 cores (BENCHMARKS.md).
    rerank: bool = Field(True, description="Rank passages by their best moment (a few sentences) and cite it.")
    rerank_candidates: int = 40
    moment_model: Literal["all-mpnet-base-v2", "none"] = Field(
        "all-mpnet-base-v2",
        description="The second, larger model that scores moments (embedded at ingest, ~50 sentences/s on 2 cores); "
        "none: the index's model alone (faster ingest, the answering moment found less often).")

    # Answers
    answer_passages: int = Field(6, description="Passages the answerer reads.")
    answer_sentences: int = Field(3, description="Sentences in an extractive answer.")

    # Evaluation
    eval_datasets: Path = Field(Path("eval/datasets"), description="Folder of the golden question sets (*.jsonl).")
    eval_report: Path = Field(Path("eval/reports"), description="Where `podcast-rag eval` writes its report.")

    # LLM (optional; see README). It is used when PODRAG_LLM_BASE_URL or PODRAG_LLM_MODEL is set: an
    # OPENAI_API_KEY alone (often set for other tools) does not switch answers to a paid API.
    answerer: Literal["auto", "llm", "extractive"] = Field(
        "auto", description="auto: the LLM when one is configured, else extractive; llm: require it."
    )
    llm_base_url: str | None = Field(None, description="e.g. http://127.0.0.1:11434/v1 (Ollama); unset: OpenAI.")
    llm_model: str | None = Field(None, description="Model name; unset: the first one the server lists.")
    llm_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("PODRAG_LLM_API_KEY", "OPENAI_API_KEY")
    )
    llm_timeout: float = Field(60.0, gt=0, description="Seconds one question may take, retries included.")
    llm_temperature: float = 0.1
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries after HTTP 429 or 5xx, with backoff.")
    llm_max_tokens: int = Field(700, gt=0, description="Longest answer the LLM may write (tokens).")
    llm_rerank: bool = Field(
        True, description="When an LLM answers, let it first re-order the retrieved passages (rag/llm_retrieval.py)."
    )
    llm_rerank_candidates: int = Field(10, ge=2, le=30, description="Passages the LLM re-ranks (short excerpts).")

    # App
    host: str = "127.0.0.1"
    port: int = 7860
    auth: SecretStr | None = Field(None, description="user:password, required to bind beyond loopback.")
    uploads: Path | None = Field(None, description="Episodes added in the app (default: beside the index).")
    upload_max_mb: float = Field(25.0, description="Largest file an app upload may be, in MB.")
    feedback: Path | None = Field(None, description="Answer ratings, SQLite (default: beside the index).")
    concurrency: int = Field(
        default_factory=default_concurrency, ge=1,
        description="Chat, claim and search events the app runs at once; more wait in Gradio's queue, which "
        "shows each user their place. Ingest and uploads run one at a time whatever this says.",
    )

    # Fetching episodes (`podcast-rag add` / `sync`, the Library tab's "add by URL"); see README "Adding episodes".
    fetched: Path | None = Field(None, description="Episode folders made by `add` (default: beside the index).")
    fetch_timeout: float = Field(20.0, gt=0, description="Seconds to wait for a server to connect or send data.")
    fetch_deadline: float = Field(120.0, gt=0, description="Seconds one page, feed or transcript may take in all.")
    fetch_max_mb: float = Field(50.0, gt=0, description="Largest page, feed or transcript to download, in MB.")
    audio_max_mb: float = Field(1000.0, gt=0, description="Largest audio file to download, in MB.")
    audio_deadline: float = Field(3600.0, gt=0, description="Seconds one audio download may take in all.")
    # The web app never fetches from this machine's own network (loopback, private, link-local, metadata
    # addresses) unless this is set: a URL typed into a form must not reach services behind the firewall.
    fetch_allow_private: bool = Field(False, description="Let the app fetch from loopback/private addresses.")
    # "PREFIX=REPLACEMENT" pairs, space-separated: URLs starting with PREFIX are fetched from REPLACEMENT instead
    # (a local mirror; tests serve the demo pages on 127.0.0.1). Provenance keeps both addresses.
    fetch_mirrors: str | None = Field(None, description="e.g. 'https://lexfridman.com=http://127.0.0.1:8000'.")
    whisper_model: str = Field("base", description="faster-whisper model: a size name (base, small...) or a folder.")
    whisper_compute_type: str = Field("int8", description="CTranslate2 compute type on the CPU.")

    def corpus_paths(self) -> list[Path]:
        return [Path(p) for p in (self.corpus or "").split(os.pathsep) if p]

    def default_corpus(self) -> list[Path]:
        """What `ingest` and `eval` read when given no folders: data/episodes, then $PODRAG_CORPUS, then the
        episodes `add` fetched (when there are any)."""
        fetched = [self.fetched_dir()] if self.fetched_dir().is_dir() else []
        return [Path("data/episodes"), *self.corpus_paths(), *fetched]

    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    def upload_max_bytes(self) -> int:
        return int(self.upload_max_mb * MB)

    def uploads_dir(self) -> Path:
        return self.uploads or self.index.parent / "uploads"

    def fetched_dir(self) -> Path:
        return self.fetched or self.index.parent / "fetched"

    def mirrors(self) -> list[tuple[str, str]]:
        """(prefix, replacement) pairs from `fetch_mirrors`, longest prefix first."""
        pairs = [item.split("=", 1) for item in (self.fetch_mirrors or "").split() if "=" in item]
        return sorted(((a, b) for a, b in pairs if a and b), key=lambda p: -len(p[0]))

    def feedback_path(self) -> Path:
        return self.feedback or self.index.parent / "feedback.sqlite"

    def llm_key(self) -> str | None:
        return self.llm_api_key.get_secret_value() if self.llm_api_key else None

    def llm_configured(self) -> bool:
        """Whether an LLM is configured (a base URL or a model name; a key alone is not enough)."""
        return bool(self.llm_base_url or self.llm_model)

    def use_llm(self) -> bool:
        """Whether answers come from the LLM: configured and not switched off (answerer='extractive')."""
        return self.answerer != "extractive" and (self.answerer == "llm" or self.llm_configured())

    def llm_place(self) -> str:
        """Where the LLM is, for messages: the base URL's host:port, or OpenAI."""
        if not self.llm_base_url:
            return "api.openai.com"
        return urlsplit(self.llm_base_url).netloc or self.llm_base_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
