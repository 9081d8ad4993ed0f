"""The baseline kgqa is measured against: a plain llama-index ``VectorStoreIndex``.

Same embedding model as kgqa (the packaged all-MiniLM-L6-v2, loaded from its local folder,
never the hub), llama-index's default ``SentenceSplitter``, no LLM (``Settings.llm = None``).
Its "answer" is the first retrieved sentence: in the top node, the first sentence holding
a value of the kind the question asks for (money for "how much", a percentage for "what
share", ...), else the node's first sentence; it is cited with its exact character span.
It never abstains.

:class:`ChunkedBaseline` is the same system with a benchmark's published chunking
(FinanceBench, LiHua-World). llama-index (and with it torch) is imported inside the functions
that build an index: it takes seconds, and the gold evaluation without ``--baseline`` never needs it.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from core.config import Settings, set_offline_env
from core.types import Answer, Citation, Point
from core.values import find_values
from eval.bench_common import dir_bytes
from retrieval.embedding import model_path
from retrieval.question import analyze

# sentence ends: ". " / "! " / "? " or any line break (headings and table rows stand alone)
_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9$~])|\n+")


def sentences(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each non-blank sentence of ``text``, trimmed.

    >>> t = "Revenue grew. Margins were 49%.\\n| a | b |"
    >>> [t[s:e] for s, e in sentences(t)]
    ['Revenue grew.', 'Margins were 49%.', '| a | b |']
    """
    out = []
    pos = 0
    for m in [*_SENT_END.finditer(text), None]:
        end = m.start() if m else len(text)
        s, e = pos, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
        if m is None:
            break
        pos = m.end()
    return out


def pick_sentence(node_text: str, kinds: tuple[str, ...]) -> tuple[int, int] | None:
    """The first sentence with a value of one of ``kinds`` (else the first sentence)."""
    sents = sentences(node_text)
    if not sents:
        return None
    if kinds:
        for s, e in sents:
            if any(v.kind in kinds for v in find_values(node_text[s:e])):
                return s, e
    return sents[0]


