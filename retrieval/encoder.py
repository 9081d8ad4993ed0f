"""Token-state encoders for ingest: the model's last hidden states, from torch or ONNX Runtime int8.

Ingest needs more than one vector per text: late chunking (:mod:`retrieval.late`) pools a chunk's
token states over each unit's span, so every token passes the encoder once. A backend here turns
a padded batch of token ids into ``last_hidden_state`` (``(batch, tokens, dim)`` float32):

* :class:`TorchStates` - the reference: the packaged weights through ``transformers``' BERT, the
  same forward pass sentence-transformers runs (its mean pooling of these states is the vector
  it returns).
* :class:`OnnxStates` - the same graph exported once with ``torch.onnx.export`` and quantised to
  int8 (dynamic, per channel) with ONNX Runtime, about twice as fast on a CPU. It is built offline
  from the packaged weights on first use and cached under ``<cache_dir>/onnx/<model hash>/``;
  later runs load it without importing torch.

Both are chosen by ``Settings.embed_backend`` (``"torch"`` | ``"onnx-int8"``) through
:func:`token_encoder`; the index manifest records which one made its vectors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from core.config import set_offline_env
from core.errors import ConfigError
from retrieval.embedding import ModelNotFound, model_path

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx-int8")
ONNX_RECIPE = "export-opset17-dynq-int8-perchannel-v1"  # part of the cache key: change it to rebuild


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
    """ONNX Runtime on the int8 export of the packaged weights (built and cached on first use)."""

    def __init__(self, path: Path, cache_dir: Path, threads: int = 0) -> None:
        self.name = "onnx-int8"
        self.path = path
        self.dim = int(_config(path)["hidden_size"])
        self.file = onnx_model_file(path, cache_dir)
        self.threads = threads
        self._session: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort  # only when the ONNX backend embeds

                if not self.file.is_file():
                    build_onnx_int8(self.path, self.file)
                opts = ort.SessionOptions()
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.intra_op_num_threads = self.threads
                opts.inter_op_num_threads = 1
                self._session = ort.InferenceSession(str(self.file), opts, providers=["CPUExecutionProvider"])
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


def onnx_model_file(path: Path, cache_dir: Path) -> Path:
    """Where the int8 export of the model at ``path`` is cached."""
    return Path(cache_dir).expanduser() / "onnx" / f"{model_hash(path)}-{ONNX_RECIPE}" / "model-int8.onnx"


def build_onnx_int8(path: Path, out: Path) -> Path:
    """Export the model at ``path`` to ONNX (torch, no download) and quantise it to int8 into ``out``.

    The fp32 export is a temporary file; the int8 model is written under a temporary name and
    renamed, so a concurrent or interrupted build never leaves a half-written model behind.
    """
    set_offline_env()
    import torch  # heavy: once per model and cache folder
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    out.parent.mkdir(parents=True, exist_ok=True)
    log.info("building the int8 ONNX encoder in %s (once)", out.parent)
    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, m: Any) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.int64)
    tag = f"{os.getpid()}-{threading.get_ident()}"
    fp32 = out.with_name(f"model-fp32.{tag}.onnx")
    tmp = out.with_name(f"model-int8.{tag}.onnx")
    axes = {0: "batch", 1: "tokens"}
    try:
        torch.onnx.export(
            LastHidden(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(fp32), dynamo=False,
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "last_hidden_state": axes},
            opset_version=17,
        )
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(tmp, out)
    finally:
        for f in (fp32, tmp, fp32.with_name(fp32.name + ".data")):
            f.unlink(missing_ok=True)
    return out


def token_encoder(model: str, backend: str, cache_dir: Path, threads: int = 0) -> TokenStates:
    """The token-state backend ``backend`` for ``model`` (a packaged name or a local folder)."""
    path = model_path(model)
    if _config(path).get("model_type") != "bert":
        raise ModelNotFound(f"late chunking reads BERT models only, not {_config(path).get('model_type')}")
    if backend == "torch":
        return TorchStates(path, threads)
    if backend == "onnx-int8":
        return OnnxStates(path, cache_dir, threads)
    raise ConfigError(f"embed_backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
