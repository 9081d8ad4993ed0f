"""Token-state encoders for ingest: the model's last hidden states, from ONNX Runtime or torch.

Ingest needs more than one vector per text: late chunking (:mod:`retrieval.late`) pools a chunk's
token states over each unit's span, so every token passes the encoder once. A backend here turns
a padded batch of token ids into ``last_hidden_state`` (``(batch, tokens, dim)`` float32):

* :class:`TorchStates` - the reference: the packaged weights through ``transformers``' BERT, the
  same forward pass sentence-transformers runs (its mean pooling of these states is the vector
  it returns).
* :class:`OnnxStates` - the same graph exported once with ``torch.onnx.export`` and run by ONNX
  Runtime: ``"onnx"`` keeps fp32 weights (the reference's numbers, cosine > 0.9999; faster than
  torch on some CPUs, slower on others), ``"onnx-int8"`` quantises them (dynamic, per channel, the feed-forward output
  projections kept in fp32: 1.3-1.45x as fast again by CPU, cosine about 0.997 to the reference). Both
  are built offline from the packaged weights on first use (torch is needed that once) and cached
  under ``<cache_dir>/onnx/<model hash>-<recipe>/``; later runs load them without importing torch.
  The fp32 file also serves the question encoder (:func:`retrieval.embedding.query_embedder`).

Chosen by ``Settings.embed_backend`` (``"auto"`` | ``"onnx"`` | ``"torch"`` | ``"onnx-int8"``) through
:func:`token_encoder`; ``"auto"`` is whichever exact backend runs faster on this machine
(:mod:`retrieval.encoder_choice`); the index manifest records which one made its vectors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import warnings
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from core.config import EMBED_BACKENDS, set_offline_env
from core.errors import ConfigError
from core.interfaces import Embedder
from retrieval.embedding import ModelNotFound, mean_pool, model_path, query_embedder

log = logging.getLogger(__name__)

ONNX_RECIPE = "export-opset17-dynq-int8-perchannel-ffnout-fp32-v2"  # part of the cache key: change it to rebuild
ONNX_FILES = {"onnx": "model-fp32.onnx", "onnx-int8": "model-int8.onnx"}


class TokenStates(Protocol):
    """A backend: padded token ids and attention mask in, last hidden states out."""

    name: str
    dim: int

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``(batch, tokens, dim)`` float32 states of ``ids`` (int64, padded with 0) under ``mask``."""
        ...


def _config(path: Path) -> dict[str, Any]:
    cfg: dict[str, Any] = json.loads((path / "config.json").read_text(encoding="utf-8"))
    return cfg


def max_tokens(path: Path) -> int:
    """The model's window (sentence-transformers' ``max_seq_length``; 256 for MiniLM)."""
    st_cfg = path / "sentence_bert_config.json"
    if st_cfg.is_file():
        return int(json.loads(st_cfg.read_text(encoding="utf-8")).get("max_seq_length", 256))
    return int(_config(path).get("max_position_embeddings", 512))


class TorchStates:
    """The reference backend: ``transformers.AutoModel`` on the packaged weights, CPU, fp32."""

    def __init__(self, path: Path, threads: int = 0) -> None:
        self.name = "torch"
        self.path = path
        self.dim = int(_config(path)["hidden_size"])
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _torch_model(str(self.path))
        return self._model

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch  # already loaded by _load

        model = self._load()
        # torch's thread count is process-wide: set it for each call (encoders of different counts share the model)
        torch.set_num_threads(self.threads or (os.cpu_count() or 1))
        with torch.inference_mode():
            out = model(
                input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                token_type_ids=torch.zeros_like(torch.from_numpy(ids)),
            ).last_hidden_state
        return np.asarray(out.numpy(), dtype=np.float32)


@cache
def _torch_model(path: str) -> Any:
    """The packaged weights as a ``transformers`` model, loaded once per process."""
    set_offline_env()
    from transformers import AutoModel  # heavy (torch): only when the torch backend embeds
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    return AutoModel.from_pretrained(path, local_files_only=True).eval()


class OnnxStates:
    """ONNX Runtime on the fp32 (``"onnx"``) or int8 (``"onnx-int8"``) export of the packaged weights,
    built and cached on first use."""

    def __init__(self, path: Path, cache_dir: Path, threads: int = 0, backend: str = "onnx") -> None:
        self.name = backend
        self.path = path
        self.dim = int(_config(path)["hidden_size"])
        self.cache_dir = Path(cache_dir).expanduser()
        self.file = onnx_model_file(path, cache_dir, backend)
        self.threads = threads
        self._session: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                if not self.file.is_file():
                    build_onnx(self.path, self.cache_dir, int8=self.name == "onnx-int8")
                self._session = onnx_session(self.file, self.threads)
        return self._session

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        out = self._load().run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
        return np.asarray(out, dtype=np.float32)


def model_hash(path: Path) -> str:
    """SHA-256 of the model's weights and config (the ONNX cache key), remembered per file size and mtime."""
    weights = path / "model.safetensors"
    st = weights.stat()
    return _hash_files(str(weights), st.st_size, st.st_mtime_ns, str(path / "config.json"))


@cache
def _hash_files(weights: str, _size: int, _mtime: int, config: str) -> str:
    h = hashlib.sha256()
    for f in (weights, config):
        with open(f, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def onnx_model_file(path: Path, cache_dir: Path, backend: str = "onnx-int8") -> Path:
    """Where the ``backend`` export (``"onnx"``: fp32, ``"onnx-int8"``) of the model at ``path`` is cached."""
    return Path(cache_dir).expanduser() / "onnx" / f"{model_hash(path)}-{ONNX_RECIPE}" / ONNX_FILES[backend]


def onnx_session(file: Path, threads: int = 0) -> Any:
    """An ONNX Runtime CPU session on ``file`` (``threads``: intra-op threads, 0 = all cores)."""
    import onnxruntime as ort  # only when an ONNX encoder runs (~0.1 s)

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(file), opts, providers=["CPUExecutionProvider"])