class BaselineSystem:
    """llama-index retrieval + first-retrieved-sentence answers, behind ``eval.gold_eval.System``."""

    name = "baseline"

    def __init__(self, index: Any, docs: dict[str, str], top_k: int, embed_desc: str, build_s: float) -> None:
        self.index = index
        self._docs = docs
        self.top_k = top_k
        self.embed_desc = embed_desc
        self.build_s = build_s
        self.n_nodes = len(index.docstore.docs)

    @classmethod
    def build(
        cls, docs: dict[str, str], settings: Settings | None = None, top_k: int | None = None,
        embed_model: Any = None,
    ) -> BaselineSystem:
        """Index ``docs`` (id -> raw text). ``embed_model`` replaces the real model (tests)."""
        set_offline_env()
        settings = settings or Settings()
        t0 = time.perf_counter()
        # heavy (torch): only when a baseline is built
        from llama_index.core import Document, VectorStoreIndex

        embed_model, desc = embedding(settings, embed_model)
        use_embedding(embed_model)
        documents = [Document(text=raw, metadata={"doc": did}) for did, raw in sorted(docs.items())]
        index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
        return cls(index, docs, top_k or settings.top_k, desc, round(time.perf_counter() - t0, 2))

    def config(self) -> dict[str, Any]:
        return {"embed_model": self.embed_desc, "splitter": "SentenceSplitter (llama-index defaults)",
                "nodes": self.n_nodes, "top_k": self.top_k, "llm": None}

    @property
    def docs(self) -> dict[str, str]:
        return self._docs

    def _nodes(self, question: str, k: int) -> list[Any]:
        return self.index.as_retriever(similarity_top_k=k).retrieve(question)

    def retrieve(self, question: str, k: int) -> list[tuple[str, int, int]]:
        out = []
        for n in self._nodes(question, k):
            node = n.node
            if node.start_char_idx is not None and node.end_char_idx is not None:
                out.append((node.metadata["doc"], int(node.start_char_idx), int(node.end_char_idx)))
        return out

    def answer(self, question: str) -> Answer:
        t0 = time.perf_counter()
        qa = analyze(question)
        nodes = self._nodes(question, self.top_k)
        t1 = time.perf_counter()
        cites: list[Citation] = []
        text = ""
        if nodes:
            node = nodes[0].node
            did = node.metadata["doc"]
            raw = self._docs[did]
            start = node.start_char_idx
            body = raw[start : node.end_char_idx] if start is not None else ""
            pick = pick_sentence(body, qa.kinds)
            if pick is not None and start is not None:
                s, e = start + pick[0], start + pick[1]
                cites.append(Citation(n=1, doc=did, title=did, section="", start=s, end=e, text=raw[s:e]))
                text = f"{' '.join(raw[s:e].split())} [1]"
        t2 = time.perf_counter()
        return Answer(
            question=question, text=text or "No passage retrieved.", citations=cites, abstained=False,
            route="passages", answer_type=qa.answer_type,
            timings_ms={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000},
            mode="baseline",
        )


    def answer_open(self, question: str, sentences_per_node: int = 1) -> Answer:
        """The baseline's answer to an open or comparative question: the first sentence of each of the
        top ``top_k`` retrieved nodes, each cited (no ranking, no dedup, no table)."""
        t0 = time.perf_counter()
        nodes = self._nodes(question, self.top_k)
        cites: list[Citation] = []
        points: list[Point] = []
        for n in nodes:
            node = n.node
            start = node.start_char_idx
            if start is None:
                continue
            did = node.metadata["doc"]
            raw = self._docs[did]
            body = raw[start : node.end_char_idx]
            for s, e in sentences(body)[:sentences_per_node]:
                a, b = start + s, start + e
                c = Citation(n=len(cites) + 1, doc=did, title=did, section="", start=a, end=b, text=raw[a:b])
                cites.append(c)
                points.append(Point(" ".join(raw[a:b].split()), [c.n]))
        text = "\n".join(f"- {p.text} [{p.citations[0]}]" for p in points) or "No passage retrieved."
        ms = (time.perf_counter() - t0) * 1000
        return Answer(
            question=question, text=text, citations=cites, abstained=False, route="passages",
            answer_type=analyze(question).answer_type, timings_ms={"total": ms}, mode="baseline", points=points,
        )


