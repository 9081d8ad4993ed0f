"""The Ask tab's "LLM (optional)" panel: attach an LLM to the whole server, or detach it.

The setting is server-wide: the QA object, and so the attached LLM, is shared by every
session. An API key typed here is kept in the client object in memory only; it is never
written to the settings, a file or the log, and never shown back in the form.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any

from core.errors import LLMError
from engine.llm import OLLAMA_URL, make_chat, make_llm, provider
from ui.gradio_env import gr
from ui.render import message_html
from ui.workspace import Workspace

log = logging.getLogger(__name__)

LLM_PROVIDERS = ("none", "openai-compatible", "ollama")
DEFAULT_KEY_ENV = "KGQA_LLM_API_KEY"
LLM_PRIVACY_NOTE = (
    '<div class="kgqa-privacy"><b>Privacy:</b> with an LLM on, each question and up to 8 retrieved passages '
    "of your documents (plus graph facts read from them) are sent to the endpoint below. Use a server you run, "
    "or one you are allowed to send these reports to. The setting applies to the whole server (every open "
    "session); the API key stays in memory and is never written to disk or logged.</div>"
)


@dataclass
class LLMForm:
    """The panel's components (``inputs`` feed :meth:`LLMPanel.apply`)."""

    provider: gr.Dropdown
    model: gr.Textbox
    url: gr.Textbox
    key: gr.Textbox
    key_env: gr.Textbox
    timeout: gr.Number
    apply: gr.Button
    status: gr.HTML

    def inputs(self) -> list[Any]:
        return [self.provider, self.url, self.model, self.key, self.key_env, self.timeout]

    def shown(self) -> list[Any]:
        """What :meth:`LLMPanel.llm_panel` fills in: the status and the form (never the key)."""
        return [self.status, self.provider, self.url, self.model, self.key_env, self.timeout]


class LLMPanel:
    """Shows and changes the server-wide LLM of ``ws.qa``."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

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
            return gr.update(value="none"), gr.update(), gr.update(), gr.update(), gr.update()
        return (gr.update(value=provider(s)), gr.update(value=s.llm_base_url), gr.update(value=s.llm_model),
                gr.update(value=s.llm_api_key_env), gr.update(value=s.llm_timeout_s))

    def llm_panel(self) -> tuple[Any, ...]:
        """The server-wide LLM state, as a new session finds it (status line and form)."""
        return (self.status_html(), *self.form())

    def apply(self, provider_name: str | None, base_url: str | None, model: str | None, api_key: str | None,
              key_env: str | None, timeout_s: float | None) -> tuple[str, str]:
        """Attach (or, with provider ``none``, detach) an LLM for the whole server.

        Returns ``(kind, message)`` for the status line. ``api_key`` is used for this client
        only: it is kept in the client object in memory, never written to the settings, a
        file or the log. Without one, the key is read from the environment variable
        ``key_env`` (the default is ``KGQA_LLM_API_KEY``), as on the command line.
        """
        name = (provider_name or "none").strip() or "none"
        with self.ws.llm_lock:
            try:
                if name == "none":
                    self.ws.qa.attach_llm(None)
                    return self.status()
                notes = self._attach(name, (base_url or "").strip(), (model or "").strip(), (api_key or "").strip(),
                                     (key_env or "").strip() or DEFAULT_KEY_ENV, timeout_s)
            except LLMError as exc:
                return "error", f"LLM not changed: {exc}. {self._still()}"
            except Exception as exc:  # never a traceback in the UI; the key is never part of a message
                log.warning("LLM settings not applied: %s", type(exc).__name__)
                return "error", f"LLM not changed: {type(exc).__name__}: {exc}. {self._still()}"
        kind, text = self.status()
        return kind, " ".join([text, *notes])

    def _attach(self, name: str, url: str, model: str, key: str, env: str, timeout_s: float | None) -> list[str]:
        """Check the form and attach its LLM; returns notes for the status line (raises :class:`LLMError`)."""
        if timeout_s is None or not float(timeout_s) > 0:
            raise LLMError("the timeout must be a positive number of seconds")
        if url and not re.match(r"^https?://[^\s/]+", url):
            raise LLMError(f"the base URL must start with http:// or https:// (got {url!r})")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
            raise LLMError(f"{env!r} is not an environment variable name")
        settings = self.ws.qa.settings.with_values({
            "llm": name, "llm_base_url": url, "llm_model": model,
            "llm_api_key_env": env, "llm_timeout_s": float(timeout_s),
        })
        if key and provider(settings) == "openai-compatible":
            llm = make_llm(settings)
            llm.api_key = key  # in memory only, for this client
            self.ws.qa.attach_llm(make_chat(settings, llm=llm), settings)
            return ["API key from this form (kept in memory only)."]
        notes = []
        if key:
            notes.append("The API key is not used with ollama.")
        elif provider(settings) == "openai-compatible" and not os.environ.get(env):
            notes.append(f"No API key: ${env} is not set (fine for servers without auth).")
        self.ws.qa.attach_llm(make_chat(settings), settings)
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
                                     placeholder="or set the variable named on the right",
                                     elem_id="kgqa-llm-key", scale=2)
                llm_env = gr.Textbox(label="…or API key env var", value=settings.llm_api_key_env,
                                     elem_id="kgqa-llm-env", scale=2)
                llm_timeout = gr.Number(label="Timeout (s)", value=settings.llm_timeout_s,
                                        minimum=0.1, elem_id="kgqa-llm-timeout", scale=1)
            llm_apply = gr.Button("Apply", variant="primary", size="sm", elem_id="kgqa-llm-apply")
            llm_status = gr.HTML(self.status_html(), elem_id="kgqa-llm-status")
        return LLMForm(llm_provider, llm_model, llm_url, llm_key, llm_env, llm_timeout, llm_apply, llm_status)

    def wire(self, form: LLMForm, header: gr.HTML) -> None:
        """Apply the form for the whole server; the status line and the page header show the result."""
        ws = self.ws

        def apply_llm(*values: Any) -> tuple[str, str]:
            kind, msg = self.apply(*values)
            return message_html(msg, kind), ws.header_html()

        form.apply.click(apply_llm, form.inputs(), [form.status, header], concurrency_limit=1,
                         concurrency_id="llm-settings", api_visibility="private")
