"""The question-answering facade used by the CLI, the UI and evaluation scripts.

>>> from kgqa.qa import QA                      # doctest: +SKIP
>>> qa = QA.load(".kgqa-index")                 # doctest: +SKIP
>>> qa.ask("What was Twilio's fiscal 2024 revenue?").text   # doctest: +SKIP
'About $4.46 billion in fiscal 2024 [1]. With fiscal 2024 revenue of approximately ... [1]'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kgqa.config import Settings, set_offline_env
from kgqa.types import Answer
from kgqa.validation import QuestionError, check_question  # noqa: F401 - QuestionError is part of this API
from retrieval.index import BuildReport, Index, build_index, resolve_current
from retrieval.question import analyze, split_question
from retrieval.search import Retriever, SearchResult


class QA:
    """Answers questions over one index. Thread-safe for concurrent ``ask`` calls."""

    def __init__(self, index: Index, settings: Settings) -> None:
        from kgqa.answer import OfflineAnswerer

        self.index = index
        self.settings = settings
        self.retriever = Retriever(index, settings)
        self.answerer = OfflineAnswerer(index, settings)
        self._lock = threading.Lock()

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def load(cls, index_dir: str | Path | None = None, settings: Settings | None = None) -> QA:
        """Open an existing index (raises ``retrieval.index.IndexError_`` with a fix if it is unusable)."""
        set_offline_env()
        settings = settings or Settings.load()
        if index_dir is not None:
            settings = settings.with_values({"index_dir": Path(index_dir)})
        return cls(Index.load(settings.index_dir, settings), settings)

    @classmethod
    def open_or_build(
        cls,
        settings: Settings,
        paths: Sequence[Path] | None = None,
        progress: bool = False,
        say: Callable[[str], None] | None = None,
    ) -> QA:
        """Open the index, building it from ``paths`` (default: the corpus folder) if there is none."""
        set_offline_env()
        if resolve_current(settings.index_dir) is None:
            build_index(list(paths or [settings.corpus_dir]), settings, progress=progress, say=say)
        return cls(Index.load(settings.index_dir, settings), settings)

    def ingest(self, paths: Sequence[Path], add: bool = True, progress: bool = False,
               say: Callable[[str], None] | None = None) -> BuildReport:
        """Add (or sync) documents, then switch this QA to the new index generation."""
        report = build_index(list(paths), self.settings, add=add, progress=progress, say=say)
        new = Index.load(self.settings.index_dir, self.settings)
        with self._lock:
            llm = self.answerer if hasattr(self.answerer, "rebind") else None
            self.__init__(new, self.settings)  # type: ignore[misc]
            if llm is not None:  # keep an attached LLM across index generations
                self.answerer = llm.rebind(new, self.answerer)
        return report

    # ---- asking ---------------------------------------------------------------------------------

    def check_question(self, question: Any) -> str:
        return check_question(question, self.settings.max_question_chars)

    def search(self, question: str, k: int | None = None) -> SearchResult:
        return self.retriever.search(self.check_question(question), k=k)

    def ask(self, question: str, k: int | None = None, use_graph: bool | None = None) -> Answer:
        """Answer ``question`` with citations; never raises for weak evidence (it abstains)."""
        t0 = time.perf_counter()
        q = self.check_question(question)
        parts = split_question(q)
        graph_on = (self.settings.use_graph if use_graph is None else use_graph) and self.index.graph is not None
        if len(parts) > 1 and graph_on:  # the graph may combine the parts itself (two hops)
            from kgqa.graph_route import two_hop_answer

            whole = two_hop_answer(self, self.retriever.search(q, k=k))
            if whole is not None:
                whole.timings_ms["total"] = (time.perf_counter() - t0) * 1000
                return whole
        if len(parts) > 1:
            from kgqa.answer import merge_answers

            subs = [(p, self._ask_one(p, k, use_graph)) for p in parts]
            answer = merge_answers(q, subs, comparison=analyze(q).answer_type == "comparison")
            answer.passages = answer.passages[: k or self.settings.top_k]
        else:
            answer = self._ask_one(q, k, use_graph)
        answer.timings_ms["total"] = (time.perf_counter() - t0) * 1000
        return answer

    def _ask_one(self, q: str, k: int | None, use_graph: bool | None) -> Answer:
        t0 = time.perf_counter()
        result = self.retriever.search(q, k=k)
        t1 = time.perf_counter()
        # offline passages + graph first: that is also the LLM's fallback and its facts
        llm = self.answerer if hasattr(self.answerer, "stream") else None  # kgqa.llm_answer.LLMAnswerer
        answer = (llm.fallback if llm is not None else self.answerer).answer(result)
        if (self.settings.use_graph if use_graph is None else use_graph) and self.index.graph is not None:
            answer = self._with_graph(answer, result)
        if llm is not None:
            answer = llm.answer(result, offline=answer)
        answer.timings_ms["search"] = (t1 - t0) * 1000
        answer.timings_ms["answer"] = (time.perf_counter() - t1) * 1000
        return answer

    def _with_graph(self, answer: Answer, result: SearchResult) -> Answer:
        try:
            from kgqa.graph_route import merge_graph_answer
        except ImportError:
            return answer
        return merge_graph_answer(self, answer, result)
