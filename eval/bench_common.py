"""What the public benchmarks (FinanceBench, LiHua-World) and the speed runs share, kept cheap to import.

Folders (the bench data, the work folder, the report folder), the fixed-seed sample, the
question type and kgqa's settings for a benchmark index. Only the standard library and
``core`` are imported here, so ``kgqa bench --help`` can use it.

Data are read from the bench folder (``--bench-dir``, ``$KGQA_BENCH_DIR``, default
``../shared/bench`` beside the repo) and never copied into the repo.
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import ROOT, Settings
from core.errors import ConfigError

KS = (1, 5, 10)
K_MAX = max(KS)
REPORTS = ROOT / "eval" / "reports"
Say = Callable[[str], None]
Hit = Callable[[str, int, int], bool]  # (doc, start, end) of a retrieved passage -> is it evidence?
HALVES = ("development", "held-out")


def tuning_half(question_id: str) -> str:
    """The half of a benchmark's questions that ``question_id`` falls in: retrieval settings are tuned
    on the development half and checked on the held-out one. A hash of the id, so every run, sample
    and machine splits alike, and about evenly.

    >>> [tuning_half(q) for q in ("0", "1", "2", "3")]
    ['development', 'held-out', 'development', 'held-out']
    """
    return HALVES[int(hashlib.md5(question_id.encode("utf-8")).hexdigest(), 16) % 2]


@dataclass
class BenchQuestion:
    """One benchmark question; ``hit`` tells whether a retrieved span is evidence (None: no evidence)."""

    id: str
    question: str
    answer: str
    group: str = ""
    hit: Hit | None = None
    evidence: list[str] = field(default_factory=list)


# ---- folders --------------------------------------------------------------------------------------


def bench_dir(given: Path | str | None = None) -> Path:
    """The public-benchmark folder: ``given``, else ``$KGQA_BENCH_DIR``, else ``../shared/bench`` beside the repo."""
    p = Path(given or os.environ.get("KGQA_BENCH_DIR") or (ROOT.parent / "shared" / "bench")).expanduser()
    return p.resolve()


def work_dir(given: Path | str | None = None) -> Path:
    """Where benchmark corpora and indexes are built (outside the repo; reused across runs)."""
    p = Path(given or os.environ.get("KGQA_BENCH_WORK") or (Path(tempfile.gettempdir()) / "kgqa-bench"))
    p.mkdir(parents=True, exist_ok=True)
    return p


def need(path: Path, what: str) -> Path:
    """``path`` if it exists, else a :class:`ConfigError` saying where the bench folder is looked for."""
    if not path.exists():
        raise ConfigError(
            f"{what} not found at {path}; pass --bench-dir or set KGQA_BENCH_DIR to the folder holding "
            "financebench/ and lihua-world/"
        )
    return path


def dir_bytes(path: Path) -> int:
    """Size on disk of the files under ``path`` (the index generation folder)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---- questions and settings -----------------------------------------------------------------------


def sample(items: Sequence[Any], n: int | None, seed: int) -> list[Any]:
    """A fixed-seed sample of ``n`` items, kept in their original order (all of them when ``n`` is None).

    >>> sample(range(10), 3, seed=1) == sample(range(10), 3, seed=1)
    True
    >>> sample("abc", None, 0)
    ['a', 'b', 'c']
    """
    items = list(items)
    if n is None or n >= len(items):
        return items
    keep = set(random.Random(seed).sample(range(len(items)), n))
    return [x for i, x in enumerate(items) if i in keep]


def kgqa_settings(index_dir: Path, use_graph: bool = True, top_k: int | None = None,
                  embed_backend: str | None = None) -> Settings:
    """kgqa's settings for a benchmark index in ``index_dir`` (defaults otherwise; ``embed_backend``:
    another encoder backend than the configured one)."""
    over: dict[str, Any] = {"index_dir": index_dir, "use_graph": use_graph}
    if top_k:
        over["top_k"] = top_k
    if embed_backend:
        over["embed_backend"] = embed_backend
    return Settings.load(overrides=over)
