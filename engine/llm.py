"""Optional LLM client: build a llama-index LLM from :class:`~core.config.Settings` and attach it to a QA.

Nothing here runs unless an LLM is configured (``llm = "none"`` is the default). The LLM
packages live in the ``[llm]`` extra (``pip install -e '.[llm]'``); they are imported only
when :func:`make_llm` is called.

Providers (``settings.llm``):

``openai-compatible``
    Any server speaking the OpenAI chat-completions API (vLLM, llama.cpp server, LM Studio,
    LocalAI, OpenAI itself, ...) through ``llama_index.llms.openai_like.OpenAILike``.
    Needs ``llm_base_url`` (e.g. ``http://127.0.0.1:8000/v1``) and ``llm_model``. The API key
    is read from the environment variable named by ``llm_api_key_env``
    (default ``KGQA_LLM_API_KEY``), never from the config file; servers without auth get a
    placeholder key.
``ollama``
    A local Ollama server through ``llama_index.llms.ollama.Ollama``; ``llm_base_url``
    defaults to ``http://localhost:11434``.

Every client is built with ``max_retries=0`` and ``llm_timeout_s`` as its timeout, so a dead
or slow endpoint fails fast and the offline answer is shown instead (see
:mod:`engine.llm_answer`). :func:`make_chat` wraps the client as a
:class:`~core.interfaces.ChatModel` whose every call also keeps a total deadline.

>>> from core.config import Settings
>>> describe(Settings(llm="openai-compatible", llm_base_url="http://127.0.0.1:8000/v1", llm_model="m"))
'openai-compatible model m at http://127.0.0.1:8000/v1'
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from core.config import Settings
from core.errors import LLMDeadline, LLMError
from core.interfaces import ChatModel, ChatTurn

PROVIDERS = ("openai-compatible", "ollama")
_ALIASES = {
    "openai-compatible": "openai-compatible", "openai_compatible": "openai-compatible",
    "openai-like": "openai-compatible", "openailike": "openai-compatible", "openai": "openai-compatible",
    "ollama": "ollama",
}
OLLAMA_URL = "http://localhost:11434"
PLACEHOLDER_KEY = "not-needed"
# Prompt budget: the passages and facts kgqa sends are a few thousand tokens at most.
CONTEXT_WINDOW = 8192


def provider(settings: Settings) -> str | None:
    """The canonical provider name, ``None`` for no LLM; raises :class:`LLMError` for an unknown one."""
    name = (settings.llm or "none").strip().lower()
    if name in {"", "none", "off", "false", "0"}:
        return None
    if name not in _ALIASES:
        raise LLMError(f"unknown LLM provider {settings.llm!r}; use one of: none, {', '.join(PROVIDERS)}")
    return _ALIASES[name]


def describe(settings: Settings) -> str:
    """One line naming the configured endpoint (for answer notes and logs); no secrets."""
    p = provider(settings)
    if p is None:
        return "no LLM"
    url = settings.llm_base_url or (OLLAMA_URL if p == "ollama" else "")
    return f"{p} model {settings.llm_model or '?'} at {url}"


def check_base_url(url: str) -> str:
    """``url`` as an LLM endpoint (trailing ``/`` removed), or :class:`LLMError` saying what is wrong:
    http(s) only, a host, no user or password inside, no query or fragment, no spaces.

    >>> check_base_url("http://127.0.0.1:8000/v1/")
    'http://127.0.0.1:8000/v1'
    >>> check_base_url("http://user:pw@evil.example/v1")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    core.errors.LLMError: the base URL must not carry a user name or password
    """
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise LLMError("the base URL must be one http:// or https:// address without spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise LLMError(f"the base URL is malformed ({exc})") from exc
    if parts.scheme not in {"http", "https"}:
        raise LLMError(f"the base URL must start with http:// or https:// (got {url!r})")
    if not parts.hostname:
        raise LLMError(f"the base URL has no host (got {url!r})")
    if parts.username is not None or parts.password is not None:
        raise LLMError("the base URL must not carry a user name or password")
    if parts.query or parts.fragment:
        raise LLMError("the base URL must not have a query (?...) or a fragment (#...)")
    if port == 0:
        raise LLMError("the base URL has port 0")
    return url.rstrip("/")


def make_llm(settings: Settings, api_key: str | None = None) -> Any:
    """A llama-index LLM for ``settings`` (``None`` when no LLM is configured).

    ``api_key`` is sent as is when given (the UI passes the key it may send to that URL);
    otherwise the key is read from the environment variable ``settings.llm_api_key_env``,
    which only the server's own configuration names. Raises :class:`LLMError` with the fix
    when a setting is missing or the ``[llm]`` extra is not installed. Does not contact the endpoint.
    """
    p = provider(settings)
    if p is None:
        return None
    if not settings.llm_model:
        raise LLMError(f"--llm {p} needs a model name: --llm-model NAME (or llm_model in kgqa.toml)")
    timeout = float(settings.llm_timeout_s)
    if timeout <= 0:
        raise LLMError(f"llm_timeout_s must be positive, got {settings.llm_timeout_s}")
    if p == "openai-compatible":
        if not settings.llm_base_url:
            raise LLMError(
                "--llm openai-compatible needs the server's URL: --llm-base-url http://HOST:PORT/v1 "
                "(or llm_base_url in kgqa.toml)"
            )
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as exc:
            raise LLMError("LLM support is not installed: pip install -e '.[llm]'") from exc
        key = api_key or os.environ.get(settings.llm_api_key_env or "KGQA_LLM_API_KEY") or PLACEHOLDER_KEY
        return OpenAILike(
            model=settings.llm_model,
            api_base=settings.llm_base_url.rstrip("/"),
            api_key=key,
            is_chat_model=True,
            is_function_calling_model=False,
            context_window=CONTEXT_WINDOW,
            temperature=0.0,
            max_tokens=int(settings.extra.get("llm_max_tokens", 512)),
            timeout=timeout,
            max_retries=0,
            reuse_client=True,
        )
    try:
        from llama_index.llms.ollama import Ollama
    except ImportError as exc:
        raise LLMError("LLM support is not installed: pip install -e '.[llm]'") from exc
    return Ollama(
        model=settings.llm_model,
        base_url=(settings.llm_base_url or OLLAMA_URL).rstrip("/"),
        request_timeout=timeout,
        temperature=0.0,
        context_window=CONTEXT_WINDOW,  # set, so the client does not ask the server (/api/show) first
        is_function_calling_model=False,
    )


class LlamaChatModel:
    """A llama-index LLM as a :class:`~core.interfaces.ChatModel`: calls run in a worker thread so
    a total deadline always holds, whatever the client's own timeouts do."""

    def __init__(self, llm: Any, label: str, timeout_s: float) -> None:
        self.llm = llm
        self.label = label
        self.timeout_s = timeout_s

    def chat(self, messages: Sequence[ChatTurn], deadline_s: float) -> str:
        msgs = _messages(messages)

        def produce(put: Callable[[str], None]) -> None:
            content = self.llm.chat(msgs).message.content
            if content is not None and not isinstance(content, str):
                raise TypeError(f"completion content is {type(content).__name__}, not text")
            put(content or "")

        return "".join(bounded(produce, deadline_s))

    def stream(self, messages: Sequence[ChatTurn], deadline_s: float) -> Iterator[str]:
        msgs = _messages(messages)

        def produce(put: Callable[[str], None]) -> None:
            for r in self.llm.stream_chat(msgs):
                put(r.delta or "")

        yield from bounded(produce, deadline_s)


