"""Dense vector indexes (:class:`core.interfaces.DenseIndex`): FAISS for chunks, a NumPy matrix for units.

Rows are L2-normalised, so the inner product is the cosine similarity.

>>> import numpy as np
>>> m = MatrixIndex(np.eye(3, dtype=np.float32))
>>> m.search(np.array([0, 1, 0], dtype=np.float32), 1)
[(1, 1.0)]
>>> m.scores(np.array([0, 1, 0], dtype=np.float32), [2, 1]).tolist()
[0.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.interfaces import Vector


class FaissIndex:
    """Exact inner-product search (``faiss.IndexFlatIP``), saved as one ``.faiss`` file."""

    def __init__(self, index: Any) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> FaissIndex:
        import faiss

        index = faiss.IndexFlatIP(int(vectors.shape[1]))
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> FaissIndex:
        import faiss

        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: Vector, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self))
        if k <= 0:
            return []
        scores, ids = self._index.search(query[None, :].astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def scores(self, query: Vector, ids: Sequence[int]) -> Vector:
        return np.asarray(self.vectors(ids) @ query, dtype=np.float32)

    def vectors(self, ids: Sequence[int] | None = None) -> np.ndarray:
        """Rows ``ids`` (all rows when ``None``) as an ``(n, dim)`` array, e.g. to reuse unchanged documents'."""
        import faiss

        flat = faiss.rev_swig_ptr(self._index.get_xb(), len(self) * self.dim)
        rows = np.asarray(flat).reshape(len(self), self.dim)
        return rows if ids is None else rows[np.asarray(ids, dtype=np.int64)]


class MatrixIndex:
    """Brute-force inner product over an in-memory matrix, saved as ``.npy`` (small, exact, fast)."""

    def __init__(self, vectors: np.ndarray) -> None:
        self._vecs = np.ascontiguousarray(vectors, dtype=np.float32)

    @classmethod
    def load(cls, path: Path) -> MatrixIndex:
        return cls(np.load(path, allow_pickle=False))

    def save(self, path: Path) -> None:
        np.save(path, self._vecs)

    @property
    def dim(self) -> int:
        return int(self._vecs.shape[1]) if self._vecs.ndim == 2 else 0

    def __len__(self) -> int:
        return int(self._vecs.shape[0])

    def search(self, query: Vector, k: int) -> list[tuple[int, float]]:
        all_scores = self._vecs @ query
        return [(int(i), float(all_scores[i])) for i in np.argsort(-all_scores)[:k]]

    def scores(self, query: Vector, ids: Sequence[int]) -> Vector:
        return np.asarray((self._vecs @ query)[np.asarray(ids, dtype=np.int64)], dtype=np.float32)

    def vectors(self, ids: Sequence[int] | None = None) -> np.ndarray:
        return self._vecs if ids is None else self._vecs[np.asarray(ids, dtype=np.int64)]
