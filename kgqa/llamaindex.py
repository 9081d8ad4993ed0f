"""kgqa inside llama-index applications: a retriever of exact spans and a query engine of cited answers.

:class:`KgqaRetriever` is a llama-index ``BaseRetriever``: it returns kgqa's hybrid search
results (dense + BM25 + re-scoring) as ``NodeWithScore`` whose text is exactly
``raw[start:end]`` of the document, with ``doc``, ``title``, ``section``, ``page``, ``start``
and ``end`` in the node's metadata - so any llama-index response synthesizer, reranker or agent
can use them and every source still points at an exact span.

:class:`KgqaQueryEngine` is a llama-index query engine that answers with kgqa itself (offline,
or with its checked LLM): the ``Response`` text carries kgqa's ``[n]`` markers and its source
nodes are the citations, node ``n`` for marker ``[n]``.

>>> from kgqa.qa import QA                                                  # doctest: +SKIP
>>> from kgqa.llamaindex import KgqaQueryEngine, KgqaRetriever             # doctest: +SKIP
>>> qa = QA.load(".kgqa-index")                                             # doctest: +SKIP
>>> nodes = KgqaRetriever(qa, k=4).retrieve("What was Twilio's 2024 revenue?")   # doctest: +SKIP
>>> nodes[0].metadata["doc"], nodes[0].metadata["start"], nodes[0].metadata["end"]  # doctest: +SKIP
('twilio-cpaas-ai-native-alternatives.txt', 88, 702)
>>> response = KgqaQueryEngine(qa=qa).query("What was Twilio's 2024 revenue?")    # doctest: +SKIP
>>> str(response), response.source_nodes[0].node.metadata["start"]        # doctest: +SKIP
('About $4.46 billion in fiscal 2024 [1]. ...', 1289)

With a stock llama-index engine (any response mode; ``no_text`` needs no LLM)::

    from llama_index.core.query_engine import RetrieverQueryEngine
    engine = RetrieverQueryEngine.from_args(KgqaRetriever(qa), llm=my_llm, response_mode="compact")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks.base import CallbackManager
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from core.interfaces import DocumentStore
from core.types import Answer, Citation
from engine.qa import QA

Granularity = Literal["passage", "sentence"]
# What an LLM sees of a node's metadata: where it comes from, not the offsets.
HIDDEN_FROM_LLM = ["start", "end", "chunk_id", "kind", "n"]


def span_node(index: DocumentStore, doc_id: str, start: int, end: int, section: str, node_id: str,
              **extra: Any) -> TextNode:
    """A node holding exactly ``raw[start:end]`` of document ``doc_id``, with where it comes from."""
    doc = index.docs[doc_id]
    meta: dict[str, Any] = {"doc": doc_id, "title": doc.title, "section": section, "page": doc.page_of(start),
                            "start": start, "end": end, **extra}
    return TextNode(
        id_=node_id, text=doc.raw[start:end], metadata=meta,
        excluded_llm_metadata_keys=[k for k in HIDDEN_FROM_LLM if k in meta],
        excluded_embed_metadata_keys=list(meta),
    )


class KgqaRetriever(BaseRetriever):
    """kgqa's hybrid search as a llama-index retriever.

    ``granularity="passage"`` (default) returns the top ``k`` passages (chunks of one section);
    ``"sentence"`` returns the best-scored citable units (sentences, table rows) inside them.
    Scores are kgqa's fused scores (higher is better). The text of each node is exactly
    ``raw[start:end]`` of its document.
    """

    def __init__(self, qa: QA, k: int | None = None, granularity: Granularity = "passage",
                 callback_manager: CallbackManager | None = None) -> None:
        if granularity not in ("passage", "sentence"):
            raise ValueError(f"granularity must be 'passage' or 'sentence', not {granularity!r}")
        self.qa = qa
        self.k = k
        self.granularity: Granularity = granularity
        super().__init__(callback_manager=callback_manager)

    @classmethod
    def from_index(cls, index_dir: str | Path, **kwargs: Any) -> KgqaRetriever:
        """A retriever over the index at ``index_dir``."""
        return cls(QA.load(index_dir), **kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        retriever = self.qa.retriever  # one index generation for the search and the nodes
        index = retriever.index
        result = retriever.search(self.qa.check_question(query_bundle.query_str), k=self.k)
        if self.granularity == "sentence":
            k = self.k or self.qa.settings.top_k
            return [
                NodeWithScore(node=span_node(index, su.unit.doc, su.unit.start, su.unit.end, su.unit.section,
                                             f"{su.unit.doc}:{su.unit.start}-{su.unit.end}", kind=su.unit.kind),
                              score=float(su.score))
                for su in result.units[:k]
            ]
        out = []
        for cid, passage in zip(result.chunk_ids, result.passages, strict=True):
            c = index.chunks[cid]
            out.append(NodeWithScore(node=span_node(index, c.doc, c.start, c.end, c.section, c.key, chunk_id=c.key),
                                     score=float(passage.score)))
        return out


class KgqaQueryEngine(CustomQueryEngine):
    """kgqa's cited answer as a llama-index ``Response``.

    ``response.response`` is the answer text with ``[n]`` markers; ``source_nodes[n-1]`` is
    citation ``n`` (its text is exactly ``raw[start:end]``); ``response.metadata`` holds the
    rest of kgqa's answer (``abstained``, ``value``, ``route``, ``mode``, ``conflicts`` ...), as
    ``kgqa ask --json`` prints it.
    """

    qa: Any  # engine.qa.QA (typed loosely: the base class is a pydantic model)
    k: int | None = None
    use_graph: bool | None = None

    @classmethod
    def from_index(cls, index_dir: str | Path, **kwargs: Any) -> KgqaQueryEngine:
        """A query engine over the index at ``index_dir`` (offline unless an LLM is attached to its QA)."""
        return cls(qa=QA.load(index_dir), **kwargs)

    def custom_query(self, query_str: str) -> Response:
        qa: QA = self.qa
        return answer_response(qa.ask(query_str, k=self.k, use_graph=self.use_graph))


def answer_response(answer: Answer) -> Response:
    """A kgqa :class:`~core.types.Answer` as a llama-index ``Response`` (citations as source nodes)."""
    meta = answer.to_dict()
    meta.pop("citations")
    return Response(response=answer.text, source_nodes=[citation_node(c) for c in answer.citations], metadata=meta)


def citation_node(c: Citation) -> NodeWithScore:
    """Citation ``[n]`` as a node: its text is the cited span, ``raw[start:end]`` of ``doc``."""
    meta: dict[str, Any] = {"n": c.n, "doc": c.doc, "title": c.title, "section": c.section, "page": c.page,
                            "start": c.start, "end": c.end}
    if c.value_start is not None:
        meta.update(value_start=c.value_start, value_end=c.value_end)
    node = TextNode(id_=f"{c.doc}:{c.start}-{c.end}", text=c.text, metadata=meta,
                    excluded_llm_metadata_keys=[k for k in HIDDEN_FROM_LLM if k in meta],
                    excluded_embed_metadata_keys=list(meta))
    return NodeWithScore(node=node, score=None)
