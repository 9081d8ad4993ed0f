"""The seams of kgqa: one small Protocol per swappable part.

Each part has an embedded default beside its implementation (``retrieval/``, ``kg/``,
``engine/``) and may have a server-backed one; code above a seam holds the part as a typed
field of the Protocol type and never probes it with ``hasattr``. A new backend is a class with
these methods (``tests/core/test_interfaces.py`` checks the shipped ones against them).

============  ===========================================  ==================================
part          embedded default                             server-backed / optional
============  ===========================================  ==================================
Embedder      retrieval.embedding (torch; NumPy queries)   ONNX Runtime int8
DenseIndex    retrieval.dense (FAISS flat IP, NumPy)       pgvector
LexicalIndex  retrieval.lexical.BM25Index (bm25s)          PostgreSQL
DocumentStore retrieval.store.RetrievalIndex               PostgreSQL tables
GraphStore    kg.store.GraphStore (NetworkX + JSON)        PostgreSQL tables
Extractor     kg.extract.RuleExtractor (rules + spaCy)     kg.llm_extract.LLMExtractor (verified)
Answerer      engine.answer.OfflineAnswerer                engine.llm_answer.LLMAnswerer
ChatModel     -                                            engine.llm (llama-index OpenAILike/Ollama)
============  ===========================================  ==================================
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from core.types import Answer, Chunk, DocRecord, Document, Entity, Fact, SearchResult, Unit

Vector = NDArray[np.float32]
ChatTurn = tuple[str, str]  # (role, content): role is "system", "user" or "assistant"
Extraction = dict[str, Any]  # {"doc", "sha256", "version", "mentions": [...], "facts": [...]}


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows (inner product = cosine)."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> Vector:
        """An ``(len(texts), dim)`` array of unit-length rows."""
        ...


@runtime_checkable
class DenseIndex(Protocol):
    """Nearest neighbours by inner product over rows numbered ``0..len-1``."""

    @property
    def dim(self) -> int: ...

    def __len__(self) -> int: ...

    def search(self, query: Vector, k: int) -> list[tuple[int, float]]:
        """The ``k`` best ``(row, score)`` pairs, best first."""
        ...

    def scores(self, query: Vector, ids: Sequence[int]) -> Vector:
        """The inner product of ``query`` with each row of ``ids``, in that order."""
        ...

    def vectors(self, ids: Sequence[int] | None = None) -> Vector:
        """Rows ``ids`` (all when ``None``): lets an ingest reuse unchanged documents' vectors."""
        ...


@runtime_checkable
class LexicalIndex(Protocol):
    """Keyword relevance (BM25 or full-text rank) of a query against rows ``0..len-1``."""

    def __len__(self) -> int: ...

    def scores(self, query: str) -> Vector:
        """One non-negative score per row (0 where no query word occurs)."""
        ...


@runtime_checkable
class DocumentStore(Protocol):
    """The citable text of one index state: documents, their units and chunks with raw spans."""

    docs: Mapping[str, DocRecord]
    units: Sequence[Unit]
    chunks: Sequence[Chunk]


@runtime_checkable
class GraphStore(Protocol):
    """Entities and typed facts with evidence spans, and the queries the engine and UI make."""

    meta: dict[str, Any]

    def entities(self, type: str | None = None) -> list[Entity]: ...

    def entity(self, id_or_name: str) -> Entity | None: ...

    def find(self, name: str, fuzzy: bool = True, cutoff: float = 0.82) -> list[Entity]: ...

    def facts(self, entity: str | None = None, predicate: str | None = None, metric: str | None = None) -> list[Fact]: ...

    def metric_facts(self, entity: str | None = None) -> list[Fact]: ...

    def relations(self) -> list[Fact]: ...

    def all_facts(self) -> list[Fact]: ...

    def neighbors(self, entity_id: str) -> list[tuple[Entity, Fact]]: ...

    def path(self, a: str, b: str) -> list[Fact]: ...

    def conflicts(self) -> list[dict[str, Any]]: ...

    def stats(self) -> dict[str, Any]: ...

    def name_of(self, entity_id: str | None) -> str: ...

    def to_networkx(self) -> Any:
        """The graph as a ``networkx.MultiDiGraph`` (for the algorithms and views that need one)."""
        ...


@runtime_checkable
class Extractor(Protocol):
    """Reads entities, relations and metric facts (with exact evidence spans) off one document."""

    version: str

    def extract(self, doc: Document, units: Sequence[Unit]) -> Extraction: ...


@runtime_checkable
class Answerer(Protocol):
    """Turns a search result into a cited :class:`~core.types.Answer`.

    ``draft`` is an answer already made by another answerer (the offline one), which an
    LLM answerer improves on or falls back to.
    """

    def answer(self, result: SearchResult, draft: Answer | None = None) -> Answer: ...


@runtime_checkable
class ChatModel(Protocol):
    """A chat-completion endpoint. Every call is bounded by ``deadline_s`` in total and raises
    :class:`~core.errors.LLMError` (or ``LLMDeadline``) rather than hang."""

    label: str  # "openai-compatible model m at http://..." - never a secret
    timeout_s: float  # the client's own timeout for one request

    def chat(self, messages: Sequence[ChatTurn], deadline_s: float) -> str: ...

    def stream(self, messages: Sequence[ChatTurn], deadline_s: float) -> Iterator[str]: ...