def make_chat(settings: Settings, llm: Any = None) -> ChatModel | None:
    """The configured chat model (``None`` when no LLM is configured); ``llm`` wraps a ready client."""
    if llm is None:
        llm = make_llm(settings)
    if llm is None:
        return None
    label = describe(settings) if provider(settings) else f"{type(llm).__name__} model {getattr(llm, 'model', '?')}"
    return LlamaChatModel(llm, label, float(settings.llm_timeout_s))


def _messages(messages: Sequence[ChatTurn]) -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role=role, content=content) for role, content in messages]


def bounded(produce: Callable[[Callable[[str], None]], None], total_s: float) -> Iterator[str]:
    """Run ``produce(put)`` in a daemon thread and yield what it puts; raise its error, or
    :class:`LLMDeadline` when ``total_s`` passes (the thread is abandoned, it ends at its own timeout)."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue()

    def run() -> None:
        try:
            produce(lambda s: q.put(("data", s)))
            q.put(("end", None))
        except BaseException as exc:
            q.put(("error", exc))

    threading.Thread(target=run, daemon=True, name="kgqa-llm").start()
    deadline = time.monotonic() + total_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LLMDeadline(f"LLM answer took longer than {total_s:g} s")
        try:
            kind, item = q.get(timeout=left)
        except queue.Empty:
            raise LLMDeadline(f"LLM answer took longer than {total_s:g} s") from None
        if kind == "data":
            if item:
                yield item
        elif kind == "end":
            return
        else:
            raise item
