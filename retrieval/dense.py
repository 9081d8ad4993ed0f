"""Dense vector indexes (:class:`core.interfaces.DenseIndex`): FAISS for chunks, a NumPy matrix for units.

Rows are L2-normalised, so the inner product is the cosine similarity. Both store their vectors
rounded and compute in float32: chunks at half precision (float16: a cosine moves by about 1e-4),
units as int8 codes of their direction with a scale per row (a cosine moves by about 1e-3). An
index built in memory already holds the rounded vectors, so it answers exactly as the same index
loaded back from disk.

>>> import numpy as np
>>> m = MatrixIndex(np.eye(3, dtype=np.float32))
>>> m.search(np.array([0, 1, 0], dtype=np.float32), 1)
[(1, 1.0)]
>>> m.scores(np.array([0, 1, 0], dtype=np.float32), [2, 1]).tolist()
[0.0, 1.0]
>>> [round(float(x), 4) for x in MatrixIndex(np.array([[0.6, 0.8]], dtype=np.float32)).vectors()[0]]
[0.599, 0.8008]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.interfaces import Vector


class FaissIndex:
    """Exact inner-product search over float16-stored vectors (``faiss.IndexScalarQuantizer`` with
    ``QT_fp16``: no training, no approximation beyond the rounding), saved as one ``.faiss`` file."""

    def __init__(self, index: Any) -> None:
        self._index = index
        self._decoded: np.ndarray | None = None  # float32 copy of every row, made on first use
        self._flat: Any = None  # float32 IndexFlatIP of those rows, made on first search

    @classmethod
    def build(cls, vectors: np.ndarray) -> FaissIndex:
        import faiss  # heavy: loaded only when an index is built or opened

        index = faiss.IndexScalarQuantizer(int(vectors.shape[1]), faiss.ScalarQuantizer.QT_fp16,
                                           faiss.METRIC_INNER_PRODUCT)
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> FaissIndex:
        import faiss  # heavy: loaded only when an index is built or opened

        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        import faiss  # heavy: loaded only when an index is built or opened

        faiss.write_index(self._index, str(path))

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def _searcher(self) -> Any:
        """The rows decoded once into a float32 ``IndexFlatIP``: the same scores as the float16 index
        (decoding is exact), found by BLAS instead of decoding every row per question (10 ms at 4,100
        chunks here, against under 1 ms)."""
        if self._flat is None or self._flat.ntotal != len(self):
            import faiss  # heavy: loaded only when an index is built or opened

            flat = faiss.IndexFlatIP(self.dim)
            flat.add(self.vectors())
            self._flat = flat
        return self._flat

    def search(self, query: Vector, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self))
        if k <= 0:
            return []
        scores, ids = self._searcher().search(query[None, :].astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def scores(self, query: Vector, ids: Sequence[int]) -> Vector:
        return np.asarray(self.vectors(ids) @ query, dtype=np.float32)

    def vectors(self, ids: Sequence[int] | None = None) -> np.ndarray:
        """Rows ``ids`` (all rows when ``None``) as a float32 ``(n, dim)`` array, e.g. to reuse unchanged
        documents'. The float16 codes are decoded once (``reconstruct_n``) into an array this object
        owns (a view of FAISS's memory would dangle once the index is gone)."""
        if self._decoded is None or len(self._decoded) != len(self):
            rows = self._index.reconstruct_n(0, len(self)) if len(self) else np.zeros((0, self.dim), np.float32)
            self._decoded = np.ascontiguousarray(np.asarray(rows, dtype=np.float32).reshape(len(self), self.dim))
        return self._decoded if ids is None else self._decoded[np.asarray(ids, dtype=np.int64)]


def quantize_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 codes of each row's direction, and the scale that makes ``codes * scale`` a
    unit vector (a zero row stays zero).

    Each value moves by at most half a step (``max|v| / 254``) before the row is scaled back to unit
    length, so for 384-dimensional rows a cosine to a question moves by about 1e-3, far below the gaps the re-scoring acts on; decoded rows are
    unit length to float32 precision, so ranking by inner product (here) and by cosine (pgvector's
    HNSW) agree. Quantizing decoded rows again gives the same codes and scales, bit for bit.

    >>> codes, scale = quantize_rows(np.array([[0.5, -0.25, 0.0]], dtype=np.float32))
    >>> codes.tolist(), round(float(np.linalg.norm(codes * scale[:, None])), 6)
    ([[127, -64, 0]], 1.0)
    """
    v = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    peak = np.abs(v).max(axis=1) if v.size else np.zeros(len(v), np.float32)
    step = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    codes = np.clip(np.rint(v / step[:, None]), -127, 127).astype(np.int8)
    norms = np.linalg.norm(codes.astype(np.float64), axis=1)
    scale = np.divide(1.0, norms, out=np.ones_like(norms), where=norms > 0).astype(np.float32)
    return codes, scale


class MatrixIndex:
    """Brute-force inner product over an in-memory float32 matrix of int8-rounded unit rows (the
    directions of L2-normalised vectors), saved as an uncompressed ``.npz`` of the int8 codes and their
    per-row scales (a quarter of float32 on disk).

    Unit vectors are most of an index's bytes (one per sentence and table row) and are only used to
    re-score candidates the chunk search already found, so they carry less precision than chunks.
    """

    def __init__(self, vectors: np.ndarray) -> None:
        # rounded through int8 here, not only when saved: built and loaded indexes score alike
        self._set(*quantize_rows(vectors))

    def _set(self, codes: np.ndarray, scale: np.ndarray) -> None:
        self._codes, self._scale = codes, scale
        self._vecs = np.ascontiguousarray(codes.astype(np.float32) * scale[:, None])

    @classmethod
    def load(cls, path: Path) -> MatrixIndex:
        with np.load(path, allow_pickle=False) as z:
            codes, scale = z["codes"], z["scale"]
        if codes.dtype != np.int8 or scale.dtype != np.float32 or codes.ndim != 2 or scale.shape != (len(codes),):
            raise ValueError(f"{path.name} holds no int8 codes with one float32 scale per row")
        self = cls.__new__(cls)  # the stored codes as they are: no second rounding
        self._set(codes, scale)
        return self

    def save(self, path: Path) -> None:
        """Write the int8 codes and scales (exact: the rows are those values already)."""
        with path.open("wb") as f:  # a file object keeps numpy from appending ".npz" to the name
            np.savez(f, codes=self._codes, scale=self._scale)

    @property
    def dim(self) -> int:
        return int(self._vecs.shape[1]) if self._vecs.ndim == 2 else 0

    def __len__(self) -> int:
        return int(self._vecs.shape[0])

    def search(self, query: Vector, k: int) -> list[tuple[int, float]]:
        all_scores = self._vecs @ query
        k = min(k, len(all_scores))
        if k <= 0:
            return []
        top = np.argpartition(-all_scores, k - 1)[:k]  # the k best without sorting every row
        top = top[np.lexsort((top, -all_scores[top]))]  # best first, ties by row (as a stable full sort)
        return [(int(i), float(all_scores[i])) for i in top]

    def scores(self, query: Vector, ids: Sequence[int]) -> Vector:
        return np.asarray((self._vecs @ query)[np.asarray(ids, dtype=np.int64)], dtype=np.float32)

    def vectors(self, ids: Sequence[int] | None = None) -> np.ndarray:
        return self._vecs if ids is None else self._vecs[np.asarray(ids, dtype=np.int64)]
