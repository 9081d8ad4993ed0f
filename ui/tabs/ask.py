"""The Ask tab: a cited conversation, its sources panel, example questions and the LLM panel.

Follow-up questions are made self-contained with the conversation so far
(:func:`ui.conversation.resolve_followup`). With an LLM attached (:mod:`ui.tabs.llm_panel`),
answers are streamed into the chat sentence by sentence (:meth:`AskTab.ask_stream`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from core.errors import QuestionError
from core.safety import printable
from core.types import Answer
from ui.computation import computation_html, trend_plot_update
from ui.conversation import resolve_followup
from ui.gradio_env import gr
from ui.render import Turn, conversation_html, source_view, sources_html
from ui.tabs.llm_panel import LLMForm, LLMPanel
from ui.workspace import Workspace

log = logging.getLogger(__name__)

AskUpdate = tuple[Any, Any, list[Turn], str]  # (chat, sources, turns, question box)

# ---- browser-side code (runs inside gr.HTML js_on_load; no document text is interpreted) -------

CHAT_JS = r"""
element.addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-cite]');
  if (!b) return;
  ev.preventDefault();
  if (window.kgqaShowCitation) window.kgqaShowCitation(b.dataset.msg, b.dataset.n);
});
"""

SOURCES_JS = r"""
const show = (msg, n) => {
  msg = String(msg); n = String(n);
  element.querySelectorAll('.kgqa-srcgroup').forEach(g => { g.hidden = g.dataset.msg !== msg; });
  let card = null;
  element.querySelectorAll('.kgqa-src').forEach(s => {
    const on = s.dataset.msg === msg && s.dataset.n === n;
    s.classList.toggle('kgqa-active', on);
    if (on) card = s;
  });
  const viewer = element.querySelector('.kgqa-viewer');
  if (!card || !viewer) return;
  const head = card.querySelector('.kgqa-src-head').cloneNode(true);
  const body = document.createElement('div');
  body.className = 'kgqa-ctx-body';
  card.querySelector('.kgqa-ctx').childNodes.forEach(c => body.appendChild(c.cloneNode(true)));
  const title = document.createElement('div');
  title.className = 'kgqa-viewer-title';
  title.textContent = 'Cited passage in context';
  viewer.replaceChildren(title, head, body);
  viewer.classList.add('kgqa-viewer-on');
  viewer.dataset.msg = msg; viewer.dataset.n = n;
  const m = body.querySelector('mark.kgqa-span');
  if (m) body.scrollTop = Math.max(0, m.offsetTop - body.offsetTop - 60);
  viewer.scrollIntoView({block: 'nearest', behavior: 'smooth'});
};
window.kgqaShowCitation = show;
element.addEventListener('click', (ev) => {
  const c = ev.target.closest('[data-cite-card]');
  if (c) show(c.dataset.msg, c.dataset.n);
});
element.addEventListener('keydown', (ev) => {
  const c = ev.target.closest('[data-cite-card]');
  if (c && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); show(c.dataset.msg, c.dataset.n); }
});
"""


class AskTab:
    """Questions and answers of one session's conversation (the turns live in a ``gr.State``)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.llm = LLMPanel(ws)

    def ask(self, question: str, turns: list[Turn] | None) -> AskUpdate:
        """Answer ``question`` as the next turn of the conversation ``turns``."""
        turns = list(turns or [])
        q = " ".join((question or "").split())
        if not q:
            gr.Warning("Type a question first.")
            return conversation_html(turns), sources_html(turns), turns, question or ""
        # shown without control characters; asked as typed, so invalid text is refused by the QA check
        turn = Turn(question=printable(q), asked=self._resolve(q, turns))
        t0 = time.perf_counter()
        try:
            answer = self.ws.qa.ask(turn.asked)
        except Exception as exc:  # QuestionError and friends: shown in the chat, never a crash
            turn.error = str(exc) if isinstance(exc, QuestionError) else f"{type(exc).__name__}: {exc}"
            turn.latency_ms = (time.perf_counter() - t0) * 1000
        else:
            turn.latency_ms = (time.perf_counter() - t0) * 1000
            self._fill(turn, answer, len(turns))
        turns.append(turn)
        return conversation_html(turns), sources_html(turns), turns, ""

    def ask_stream(self, question: str, turns: list[Turn] | None) -> Iterator[AskUpdate]:
        """:meth:`ask` as a Gradio generator: with an LLM attached, the answer is streamed.

        Yields ``(chat, sources, turns, question box)`` updates: the turn being written (its
        checked sentences so far), then the final answer with clickable citations and its
        sources. Without an LLM it yields the offline answer once. Never raises: an error is
        shown as the turn's answer.
        """
        if not self.ws.llm_on():
            yield self.ask(question, turns)
            return
        turns = list(turns or [])
        q = " ".join((question or "").split())
        if not q:
            gr.Warning("Type a question first.")
            yield conversation_html(turns), sources_html(turns), turns, question or ""
            return
        turn = Turn(question=printable(q), asked=self._resolve(q, turns), streaming=True)
        shown = [*turns, turn]
        yield conversation_html(shown), gr.update(), turns, ""
        t0 = time.perf_counter()
        final: Answer | None = None
        try:
            for item in self.ws.qa.stream(turn.asked):
                if isinstance(item, Answer):
                    final = item
                elif item:
                    turn.text += item
                    yield conversation_html(shown), gr.update(), turns, ""
        except Exception as exc:  # QuestionError and friends: shown in the chat, never a crash
            turn.error = str(exc) if isinstance(exc, QuestionError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, QuestionError):
                log.warning("streamed answer failed: %s: %s", type(exc).__name__, exc)
        turn.streaming = False
        turn.latency_ms = (time.perf_counter() - t0) * 1000
        if final is not None and not turn.error:
            self._fill(turn, final, len(turns))
        elif not turn.error:
            turn.error = "no answer was produced"
        turns.append(turn)
        yield conversation_html(turns), sources_html(turns), turns, ""

    def _resolve(self, q: str, turns: list[Turn]) -> str:
        """``q`` made self-contained with the conversation so far (follow-ups)."""
        names: list[str] = []
        g = self.ws.graph()
        if g.available:
            for e in g.entities.values():
                names.append(e.name)
                names.extend(e.aliases)
        return resolve_followup(q, [t.asked for t in turns if not t.error], names)

    def _fill(self, turn: Turn, answer: Answer, msg: int) -> None:
        turn.text = answer.text
        turn.computation = computation_html(answer.computation, msg) if answer.computation is not None else ""
        turn.answer = answer
        turn.abstained = bool(answer.abstained)
        turn.route = str(answer.route)
        turn.mode = str(answer.mode)
        turn.notes = list(answer.notes)
        turn.points = list(answer.points)
        turn.comparison = answer.comparison
        index = self.ws.index
        turn.sources = [source_view(index, c) for c in answer.citations]

    @staticmethod
    def trend(turns: list[Turn] | None) -> dict[str, Any]:
        """The trend chart of the last answer: its metric over periods, each point naming its citation."""
        last = (turns or [])[-1:]
        answer = last[0].answer if last else None
        return trend_plot_update(answer.computation if isinstance(answer, Answer) else None)

    def clear(self) -> AskUpdate:
        return conversation_html([], self.ws.index_label()), sources_html([]), [], ""

    def fixed_question(self, q: str) -> Callable[[list[Turn]], Iterator[AskUpdate]]:
        """The handler of an example button: asks ``q`` in the conversation ``turns``."""

        def ask_example(turns: list[Turn]) -> Iterator[AskUpdate]:
            yield from self.ask_stream(q, turns)

        return ask_example

    # ---- the tab --------------------------------------------------------------------------------

    def build(self, header: gr.HTML) -> LLMForm:
        """The Ask tab: chat, question box, example questions, LLM panel, sources panel.

        Returns the LLM panel's form, which every new session fills in (:meth:`LLMPanel.llm_panel`).
        """
        examples = self.ws.examples()
        with gr.Tab("Ask", id="ask", elem_id="kgqa-tab-ask"):
            turns = gr.State([])
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chat = gr.HTML(conversation_html([], self.ws.index_label()), elem_id="kgqa-chat",
                                   js_on_load=CHAT_JS, autoscroll=True, container=True, padding=True)
                    with gr.Row(equal_height=True):
                        question = gr.Textbox(placeholder="Ask about the reports… (follow-ups keep the conversation)",
                                              show_label=False, scale=8, elem_id="kgqa-question", lines=1,
                                              max_lines=4, submit_btn=False, container=False)
                        ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="kgqa-ask")
                        clear_btn = gr.Button("New chat", scale=1, min_width=80, elem_id="kgqa-clear")
                    gr.Markdown("**Try:**")
                    with gr.Row(elem_id="kgqa-examples"):
                        ex_btns = [gr.Button(q, size="sm", variant="secondary") for q in examples]
                    llm_form = self.llm.build()
                with gr.Column(scale=2):
                    sources = gr.HTML(sources_html([]), elem_id="kgqa-sources", js_on_load=SOURCES_JS,
                                      container=True, padding=True)
                    trend = gr.LinePlot(x="period", y="value", color="metric", visible=False, elem_id="kgqa-trend",
                                        label="Trend of the last answer", x_title="period",
                                        tooltip=["metric", "period", "value", "unit", "source"], height=260)
            shown = [chat, sources, turns, question]
            ask_btn.click(self.ask_stream, inputs=[question, turns], outputs=shown, concurrency_id="ask").then(
                self.trend, inputs=[turns], outputs=[trend])
            question.submit(self.ask_stream, inputs=[question, turns], outputs=shown, concurrency_id="ask").then(
                self.trend, inputs=[turns], outputs=[trend])
            self.llm.wire(llm_form, header)
            clear_btn.click(self.clear, outputs=shown).then(self.trend, inputs=[turns], outputs=[trend])
            for b, q in zip(ex_btns, examples, strict=True):
                b.click(self.fixed_question(q), inputs=[turns], outputs=shown, concurrency_id="ask").then(
                    self.trend, inputs=[turns], outputs=[trend])
        return llm_form
