"""Grounded LLM answers: numbered passages in, checked and cited sentences out, offline fallback.

:class:`LLMAnswerer` has the same ``answer(result) -> Answer`` interface as
:class:`~engine.answer.OfflineAnswerer` and holds one as its fallback. For each question:

1. **Offline first.** The offline answer is computed before the LLM is called; it is the
   fallback, and its cited units lead the passage list.
2. **Prompt** (:mod:`engine.llm_prompt`). Up to ``llm_max_passages`` (default 8) retrieved
   units are numbered 1..N *by kgqa* and sent as quoted data between ``<<<PASSAGE n>>>``
   and ``<<<END PASSAGE n>>>``, with the knowledge graph's typed facts read from those
   passages. Document text is neutralised before it is quoted: ``[3]``-style markers become
   ``(3)``, delimiter-like ``<<<``/``>>>`` runs become ``‹‹‹``/``›››``, newlines become
   spaces, and the text is JSON-quoted. The instructions live only in the system message.
   Passages containing instruction-like text ("ignore previous instructions ...") are
   labelled as such and can never be the only support of a sentence.
3. **Check** (:mod:`engine.llm_check`). The completion is split into sentences. Citation
   markers pointing at no passage are removed; a sentence with no valid citation, or whose
   numbers do not occur in the passages it cites (literally, or as the same quantity via
   :func:`core.values.find_values`), is dropped and noted. In a kept sentence, citations of
   passages that hold none of its numbers (or that were flagged) are removed too. Kept
   citations are renumbered 1..n in order of appearance, each a
   :class:`~core.types.Citation` of the unit's exact span.
4. **Fallback.** No supported sentence, an empty or malformed completion, a timeout, an HTTP
   error or a rate limit: the offline answer is returned with ``mode="llm-fallback"`` and a
   note saying why. Nothing here raises to the caller.

``answer.mode`` says what produced the text: ``"llm"`` or ``"llm-fallback"``;
``answer.notes[0]`` says it in words.

Streaming: :meth:`LLMAnswerer.stream` yields checked text as each sentence completes, then
the final :class:`~core.types.Answer` (authoritative: show ``answer.text`` at the end, it is
the offline text after a fallback). :meth:`engine.qa.QA.stream` does the same with or
without an LLM attached.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

from core.config import Settings
from core.errors import LLMDeadline
from core.interfaces import Answerer, ChatModel, DocumentStore, GraphStore
from core.types import Answer, Citation, QuestionAnalysis, SearchResult
from core.values import find_values
from engine.citations import citation
from engine.llm_check import Checked, Checker, check_notes, same_quantity
from engine.llm_prompt import PromptPassage, build_messages, graph_facts, select_passages


class LLMAnswerer:
    """Answers with an LLM, checked against the passages; falls back to ``fallback`` (see module docstring)."""

    def __init__(
        self, chat: ChatModel, fallback: Answerer, index: DocumentStore, settings: Settings,
        graph: GraphStore | None = None,
    ) -> None:
        self.chat = chat
        self.fallback = fallback
        self.index = index
        self.graph = graph
        self.settings = settings
        self.label = chat.label
        self.timeout_s = float(settings.llm_timeout_s)
        self.total_s = float(settings.extra.get("llm_total_timeout_s", 3 * self.timeout_s))
        self.max_passages = int(settings.extra.get("llm_max_passages", 8))
        self.max_sentences = int(settings.extra.get("llm_max_sentences", 4))
        # a reply longer than this is cut (max_tokens asks for ~2,000 characters; an endpoint may ignore it)
        self.max_reply_chars = int(settings.extra.get("llm_max_reply_chars", 12_000))

    # ---- public ----------------------------------------------------------------------------------

    def answer(self, result: SearchResult, draft: Answer | None = None) -> Answer:
        """A checked LLM answer, or ``draft`` (the offline answer, computed if not given) with ``mode="llm-fallback"``."""
        final: Answer | None = None
        for item in self.stream(result, draft, streaming=False):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(self, result: SearchResult, offline: Answer | None = None, streaming: bool = True) -> Iterator[str | Answer]:
        """Yield checked text deltas as sentences complete, then the final :class:`Answer` (always last)."""
        t0 = time.perf_counter()
        if offline is None:
            offline = self.fallback.answer(result)
        try:
            passages = select_passages(self.index, result, offline, self.max_passages)
        except Exception as exc:
            yield self._fallback(offline, f"could not prepare passages for the LLM ({type(exc).__name__})", t0)
            return
        if not passages:
            yield self._fallback(offline, "no passages were retrieved to ground an LLM answer", t0)
            return
        facts = graph_facts(self.graph, passages) if self.settings.use_graph else []
        messages = build_messages(result.question.text, passages, facts, self.max_sentences)
        # one budget for the call and the checking: a huge or slow reply cannot hold the caller
        checker = Checker(passages, deadline=time.monotonic() + self.total_s)
        received = 0
        try:
            for delta in self._deltas(messages, streaming):
                room = self.max_reply_chars - received
                received += len(delta)
                yield from checker.feed(delta[:room])
                if received >= self.max_reply_chars:
                    break  # the rest is never read
            yield from checker.finish()
        except Exception as exc:  # timeouts, HTTP errors, rate limits, malformed responses
            yield self._fallback(offline, self.explain(exc), t0)
            return
        answer = self._finish(result, offline, passages, checker.out, bool(facts), t0)
        if received > self.max_reply_chars:
            answer.notes.append(f"the LLM reply was cut at {self.max_reply_chars:,} characters")
        yield answer

    def explain(self, exc: BaseException) -> str:
        """A one-line reason for a failed call (no secrets, no traceback)."""
        name = type(exc).__name__
        status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
        if isinstance(exc, LLMDeadline):
            return f"LLM answer took longer than {self.total_s:g} s"
        if "Timeout" in name or isinstance(exc, TimeoutError):
            return f"LLM timed out after {self.timeout_s:g} s"
        if status == 429 or "RateLimit" in name:
            return "LLM endpoint is rate-limiting requests (HTTP 429)"
        if isinstance(status, int):
            return f"LLM endpoint returned HTTP {status}"
        if "Connect" in name or isinstance(exc, ConnectionError):
            return f"could not connect to the LLM endpoint ({self.label})"
        if isinstance(exc, ValueError | TypeError | KeyError | AttributeError | IndexError):
            return f"LLM endpoint sent a malformed response ({name})"
        return f"LLM call failed ({name}: {' '.join(str(exc).split())[:120]})"

    # ---- internals --------------------------------------------------------------------------------

    def _deltas(self, messages: list[tuple[str, str]], streaming: bool) -> Iterator[str]:
        """Text deltas of the completion; the chat model keeps the total deadline."""
        if streaming:
            yield from self.chat.stream(messages, self.total_s)
        else:
            yield self.chat.chat(messages, self.total_s)

    def _finish(self, result: SearchResult, offline: Answer, passages: list[PromptPassage], checked: Checked,
                used_facts: bool, t0: float) -> Answer:
        if not checked.sentences:
            if not checked.seen_text:
                reason = "LLM returned an empty completion"
            elif checked.declined:
                reason = "LLM said the passages do not answer the question"
            else:
                reason = f"none of the LLM's {len(checked.dropped)} sentence(s) was supported by the passages it cites"
            ans = self._fallback(offline, reason, t0)
            ans.notes.extend(check_notes(checked))
            return ans
        by_n = {p.n: p for p in passages}
        cites: list[Citation] = []
        for k, n in enumerate(checked.order, 1):
            cites.append(citation(self.index, by_n[n].unit, k, checked.highlight.get(n)))
        text = checked.text
        notes = [
            f"mode: llm - written by {self.label} from {len(passages)} numbered passages"
            + (" and graph facts" if used_facts else "")
            + "; every sentence checked against the passages it cites"
        ]
        notes += check_notes(checked)
        timings = dict(offline.timings_ms)
        timings["llm"] = (time.perf_counter() - t0) * 1000
        return Answer(
            question=result.question.text, text=text, citations=cites, abstained=False, route="llm",
            passages=list(result.passages), timings_ms=timings, answer_type=result.question.answer_type,
            value=_value_of(text, offline, result.question), mode="llm", notes=notes,
            conflicts=list(offline.conflicts),
        )

    def _fallback(self, offline: Answer, reason: str, t0: float) -> Answer:
        timings = dict(offline.timings_ms)
        timings["llm"] = (time.perf_counter() - t0) * 1000
        return replace(
            offline, mode="llm-fallback", timings_ms=timings,
            notes=[f"{reason}; showing the offline answer", *offline.notes],
        )


def _value_of(text: str, offline: Answer, question: QuestionAnalysis) -> str | None:
    """The answer's value: the offline value when the LLM states the same quantity, else the
    first value of a kind the question asks for."""
    found = find_values(text)
    if offline.value and not offline.abstained:
        ov = find_values(offline.value)
        if ov and any(same_quantity(v, ov[0]) for v in found):
            return offline.value
    v = next((v for v in found if v.kind in question.kinds), None)
    return v.surface if v else None