def build_onnx(path: Path, cache_dir: Path, int8: bool = False) -> Path:
    """The cached ONNX export of the model at ``path`` (fp32, or int8 when ``int8``), built if missing.

    The fp32 graph is exported with torch (no download) and kept: it is the ``"onnx"`` backend and
    the source of the int8 one (``quantize_dynamic``). Each file is written under a temporary name
    and renamed, so a concurrent or interrupted build never leaves a half-written model behind.
    """
    fp32 = onnx_model_file(path, cache_dir, "onnx")
    if not fp32.is_file():
        _export_fp32(path, fp32)
    if not int8:
        return fp32
    out = onnx_model_file(path, cache_dir, "onnx-int8")
    if not out.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = out.with_name(f"model-int8.{os.getpid()}-{threading.get_ident()}.onnx")
        try:
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             nodes_to_exclude=ffn_down_projections(fp32))
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    return out


def ffn_down_projections(file: Path) -> list[str]:
    """The MatMul nodes of ``file`` whose weight maps a wider inner size back to a narrower one: the
    feed-forward output projections of a BERT layer, kept in fp32 by the int8 recipe.

    Their inputs are the post-GELU activations, whose outliers a dynamic per-tensor activation scale
    rounds badly: quantising every MatMul gave chunk vectors at mean cosine 0.994 / min 0.989 to
    torch on filing text and lost two gold answers; keeping these 6 of 36 weight MatMuls in fp32
    gives 0.997 / 0.995 and the same gold accuracy, at 1.45x the fp32 speed instead of 1.75x.
    """
    import onnx

    graph = onnx.load(str(file)).graph
    shapes = {t.name: tuple(t.dims) for t in graph.initializer}
    return [n.name for n in graph.node if n.op_type == "MatMul" and len(shape := shapes.get(n.input[1], ())) == 2
            and shape[0] > shape[1]]


def _export_fp32(path: Path, out: Path) -> None:
    """``torch.onnx.export`` of the model's ``last_hidden_state`` into ``out`` (one file, no external data)."""
    set_offline_env()
    import torch  # heavy: once per model and cache folder
    from transformers import AutoModel

    out.parent.mkdir(parents=True, exist_ok=True)
    log.info("building the ONNX encoder in %s (once)", out.parent)
    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, m: Any) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.int64)
    tmp = out.with_name(f"model-fp32.{os.getpid()}-{threading.get_ident()}.onnx")
    axes = {0: "batch", 1: "tokens"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's notes on tracing, not actionable here
            torch.onnx.export(
                LastHidden(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(tmp), dynamo=False,
                input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                              "last_hidden_state": axes},
                opset_version=17,
            )
        os.replace(tmp, out)
    finally:
        for f in (tmp, tmp.with_name(tmp.name + ".data")):
            f.unlink(missing_ok=True)


def token_encoder(model: str, backend: str, cache_dir: Path, threads: int = 0) -> TokenStates:
    """The token-state backend ``backend`` for ``model`` (a packaged name or a local folder)."""
    path = model_path(model)
    if _config(path).get("model_type") != "bert":
        raise ModelNotFound(f"late chunking reads BERT models only, not {_config(path).get('model_type')}")
    if backend == "torch":
        return TorchStates(path, threads)
    if backend in ONNX_FILES:
        return OnnxStates(path, cache_dir, threads, backend)
    raise ConfigError(f"embed_backend must be one of {', '.join(EMBED_BACKENDS)}, not {backend!r}")


class OnnxQueryEmbedder:
    """The question encoder on the cached fp32 ONNX export: mean pooling + L2 norm, one thread.

    The same numbers as the reference (cosine > 0.9999) at a fraction of the NumPy forward pass's
    time per question; one intra-op thread because question-sized matrices gain nothing from more.
    """

    def __init__(self, name: str, file: Path) -> None:
        from tokenizers import Tokenizer  # Rust, ~0.05 s

        path = model_path(name)
        self.name = name
        self.dim = int(_config(path)["hidden_size"])
        self.tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.enable_truncation(max_length=max_tokens(path))
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self.session = onnx_session(file, threads=1)

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        rows = []
        for i in range(0, len(texts), batch_size):
            enc = self.tok.encode_batch(list(texts[i : i + batch_size]))
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            states = self.session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask,
                                                              "token_type_ids": np.zeros_like(ids)})[0]
            rows.append(mean_pool(states, mask))
        return np.concatenate(rows) if rows else np.zeros((0, self.dim), dtype=np.float32)


@cache
def question_encoder(model: str, cache_dir: Path) -> Embedder:
    """The process-wide question encoder: ONNX Runtime when an ingest has cached the fp32 export of
    ``model``, else the NumPy forward pass (never an export here: a one-shot ``kgqa ask`` stays fast)."""
    try:
        path = model_path(model)
        if _config(path).get("model_type") == "bert":
            file = onnx_model_file(path, cache_dir, "onnx")
            if file.is_file():
                return OnnxQueryEmbedder(model, file)
    except (OSError, ValueError, ImportError) as exc:  # an unreadable cache or runtime: the NumPy path answers
        log.warning("ONNX question encoder unavailable (%s); using NumPy", exc)
    return query_embedder(model)
