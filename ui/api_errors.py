"""Errors of the JSON API: one JSON shape ``{code, message}``, a stable code per kind, never a traceback.

kgqa's own errors (:mod:`core.errors`) map to HTTP statuses by class; request validation
errors become 400; anything unexpected is logged with its traceback on the server and answered
with a plain 500 ``internal_error``. Request bodies are capped as they arrive
(:class:`BodyLimit`), so an oversized upload is refused with 413 before it is stored.

>>> status_and_code(QuestionError("the question is empty"))
(400, 'bad_question')
>>> status_and_code(UploadTooLarge("big.pdf: over the limit"))
(413, 'too_large')
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import (
    ConfigError,
    DocumentError,
    GraphUnavailable,
    IndexUnusable,
    KgqaError,
    LLMError,
    ModelNotFound,
    QuestionError,
    StoreError,
    UnsupportedUpload,
    UploadError,
    UploadTooLarge,
)
from ui.api_models import ApiError, ErrorDetail

log = logging.getLogger(__name__)

# Most specific first: the first class an error is an instance of decides.
ERROR_STATUS: list[tuple[type[KgqaError], int, str]] = [
    (QuestionError, 400, "bad_question"),
    (UploadTooLarge, 413, "too_large"),
    (UnsupportedUpload, 415, "unsupported_type"),
    (UploadError, 400, "upload_refused"),
    (DocumentError, 400, "bad_document"),
    (ConfigError, 400, "invalid_request"),
    (IndexUnusable, 503, "index_unavailable"),
    (GraphUnavailable, 503, "graph_unavailable"),
    (ModelNotFound, 503, "model_unavailable"),
    (LLMError, 503, "llm_unavailable"),
    (StoreError, 503, "store_unavailable"),
]
HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              413: "too_large", 415: "unsupported_type"}
RETRY_AFTER_S = 5  # told to clients of a 503


class ApiProblem(Exception):
    """An error the API itself decides (unknown entity, busy ...): a status, a code and a message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def status_and_code(exc: KgqaError) -> tuple[int, str]:
    """The HTTP status and error code of one of kgqa's errors."""
    for cls, status, code in ERROR_STATUS:
        if isinstance(exc, cls):
            return status, code
    return 500, "internal_error"


def error_response(status: int, code: str, message: str, details: list[ErrorDetail] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = ApiError(code=code, message=message, details=details).model_dump(exclude_none=True)
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_S), **(headers or {})}
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as :class:`~ui.api_models.ApiError` JSON."""

    async def on_kgqa(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, KgqaError)
        status, code = status_and_code(exc)
        if status >= 500:
            log.warning("API %s: %s", code, exc)
        return error_response(status, code, str(exc))

    async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = HTTP_CODES.get(exc.status_code, "invalid_request" if exc.status_code < 500 else "internal_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "no such route; see /api/v1/docs"
        return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))

    async def on_invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = [_detail(e) for e in exc.errors()]
        about_question = any("question" in d.loc or "questions" in d.loc for d in details)
        summary = "; ".join(f"{'.'.join(map(str, d.loc))}: {d.message}" for d in details[:5])
        return error_response(400, "bad_question" if about_question else "invalid_request",
                              f"invalid request: {summary}", details)

    app.add_exception_handler(KgqaError, on_kgqa)
    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)


EMPTY_TEXT = {"string_pattern_mismatch", "string_too_short"}  # the schema's "some non-space text" rule


def _detail(err: Any) -> ErrorDetail:
    loc = [x if isinstance(x, int) else str(x) for x in err.get("loc", ())]
    message = "the question is empty" if err.get("type") in EMPTY_TEXT and "question" in loc else err.get("msg")
    return ErrorDetail(loc=loc, message=str(message or "invalid value"))


class CatchAll:
    """The last net: an unexpected exception is logged here and answered as a JSON 500, no traceback.

    (Starlette's own handler for ``Exception`` answers, then re-raises to the server, which
    would log it a second time; this middleware sits inside it and ends the request cleanly.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("API error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                resp = error_response(500, "internal_error", "internal error; the server log has the details")
                await resp(scope, receive, send)


BodyCap = Callable[[Scope], int]  # the largest body a request may send


class BodyLimit:
    """Refuse request bodies over ``cap(scope)`` bytes with 413, counting as they arrive.

    A declared ``Content-Length`` over the cap is refused before reading; a body that grows
    past it (chunked, or lying about its length) is cut off and refused.
    """

    def __init__(self, app: ASGIApp, cap: BodyCap) -> None:
        self.app = app
        self.cap = cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            await _too_large(cap)(scope, receive, send)
            return
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    over = True
                    raise UploadTooLarge(f"the request body is over the limit of {cap:,} bytes")
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:  # whatever the app made of the cut-off body, the answer is 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except UploadTooLarge:
            if not over:
                raise
        if over and not started:
            await _too_large(cap)(scope, receive, send)


def _too_large(cap: int) -> JSONResponse:
    return error_response(413, "too_large", f"the request body is over the limit of {cap:,} bytes")

