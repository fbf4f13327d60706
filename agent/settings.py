"""One settings class: defaults < configs/*.toml < CROSSCHECK_* environment < CLI flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"


def _config_files() -> list[Path]:
    """configs/default.toml, then the file named by CROSSCHECK_CONFIG (if any)."""
    files = [PROJECT_ROOT / "configs" / "default.toml"]
    extra = os.environ.get("CROSSCHECK_CONFIG")
    if extra:
        files.append(Path(extra))
    return files


class EmbeddingSettings(BaseModel):
    model: str = Field(PACKAGED_MODEL, description="sentence-transformers model id or local path")
    batch_size: int = Field(64, ge=1)
    device: str = "cpu"
    backend: Literal["onnx", "torch"] = Field(
        "onnx", description="onnx: exported once, then no torch at run time (fast start); torch: sentence-transformers"
    )
    onnx_dir: Path | None = Field(None, description="where the ONNX export is kept (~/.cache/crosscheck/models)")


class StoreSettings(BaseModel):
    url: str | None = Field(None, description="Chroma server URL; embedded PersistentClient when unset")
    collection: str = "crosscheck"
    token: SecretStr | None = Field(
        None, exclude=True, description="server auth token, only from CROSSCHECK_STORE__TOKEN; never logged"
    )
    token_header: Literal["authorization", "x-chroma-token"] = Field(
        "authorization", description="`Authorization: Bearer <token>` or `X-Chroma-Token: <token>` (Chroma Cloud)"
    )
    tenant: str = Field("default_tenant", min_length=1, description="Chroma tenant (server mode)")
    database: str = Field("default_database", min_length=1, description="Chroma database in the tenant (server mode)")
    retries: int = Field(4, ge=1, description="attempts at a server call that cannot connect, with backoff")
    retry_wait_s: float = Field(0.5, ge=0, description="first backoff between attempts (doubles each time)")
    refresh_s: float = Field(
        1.0,
        ge=0,
        description="how often a running process looks for another process's writes before a claim (counting the "
        "chunks is a scan that grows with the store); its own writes are seen at once",
    )


class ChunkSettings(BaseModel):
    max_chars: int = Field(700, ge=100, description="soft upper bound of a chunk's length")
    overlap_sentences: int = Field(1, ge=0)


class IngestSettings(BaseModel):
    max_doc_bytes: int = Field(
        5_000_000, ge=0, description="a file (or JSONL record) larger than this is named and skipped; 0: no limit"
    )


class RetrievalSettings(BaseModel):
    k_chunks: int = Field(24, ge=1, description="chunks fetched per retriever before fusion")
    max_docs: int = Field(8, ge=1, description="documents that may contribute evidence")
    per_doc: int = Field(4, ge=1, description="evidence sentences kept per document")
    rrf_k: int = 60
    min_evidence: int = Field(2, description="widen the search once when fewer sentences are relevant")


class StanceSettings(BaseModel):
    """The offline judgement: the shipped stance model plus the structured checks (`agent/pipeline/nodes/voters.py`)."""

    mode: Literal["combined", "model", "rules"] = Field(
        "combined", description="combined: model + structured checks; model: the model alone; rules: the old rules"
    )
    model: str = Field("packaged", description="`packaged` (agent/stance/weights) or a local model folder")
    per_doc: int = Field(3, ge=1, description="evidence units per document the model scores")
    windows: bool = Field(True, description="also score each document's best sentence with the one after it")
    max_pairs: int = Field(24, ge=1, description="most (claim, evidence) pairs scored per claim")
    batch_size: int = Field(8, ge=1, description="pairs per model call: small batches of similar length pad little")
    threads: int = Field(2, ge=1, description="onnxruntime intra-op threads")
    spin: bool = Field(
        True,
        description="a session's intra-op threads spin between a claim's batches, not sleep: faster for one claim at a "
        "time; batch workers get 1-thread sessions, which have no threads to spin",
    )
    max_len: int = Field(128, ge=16)
    supports: float = Field(0.4, ge=0, le=1, description="P(supports) for a document to support (fitted on dev)")
    refutes: float = Field(0.95, ge=0, le=1, description="P(refutes) for a document to refute (fitted on dev)")
    on_topic: float = Field(0.7, ge=0, le=1, description="P(neutral) below which a unit is about the claim")
    unnamed_supports: float = Field(
        0.85, ge=0, le=1, description="P(supports) needed from a source that never names one of the claim's names"
    )
    soft: bool = Field(False, description="let the softer rule checks decide when the model is undecided")


class LLMStageSettings(BaseModel):
    model: str | None = None


class LLMSettings(BaseModel):
    provider: Literal["none", "openai", "anthropic", "ollama", "openai-compatible"] = "none"
    model: str = ""
    base_url: str | None = None
    output_mode: Literal["tool", "native", "prompted", "prompted-json"] = "tool"
    timeout_s: float = 60.0
    transport_retries: int = Field(3, ge=0)
    output_retries: int = Field(2, ge=0)
    backoff_s: float = Field(1.0, ge=0, description="first wait of the transport retry backoff")
    max_wait_s: float = Field(30.0, ge=0, description="longest single wait (also caps Retry-After)")
    retry_budget_s: float = Field(120.0, ge=0, description="total time transport retries may take")
    breaker_cooldown_s: float = Field(
        300.0, ge=0, description="after the retries gave up on a dead endpoint, skip the LLM this long, then try once"
    )
    max_tokens: int = 768
    temperature: float = 0.0
    extract: LLMStageSettings = LLMStageSettings()
    cross_check: LLMStageSettings = LLMStageSettings()
    verdict: LLMStageSettings = LLMStageSettings()
    answer: LLMStageSettings = LLMStageSettings()
    api_key: SecretStr | None = Field(None, exclude=True, description="only from the environment")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CROSSCHECK_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(PROJECT_ROOT / ".crosscheck", description="where the embedded store lives")
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    benchmarks_dir: Path = PROJECT_ROOT.parent / "shared" / "benchmarks"
    embedding: EmbeddingSettings = EmbeddingSettings()
    store: StoreSettings = StoreSettings()
    chunking: ChunkSettings = ChunkSettings()
    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    stance: StanceSettings = StanceSettings()
    max_claim_chars: int = 2000

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_files())
        return (init_settings, env_settings, toml, file_secret_settings)

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"


def offline_environment() -> None:
    """Hub downloads and telemetry off before any model or store library is imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
