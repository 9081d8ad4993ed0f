"""The Ask tab's "LLM (optional)" panel: attach an LLM to the whole server, or detach it.

The setting is server-wide: the QA object, and so the attached LLM, is shared by every
session. What a client may choose is limited (docs/security.md):

* the API key is either typed in the form (kept in the client object in memory only; never
  written to the settings, a file or the log, never shown back) or the key the server was
  started with (the variable named by ``llm_api_key_env`` at start-up, read once) - and that
  one is only ever sent to the base URL the server was started with;
* a client never names an environment variable: nothing of the server's environment can be
  read or sent anywhere from the page;
* the base URL is validated (:func:`engine.llm.check_base_url`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from core.errors import LLMError
from engine.llm import OLLAMA_URL, PLACEHOLDER_KEY, check_base_url, make_chat, make_llm, provider
from ui.gradio_env import gr
from ui.render import message_html
from ui.workspace import Workspace

log = logging.getLogger(__name__)

LLM_PROVIDERS = ("none", "openai-compatible", "ollama")
LLM_PRIVACY_NOTE = (
    '<div class="kgqa-privacy"><b>Privacy:</b> with an LLM on, each question and up to 8 retrieved passages '
    "of your documents (plus graph facts read from them) are sent to the endpoint below. Use a server you run, "
    "or one you are allowed to send these reports to. The setting applies to the whole server (every open "
    "session); the API key stays in memory and is never written to disk or logged. The server's own key is "
    "only sent to the endpoint the server was started with.</div>"
)


@dataclass
class LLMForm:
    """The panel's components (``inputs`` feed :meth:`LLMPanel.apply`)."""

    provider: gr.Dropdown
    model: gr.Textbox
    url: gr.Textbox
    key: gr.Textbox
    timeout: gr.Number
    apply: gr.Button
    status: gr.HTML

    def inputs(self) -> list[Any]:
        return [self.provider, self.url, self.model, self.key, self.timeout]

    def shown(self) -> list[Any]:
        """What :meth:`LLMPanel.llm_panel` fills in: the status and the form (never the key)."""
        return [self.status, self.provider, self.url, self.model, self.timeout]