class ChunkedBaseline(BaselineSystem):
    """:class:`BaselineSystem` with a benchmark's published chunking (llama-index ``SentenceSplitter``).

    ``unit="chars"`` counts characters (FinanceBench: 1024 characters, 30 overlap), ``"tokens"``
    llama-index's default tokenizer (LiHua-World: 1200 tokens, 100 overlap).
    """

    def __init__(self, *args: Any, splitter_desc: str = "", timings: dict[str, float] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.splitter_desc = splitter_desc
        self.timings = timings or {}

    @classmethod
    def build_chunked(
        cls, docs: dict[str, str], chunk_size: int, chunk_overlap: int, unit: str = "tokens",
        settings: Settings | None = None, top_k: int | None = None, embed_model: Any = None,
        show_progress: bool = False,
    ) -> ChunkedBaseline:
        """Split ``docs`` (id -> raw text) with the given chunking and index the nodes; time each step
        (``show_progress``: llama-index's progress bars on stderr)."""
        set_offline_env()
        settings = settings or Settings()
        t0 = time.perf_counter()
        # heavy (torch): only when a baseline is built
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        embed_model, desc = embedding(settings, embed_model, batch_size=settings.embed_batch_size)
        use_embedding(embed_model)
        kw: dict[str, Any] = {"chunk_size": chunk_size, "chunk_overlap": chunk_overlap}
        if unit == "chars":
            kw["tokenizer"] = list
        splitter = SentenceSplitter(**kw)
        documents = [Document(text=raw, metadata={"doc": did}) for did, raw in sorted(docs.items())]
        for d in documents:  # the doc id is for scoring, not for the embedded text
            d.excluded_embed_metadata_keys = ["doc"]
            d.excluded_llm_metadata_keys = ["doc"]
        t1 = time.perf_counter()
        nodes = splitter.get_nodes_from_documents(documents)
        t2 = time.perf_counter()
        index = VectorStoreIndex(nodes, embed_model=embed_model, show_progress=show_progress)
        t3 = time.perf_counter()
        timings = {"load": round(t1 - t0, 2), "split": round(t2 - t1, 2), "embed+index": round(t3 - t2, 2),
                   "total": round(t3 - t0, 2)}
        return cls(index, docs, top_k or settings.top_k, desc, round(t3 - t0, 2),
                   splitter_desc=f"SentenceSplitter(chunk_size={chunk_size} {unit}, chunk_overlap={chunk_overlap})",
                   timings=timings)

    @classmethod
    def load(
        cls, persist: Path, docs: dict[str, str], splitter_desc: str, timings: dict[str, float],
        settings: Settings | None = None, top_k: int | None = None,
    ) -> ChunkedBaseline:
        """The baseline a build persisted in ``persist`` (``eval.perf_baseline``), ready to answer."""
        set_offline_env()
        settings = settings or Settings()
        from llama_index.core import StorageContext, load_index_from_storage  # heavy (torch)

        embed_model, desc = embedding(settings, batch_size=settings.embed_batch_size)
        use_embedding(embed_model)
        index = load_index_from_storage(StorageContext.from_defaults(persist_dir=str(persist)), embed_model=embed_model)
        return cls(index, docs, top_k or settings.top_k, desc, timings.get("total", 0.0),
                   splitter_desc=splitter_desc, timings=timings)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "splitter": self.splitter_desc}

    def index_bytes(self) -> int:
        """Size of the persisted llama-index storage (docstore + vectors), written to a temp folder."""
        with tempfile.TemporaryDirectory() as tmp:
            self.index.storage_context.persist(persist_dir=tmp)
            return dir_bytes(Path(tmp))


# ---- the embedding model ------------------------------------------------------------------------------


def embedding(settings: Settings, embed_model: Any = None, batch_size: int | None = None) -> tuple[Any, str]:
    """The baseline's embedding model and its description for the reports.

    ``embed_model`` as given (tests pass a mock), else kgqa's packaged weights (``settings.model``,
    never the hub) through llama-index's ``HuggingFaceEmbedding`` on the CPU, with ``batch_size``
    when given (llama-index's default batch otherwise).
    """
    if embed_model is not None:
        return embed_model, type(embed_model).__name__
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding  # heavy (torch)

    _quiet_transformers()
    path = model_path(settings.model)
    if batch_size is None:
        return HuggingFaceEmbedding(model_name=str(path), device="cpu"), f"HuggingFaceEmbedding({path.name})"
    model = HuggingFaceEmbedding(model_name=str(path), device="cpu", embed_batch_size=batch_size)
    return model, f"HuggingFaceEmbedding({path.name}, batch {batch_size})"


def use_embedding(embed_model: Any) -> None:
    """Make ``embed_model`` llama-index's global embedding model, with no LLM.

    ``Settings.llm = None`` prints "LLM is explicitly disabled"; that print is swallowed.
    """
    from llama_index.core import Settings as LISettings  # heavy (torch)

    with contextlib.redirect_stdout(io.StringIO()):
        LISettings.llm = None
    LISettings.embed_model = embed_model


def _quiet_transformers() -> None:
    """No "Loading weights" progress bar in the evaluation's output."""
    try:
        # heavy; installed with llama-index's HuggingFace embeddings
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except (ImportError, AttributeError):
        pass
