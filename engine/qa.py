"""The question-answering facade used by the CLI, the UI and evaluation scripts.

>>> from kgqa import QA                          # doctest: +SKIP
>>> qa = QA.load(".kgqa-index")                 # doctest: +SKIP
>>> qa.ask("What was Twilio's fiscal 2024 revenue?").text   # doctest: +SKIP
'About $4.46 billion in fiscal 2024 [1]. With fiscal 2024 revenue of approximately ... [1]'

A :class:`QA` holds one loaded index generation (:class:`~engine.store.Snapshot`) and its
parts as typed fields: the retriever, the offline answerer, and an optional LLM answerer
that improves on the offline answer and falls back to it. It watches its store: a state
committed by another process (an ingest, another server's upload) is picked up within
``settings.refresh_s`` seconds, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from core.config import Settings, set_offline_env
from core.errors import KgqaError
from core.interfaces import ChatModel, GraphStore
from core.types import Answer, SearchResult
from core.validation import check_question
from engine.answer import OfflineAnswerer
from engine.answer_result import note_ignored
from engine.compare import Comparer
from engine.compute.route import ComputeRoute
from engine.graph_route import GraphContext, merge_graph_answer, two_hop_answer
from engine.ingest import BuildReport, build_index
from engine.llm import make_chat
from engine.llm_answer import LLMAnswerer
from engine.merge import merge_answers
from engine.open_answer import OpenAnswerer
from engine.search import EngineRetriever
from engine.store import Snapshot
from engine.stores import open_store
from retrieval.question import analyze, split_question

log = logging.getLogger(__name__)
Say = Callable[[str], None]
OPEN_TYPES = frozenset({"open", "reason"})  # answered point by point (engine.open_answer)
OPEN_SEARCH_K = 12  # passages searched for an open answer: its points come from every relevant section


class QA:
    """Answers questions over one index generation. Thread-safe for concurrent ``ask`` calls."""

    def __init__(self, snapshot: Snapshot, settings: Settings, chat: ChatModel | None = None) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.index = snapshot.index
        self.retriever = EngineRetriever(self.index, settings)
        self.offline = OfflineAnswerer(self.index, settings)
        self.route = ComputeRoute(self.index, snapshot.graph, self.retriever.quarantine)  # computed and yes/no
        self.opener = OpenAnswerer(self.index, self.offline.ranker, settings, snapshot.graph, self.retriever.quarantine.chunks)
        self.comparer = Comparer(self.index, self.retriever, self.opener.outline, settings, snapshot.graph)
        self.llm: LLMAnswerer | None = None
        self._lock = threading.Lock()
        self.store = open_store(settings)
        self._generation = self.store.generation_of(snapshot)
        self._checked = time.monotonic()
        self._refreshing = threading.Lock()
        self.attach_llm(chat)

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def load(cls, index_dir: str | Path | None = None, settings: Settings | None = None) -> QA:
        """Open an existing index (raises :class:`~core.errors.IndexUnusable` with a fix if it is unusable).

        ``index_dir`` is a file-store folder; ``settings.store`` may name a PostgreSQL store instead.
        """
        set_offline_env()
        settings = settings or Settings.load()
        if index_dir is not None:
            settings = settings.with_values({"index_dir": Path(index_dir)})
        return cls(open_store(settings).load(settings), settings)

    @classmethod
    def open_or_build(
        cls,
        settings: Settings,
        paths: Sequence[Path] | None = None,
        progress: bool = False,
        say: Say | None = None,
    ) -> QA:
        """Open the index, building it from ``paths`` (default: the corpus folder) if there is none."""
        set_offline_env()
        store = open_store(settings)
        if not store.exists():
            build_index(list(paths or [settings.corpus_dir]), settings, progress=progress, say=say)
        return cls(store.load(settings), settings)

    @property
    def graph(self) -> GraphStore | None:
        """The knowledge graph of the loaded generation, or ``None``."""
        return self.snapshot.graph

    def attach_llm(self, chat: ChatModel | None, settings: Settings | None = None) -> None:
        """Answer with ``chat`` (checked, with the offline answer as fallback); ``None`` detaches it.

        ``settings`` carries the LLM limits (timeouts, passages); default: this QA's settings.
        """
        if chat is None:
            self.llm = None
            return
        self.llm = LLMAnswerer(chat, self.offline, self.index, settings or self.settings, self.graph)

    def ingest(self, paths: Sequence[Path], add: bool = True, progress: bool = False, say: Say | None = None) -> BuildReport:
        """Add (or sync) documents, then switch this QA to the new index generation."""
        report = build_index(list(paths), self.settings, add=add, progress=progress, say=say)
        self._switch(QA(self.store.load(self.settings), self.settings))
        return report

    def refresh(self, force: bool = False) -> bool:
        """Switch to a newer state of the store if another process committed one; ``True`` if it did.

        Checked at most every ``settings.refresh_s`` seconds (``force`` checks now; ``refresh_s``
        of 0 turns the automatic check off). A newer state that cannot be loaded is logged and the
        current one keeps answering.
        """
        now = time.monotonic()
        if not force and (self.settings.refresh_s <= 0 or now - self._checked < self.settings.refresh_s):
            return False
        if not self._refreshing.acquire(blocking=force):
            return False  # another thread is checking
        try:
            self._checked = now
            gen = self.store.generation()
            if gen is None or gen == self._generation:
                return False
            self._switch(QA(self.store.load(self.settings), self.settings))
            log.info("switched to index state %s of %s", gen, self.store.label)
            return True
        except KgqaError as exc:
            log.warning("a newer index state is not usable yet (%s); still answering from the loaded one", exc)
            return False
        finally:
            self._refreshing.release()

    def _switch(self, fresh: QA) -> None:
        """Answer from ``fresh``'s index state from now on, keeping an attached LLM."""
        with self._lock:
            llm = self.llm
            self.snapshot, self.index = fresh.snapshot, fresh.index
            self.retriever, self.offline, self.route = fresh.retriever, fresh.offline, fresh.route
            self.opener, self.comparer = fresh.opener, fresh.comparer
            self._generation = fresh._generation
            if llm is not None:  # keep an attached LLM across index generations
                self.attach_llm(llm.chat, llm.settings)

    # ---- asking ---------------------------------------------------------------------------------

    def check_question(self, question: Any) -> str:
        return check_question(question, self.settings.max_question_chars)

    def search(self, question: str, k: int | None = None) -> SearchResult:
        self.refresh()
        return self.retriever.search(self.check_question(question), k=k)

    def ask(self, question: str, k: int | None = None, use_graph: bool | None = None) -> Answer:
        """Answer ``question`` with citations; never raises for weak evidence (it abstains)."""
        t0 = time.perf_counter()
        q = self.check_question(question)
        self.refresh()
        ctx = self._graph_context(use_graph)
        # -- computed and yes/no answers (engine.compute): before the passages, or as their fallback
        first, fallback = self.route.first(q, lambda s: self.retriever.search(s, k=k)) if ctx else (None, None)
        if first is not None:
            first.timings_ms["total"] = (time.perf_counter() - t0) * 1000
            return first
        # --
        shaped = self._ask_shaped(q, k, ctx)
        if shaped is not None:
            shaped.timings_ms["total"] = (time.perf_counter() - t0) * 1000
            return self._note_graph(shaped, use_graph)
        parts = split_question(q)
        if len(parts) > 1 and ctx is not None:  # the graph may combine the parts itself (two hops)
            whole = two_hop_answer(ctx, self.retriever.search(q, k=k))
            if whole is not None:
                whole.timings_ms["total"] = (time.perf_counter() - t0) * 1000
                return whole
        if len(parts) > 1:
            subs = [(p, self._ask_one(p, k, ctx)) for p in parts]
            answer = merge_answers(q, subs, comparison=analyze(q).answer_type == "comparison")
            answer.passages = answer.passages[: k or self.settings.top_k]
        else:
            answer = self._ask_one(q, k, ctx)
        answer = self.route.fallback(answer, fallback)  # computed from stated figures when passages abstain
        answer.timings_ms["total"] = (time.perf_counter() - t0) * 1000
        return self._note_graph(answer, use_graph)

    def stream(self, question: str, k: int | None = None) -> Iterator[str | Answer]:
        """Stream an answer for the UI: text deltas, then the final :class:`Answer` (always last).

        Works with or without an LLM (offline: one delta with the whole text). Raises only
        :class:`~core.errors.QuestionError`, before yielding anything.
        """
        t0 = time.perf_counter()
        q = self.check_question(question)
        self.refresh()
        ctx = self._graph_context(None)
        first, fallback = self.route.first(q, lambda s: self.retriever.search(s, k=k)) if ctx else (None, None)
        if first is not None:  # a computed or yes/no answer (engine.compute) is final: no LLM rewrite
            first.timings_ms["total"] = (time.perf_counter() - t0) * 1000
            yield first.text
            yield first
            return
        shaped = self._ask_shaped(q, k, ctx)
        if shaped is not None:  # points and tables are built offline, then shown whole
            shaped.timings_ms["total"] = (time.perf_counter() - t0) * 1000
            yield shaped.text
            yield self._note_graph(shaped, None)
            return
        result = self.search(q, k=k)
        offline = self.route.fallback(self._with_graph(self.offline.answer(result), result, ctx), fallback)
        llm = self.llm
        final: Answer | None = None
        if llm is None:
            final = offline
            yield final.text
        else:
            for item in llm.stream(result, offline):
                if isinstance(item, Answer):
                    final = item
                else:
                    yield item
        assert final is not None
        final.timings_ms["total"] = (time.perf_counter() - t0) * 1000
        yield self._note_graph(note_ignored(final, result), None)

    def _ask_one(self, q: str, k: int | None, ctx: GraphContext | None) -> Answer:
        t0 = time.perf_counter()
        result = self.retriever.search(q, k=k)
        t1 = time.perf_counter()
        # offline passages + graph first: that is also the LLM's fallback and its facts
        answer = self._with_graph(self.offline.answer(result), result, ctx)
        llm = self.llm
        if llm is not None:
            answer = llm.answer(result, draft=answer)
        answer.timings_ms["search"] = (t1 - t0) * 1000
        answer.timings_ms["answer"] = (time.perf_counter() - t1) * 1000
        return note_ignored(answer, result)

    def _note_graph(self, answer: Answer, use_graph: bool | None) -> Answer:
        """Say so in the answer when the graph should have been used but is unreadable."""
        on = self.settings.use_graph if use_graph is None else use_graph
        if on and self.snapshot.graph_error and self.snapshot.graph_error not in answer.notes:
            answer.notes.append(self.snapshot.graph_error)
        return answer

    # ---- open answers and comparisons (issue 11) ----------------------------------------------------

    def _ask_shaped(self, q: str, k: int | None, ctx: GraphContext | None) -> Answer | None:
        """A point-by-point answer to an open question, a table for a comparison (``None`` for every
        other kind of question, and for a comparison whose two items cannot be told apart).

        Open answers are built offline even with an LLM attached: every point is a quoted,
        cited clause, which an LLM rewrite would lose. A comparison's quantity cells are
        sub-answers, so they go through the LLM when one is attached.
        """
        kind = analyze(q).answer_type
        if kind == "comparison":
            return self.comparer.answer(q, k, lambda sub: self._ask_one(sub, k, ctx))
        if kind not in OPEN_TYPES or len(split_question(q)) > 1:
            return None
        t0 = time.perf_counter()
        top = k or self.settings.top_k
        qv = self.retriever.embed(q) if self.settings.use_dense or self.settings.use_rescoring else None
        result = self.retriever.search(q, k=max(top, OPEN_SEARCH_K), vector=qv)
        t1 = time.perf_counter()
        answer = self.opener.answer(result, qv if self.settings.use_dense else None)
        answer.passages = answer.passages[:top]
        answer.timings_ms["search"] = (t1 - t0) * 1000
        answer.timings_ms["answer"] = (time.perf_counter() - t1) * 1000
        if self.llm is not None:
            answer.notes.append("open answer built offline (quoted points); the LLM is not used for it")
        return note_ignored(answer, result)

    def _graph_context(self, use_graph: bool | None) -> GraphContext | None:
        on = self.settings.use_graph if use_graph is None else use_graph
        graph = self.graph if on else None
        return GraphContext(self.index, graph, self.offline, self.retriever.quarantine) if graph is not None else None

    @staticmethod
    def _with_graph(answer: Answer, result: SearchResult, ctx: GraphContext | None) -> Answer:
        return answer if ctx is None else merge_graph_answer(ctx, answer, result)


def open_qa(settings: Settings, progress: bool = False, say: Say | None = None) -> QA:
    """The QA the CLI and the server use: build the index on first use, attach the configured LLM.

    Raises :class:`~core.errors.LLMError` when an LLM is configured but unusable.
    """
    if say is not None and not open_store(settings).exists():
        say(f"no index at {open_store(settings).label}; building it from {settings.corpus_dir} (first use)")
    qa = QA.open_or_build(settings, progress=progress, say=say)
    if say is not None and settings.use_graph and qa.graph is None and qa.snapshot.graph_error:
        say(f"warning: {qa.snapshot.graph_error}")
    qa.attach_llm(make_chat(settings))
    return qa
