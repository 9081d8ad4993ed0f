"""``embed_backend = "auto"``: the faster exact encoder backend on this machine, measured once.

Which of ONNX Runtime (fp32 export) and torch runs MiniLM faster depends on the CPU and the
libraries' kernels for it: on an AMD EPYC with AVX-512 ONNX Runtime was the faster, on an Intel
Xeon with AMX torch encodes 1.5x as many windows per second (eval/README.md). Both give the
reference's vectors (cosine > 0.9999), so ``"auto"`` times both on one fixed batch of full windows
the first time it is asked, keeps the faster and remembers the choice per machine, library versions,
model and thread count in ``<cache_dir>/encoder-choice.json`` (the int8 backend is never chosen for
you: its vectors move more). The index manifest records the backend that made its vectors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import time
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from retrieval.embedding import model_path
from retrieval.encoder import model_hash, token_encoder

log = logging.getLogger(__name__)

CANDIDATES = ("onnx", "torch")  # exact backends only
CHOICE_FILE = "encoder-choice.json"
BATCH, TOKENS = 16, 256  # one batch of full windows, as ingest encodes them


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(("model name", "flags")):
                return line  # the first of them: the model name, or the flags where there is none
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def machine_key(model: str, threads: int) -> str:
    """What the measurement depends on: CPU, core count, runtimes, model weights and threads."""
    parts = [_cpu(), str(os.cpu_count()), _version("onnxruntime"), _version("torch"),
             model_hash(model_path(model)), str(threads)]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:16]


def windows_per_second(backend: str, model: str, cache_dir: Path, threads: int) -> float:
    """Encoder throughput of ``backend``: full windows per second, best of two timed batches."""
    enc = token_encoder(model, backend, cache_dir, threads)
    ids = np.random.default_rng(0).integers(1000, 20000, size=(BATCH, TOKENS)).astype(np.int64)
    mask = np.ones_like(ids)
    enc.hidden(ids[:2], mask[:2])  # loads the model (and builds the ONNX export, once)
    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        enc.hidden(ids, mask)
        best = min(best, time.perf_counter() - t)
    return BATCH / best


@cache
def resolve_backend(backend: str, model: str, cache_dir: Path, threads: int = 0) -> str:
    """``backend`` itself, or for ``"auto"`` the faster of :data:`CANDIDATES` here (measured once,
    then read from the cache file; an unreadable cache file is measured again and rewritten)."""
    if backend != "auto":
        return backend
    file = Path(cache_dir).expanduser() / CHOICE_FILE
    key = machine_key(model, threads)
    try:
        known = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    entry = known.get(key)
    if isinstance(entry, dict) and entry.get("backend") in CANDIDATES:
        return str(entry["backend"])
    rates = {b: round(windows_per_second(b, model, cache_dir, threads), 1) for b in CANDIDATES}
    choice = max(CANDIDATES, key=lambda b: rates[b])
    log.info("embed_backend auto: %s on this machine (windows/s: %s)", choice, rates)
    known[key] = {"backend": choice, "windows_per_s": rates, "cpu": _cpu()[:120], "measured": time.strftime("%Y-%m-%d")}
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(known, indent=1), encoding="utf-8")
    os.replace(tmp, file)  # concurrent first runs each write a whole file
    return choice
