"""The baseline kgqa is measured against: a plain llama-index ``VectorStoreIndex``.

Same embedding model as kgqa (the packaged all-MiniLM-L6-v2, loaded from its local folder,
never the hub), llama-index's default ``SentenceSplitter``, no LLM (``Settings.llm = None``).
Its "answer" is the first retrieved sentence: in the top node, the first sentence holding
a value of the kind the question asks for (money for "how much", a percentage for "what
share", ...), else the node's first sentence; it is cited with its exact character span.
It never abstains.
"""

from __future__ import annotations

import re
import time
from typing import Any

from core.config import Settings, set_offline_env
from core.types import Answer, Citation, Point
from core.values import find_values

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
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core import Settings as LISettings

        if embed_model is None:
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding

            _quiet_transformers()

            from retrieval.embedding import model_path

            embed_model = HuggingFaceEmbedding(model_name=str(model_path(settings.model)), device="cpu")
            desc = f"HuggingFaceEmbedding({model_path(settings.model).name})"
        else:
            desc = type(embed_model).__name__
        _no_llm(LISettings)
        LISettings.embed_model = embed_model
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
        from retrieval.question import analyze

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
        from retrieval.question import analyze

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


def _no_llm(li_settings: Any) -> None:
    """``Settings.llm = None`` without llama-index's "LLM is explicitly disabled" print."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        li_settings.llm = None


def _quiet_transformers() -> None:
    """No "Loading weights" progress bar in the evaluation's output."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except (ImportError, AttributeError):
        pass