class LLMPanel:
    """Shows and changes the server-wide LLM of ``ws.qa``."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        start = ws.settings
        # the key configured at server start, read once from the variable the server's own
        # settings name; a client can use it only with the endpoint configured at start
        self._server_key = os.environ.get(start.llm_api_key_env or "KGQA_LLM_API_KEY") or ""
        self._server_url = start.llm_base_url.rstrip("/")

    def status(self) -> tuple[str, str]:
        """``(kind, text)`` of the status line under the LLM settings."""
        s = self.ws.llm_settings()
        if s is None:
            return "info", "Offline answers: no LLM attached; every sentence is read off the reports."
        p = provider(s)
        url = s.llm_base_url or (OLLAMA_URL if p == "ollama" else "")
        return "ok", (
            f"LLM on: model {s.llm_model} at {url} ({p}, timeout {s.llm_timeout_s:g} s). Answers are streamed, "
            "checked against the passages, and fall back to the offline answer on any failure."
        )

    def status_html(self) -> str:
        kind, text = self.status()
        return message_html(text, kind)

    def form(self) -> tuple[Any, ...]:
        """The settings form filled with the attached LLM's settings (never a key)."""
        s = self.ws.llm_settings()
        if s is None:
            return gr.update(value="none"), gr.update(), gr.update(), gr.update()
        return (gr.update(value=provider(s)), gr.update(value=s.llm_base_url), gr.update(value=s.llm_model),
                gr.update(value=s.llm_timeout_s))

    def llm_panel(self) -> tuple[Any, ...]:
        """The server-wide LLM state, as a new session finds it (status line and form)."""
        return (self.status_html(), *self.form())

    def apply(self, provider_name: str | None, base_url: str | None, model: str | None, api_key: str | None,
              timeout_s: float | None) -> tuple[str, str]:
        """Attach (or, with provider ``none``, detach) an LLM for the whole server.

        Returns ``(kind, message)`` for the status line. ``api_key`` is used for this client
        only: it is kept in the client object in memory, never written to the settings, a
        file or the log. Without one, the key the server was started with is used, and only
        for the base URL it was started with.
        """
        name = (provider_name or "none").strip() or "none"
        with self.ws.llm_lock:
            try:
                if name == "none":
                    self.ws.qa.attach_llm(None)
                    return self.status()
                notes = self._attach(name, (base_url or "").strip(), (model or "").strip(), (api_key or "").strip(),
                                     timeout_s)
            except LLMError as exc:
                return "error", f"LLM not changed: {exc}. {self._still()}"
            except Exception as exc:  # never a traceback in the UI; the key is never part of a message
                log.warning("LLM settings not applied: %s", type(exc).__name__)
                return "error", f"LLM not changed: {type(exc).__name__}. {self._still()}"
        kind, text = self.status()
        return kind, " ".join([text, *notes])

    def _attach(self, name: str, url: str, model: str, key: str, timeout_s: float | None) -> list[str]:
        """Check the form and attach its LLM; returns notes for the status line (raises :class:`LLMError`)."""
        if timeout_s is None or not float(timeout_s) > 0:
            raise LLMError("the timeout must be a positive number of seconds")
        if url:
            url = check_base_url(url)
        settings = self.ws.qa.settings.with_values({
            "llm": name, "llm_base_url": url, "llm_model": model, "llm_timeout_s": float(timeout_s),
        })
        if provider(settings) == "ollama":
            self.ws.qa.attach_llm(make_chat(settings, llm=make_llm(settings)), settings)
            return ["The API key is not used with ollama."] if key else []
        notes: list[str] = []
        if key:
            notes.append("API key from this form (kept in memory only).")
        elif self._server_key and url == self._server_url:
            key = self._server_key
            notes.append("API key configured at server start.")
        else:
            key = PLACEHOLDER_KEY
            if self._server_key:
                notes.append("No API key sent: the server's key is only used with the endpoint it was started with.")
            else:
                notes.append("No API key (fine for servers without auth).")
        self.ws.qa.attach_llm(make_chat(settings, llm=make_llm(settings, api_key=key)), settings)
        return notes

    def _still(self) -> str:
        s = self.ws.llm_settings()
        return "Still offline answers." if s is None else f"Still using model {s.llm_model}."

    # ---- the panel ------------------------------------------------------------------------------

    def build(self) -> LLMForm:
        """The collapsed panel (inside the Ask tab's left column); :meth:`wire` connects it."""
        settings = self.ws.settings
        with gr.Accordion("LLM (optional)", open=False, elem_id="kgqa-llm"):
            gr.HTML(LLM_PRIVACY_NOTE, elem_id="kgqa-llm-privacy")
            with gr.Row(equal_height=True):
                llm_provider = gr.Dropdown(list(LLM_PROVIDERS), value="none", label="Provider",
                                           elem_id="kgqa-llm-provider", scale=1)
                llm_model = gr.Textbox(label="Model name", placeholder="e.g. qwen2.5-7b-instruct",
                                       elem_id="kgqa-llm-model", scale=1)
            llm_url = gr.Textbox(label="Base URL",
                                 placeholder="http://127.0.0.1:8000/v1 (ollama: http://localhost:11434)",
                                 elem_id="kgqa-llm-url")
            with gr.Row(equal_height=True):
                llm_key = gr.Textbox(label="API key (optional, kept in memory only)", type="password",
                                     placeholder="empty: the server's key, for the server's own endpoint only",
                                     elem_id="kgqa-llm-key", scale=3)
                llm_timeout = gr.Number(label="Timeout (s)", value=settings.llm_timeout_s,
                                        minimum=0.1, elem_id="kgqa-llm-timeout", scale=1)
            llm_apply = gr.Button("Apply", variant="primary", size="sm", elem_id="kgqa-llm-apply")
            llm_status = gr.HTML(self.status_html(), elem_id="kgqa-llm-status")
        return LLMForm(llm_provider, llm_model, llm_url, llm_key, llm_timeout, llm_apply, llm_status)

    def wire(self, form: LLMForm, header: gr.HTML) -> None:
        """Apply the form for the whole server; the status line and the page header show the result."""
        ws = self.ws

        def apply_llm(*values: Any) -> tuple[str, str]:
            kind, msg = self.apply(*values)
            return message_html(msg, kind), ws.header_html()

        form.apply.click(apply_llm, form.inputs(), [form.status, header], concurrency_limit=1,
                         concurrency_id="llm-settings", api_visibility="private")
