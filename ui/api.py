"""The JSON HTTP API of a served workspace: ``/api/v1/...``, described by ``/api/v1/openapi.json``.

:func:`create_api` builds it as a FastAPI app over a :class:`~ui.workspace.Workspace`; ``kgqa
serve`` mounts it on the Gradio server (:func:`ui.app.launch`), ``kgqa serve --api-only`` runs
it alone (:mod:`ui.api_server`). It shares the QA object, the graph view and the upload code
with the UI, so both always show the same index generation.

=======  =========================  ===================================================
method   path                       what
=======  =========================  ===================================================
POST     /ask                       one cited answer (the object of ``kgqa ask --json``)
POST     /ask/batch                 up to 100 answers, in order
GET      /documents                 the indexed documents
GET      /documents/{id}            one document with its raw text (spans index into it)
POST     /documents                 upload files into the index (the UI's checks and limits)
GET      /graph/entities?q=         search entities by id, name or alias
GET      /graph/entities/{id}       an entity with its facts and their evidence
GET      /graph/path?from=&to=      the shortest chain of relation facts
GET      /facts?entity=&metric=     metric facts (or relations) with evidence
GET      /health                    liveness and index counts
=======  =========================  ===================================================

Errors are ``{"code", "message"}`` JSON (:mod:`ui.api_errors`). The docs page (Swagger UI, at
``/api/v1/docs``) is served from files installed with kgqa: nothing is fetched from the web.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi_offline import FastAPIOffline
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import QuestionError
from core.types import Answer
from ui import api_views as views
from ui.api_errors import (
    ApiProblem,
    BodyLimit,
    CatchAll,
    error_response,
    install_error_handlers,
    status_and_code,
)
from ui.api_models import (
    AnswerOut,
    ApiError,
    AskRequest,
    BatchOut,
    BatchRequest,
    DocumentsOut,
    DocumentTextOut,
    EntitiesOut,
    EntityOut,
    FactsOut,
    HealthOut,
    PathOut,
    UploadOut,
)
from ui.auth import REALM, Credentials
from ui.uploads import MAX_FILES, Uploads
from ui.workspace import Workspace

PREFIX = "/api/v1"
ASK_WAIT_S = 120.0  # how long a question waits for a free answering slot before a 503 "busy"
JSON_BODY_CAP = 2 * 1024 * 1024  # a batch of 100 long questions fits
READ_CHUNK = 256 * 1024

try:
    VERSION = importlib.metadata.version("kgqa")
except importlib.metadata.PackageNotFoundError:  # run from a source tree that is not installed
    VERSION = "0+source"


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can answer (every one is an :class:`ApiError`)."""
    what = {400: "Bad request (bad_question, invalid_request ...)", 401: "Credentials missing or wrong",
            404: "Unknown entity or document", 413: "Upload or body too large", 415: "Unsupported file type",
            503: "Index, graph or answering unavailable (busy, index_unavailable ...)"}
    return {s: {"model": ApiError, "description": what[s]} for s in (400, *statuses)}


def create_api(ws: Workspace, auth: Credentials | None = None, concurrency: int = 4,
               ask_wait_s: float = ASK_WAIT_S) -> FastAPI:
    """The API over ``ws`` as an app to mount at ``/api/v1`` (``auth``: the credentials the UI asks for).

    At most ``concurrency`` questions are answered at once; one that waits longer than
    ``ask_wait_s`` for its turn is answered 503 ``busy``.
    """
    app = FastAPIOffline(
        title="kgqa API", version=VERSION, static_url="/docs-static",
        description="Cited answers, documents and the knowledge graph of a kgqa index, as JSON. Every span is "
                    "`raw[start:end] == text` in its document's raw text (`GET /documents/{id}`). "
                    "Errors are `{code, message}`.",
    )
    api = _Api(ws, concurrency, ask_wait_s)
    _ask_routes(app, api)
    _document_routes(app, api)
    _graph_routes(app, api.ws)
    _service_routes(app, api.ws, auth)
    install_error_handlers(app)
    _document_schema(app, auth is not None)
    uploads_cap = MAX_FILES * api.uploads.limit + 1024 * 1024  # files plus multipart framing
    app.add_middleware(BodyLimit, cap=lambda scope: uploads_cap if _is_upload(scope) else JSON_BODY_CAP)
    if auth is not None:
        app.add_middleware(AuthGuard, credentials=auth)
    app.add_middleware(CatchAll)
    return app


def api_mount(ws: Workspace, auth: Credentials | None = None, concurrency: int = 4,
              ask_wait_s: float = ASK_WAIT_S) -> Mount:
    """The API as a route of a server app, at ``/api/v1``.

    Starlette's mount pattern stops at a newline (``%0A`` in a URL); this one matches every
    path under the prefix, so every ``/api/v1/...`` request is answered by the API (as JSON).
    """
    mount = Mount(PREFIX, app=create_api(ws, auth=auth, concurrency=concurrency, ask_wait_s=ask_wait_s))
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount


def _is_upload(scope: Scope) -> bool:
    return scope.get("method") == "POST" and str(scope.get("path", "")).rstrip("/").endswith("/documents")


class _Api:
    """The state behind the routes: the workspace, its uploads and the answering slots."""

    def __init__(self, ws: Workspace, concurrency: int, ask_wait_s: float) -> None:
        self.ws = ws
        self.ask_wait_s = ask_wait_s
        self.uploads = Uploads(ws)
        self.slots = threading.BoundedSemaphore(max(1, concurrency))

    def answer(self, question: str, k: int | None, use_graph: bool | None) -> Answer:
        return self.ws.qa.ask(question, k=k, use_graph=use_graph)

    def take_slot(self) -> None:
        if not self.slots.acquire(timeout=self.ask_wait_s):
            raise ApiProblem(503, "busy", f"every answering slot was busy for {self.ask_wait_s:g} s; try again")


# The routes are sync functions: FastAPI runs them in its thread pool.


def _ask_routes(app: FastAPI, api: _Api) -> None:
    @app.post("/ask", response_model=AnswerOut, responses=_errors(503), tags=["ask"])
    def ask(req: AskRequest) -> JSONResponse:
        """Answer one question with citations: the same object as `kgqa ask --json`."""
        api.take_slot()
        try:
            answer = api.answer(req.question, req.k, req.use_graph)
        finally:
            api.slots.release()
        return JSONResponse(answer.to_dict())

    @app.post("/ask/batch", response_model=BatchOut, responses=_errors(503), tags=["ask"])
    def ask_batch(req: BatchRequest) -> JSONResponse:
        """Answer several questions in order; a bad question gets an error item, the rest are answered."""
        items: list[dict[str, Any]] = []
        api.take_slot()
        try:
            for q in req.questions:
                try:
                    items.append(api.answer(q, req.k, req.use_graph).to_dict())
                except QuestionError as exc:
                    _status, code = status_and_code(exc)
                    items.append({"question": q[:200], "error": {"code": code, "message": str(exc)}})
        finally:
            api.slots.release()
        failed = sum(1 for i in items if "error" in i)
        return JSONResponse({"answers": items, "answered": len(items) - failed, "failed": failed})


def _document_routes(app: FastAPI, api: _Api) -> None:
    ws = api.ws

    @app.get("/documents", response_model=DocumentsOut, responses=_errors(), tags=["documents"])
    def documents(limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
                  offset: Annotated[int, Query(ge=0)] = 0) -> DocumentsOut:
        """The indexed documents, by id, with their sizes and graph entity counts."""
        return views.list_documents(ws, limit, offset)

    @app.get("/documents/{doc_id:path}", response_model=DocumentTextOut, responses=_errors(404), tags=["documents"])
    def document(doc_id: str) -> DocumentTextOut:
        """One document with its raw text: every citation's `start`/`end` index into `raw`."""
        return views.document_text(ws, doc_id)

    @app.post("/documents", response_model=UploadOut, status_code=201, tags=["documents"],
              responses={200: {"model": UploadOut, "description": "Already indexed: nothing changed"},
                         **_errors(413, 415, 503)})
    def upload(files: Annotated[list[UploadFile], File(min_length=1, max_length=MAX_FILES,
                                                       description=f"1 to {MAX_FILES} .txt, .md, .html or .pdf files")],
               response: Response) -> UploadOut:
        """Upload files into the live index, with the same checks and limits as the UI's Documents tab.

        Every file is checked before anything changes; on any failure the index is unchanged.
        Answerable as soon as this returns (201 when something was added or changed).
        """
        received = []
        try:
            for f in files:
                received.append(api.uploads.receive(f.filename or "upload", _chunks(f)))
            report = api.uploads.ingest(received)
        finally:
            for p in received:
                _remove_folder(p)
        if report.did_nothing:
            response.status_code = 200
        return views.upload_out(ws, report, api.uploads.summary(report)[1])


def _graph_routes(app: FastAPI, ws: Workspace) -> None:
    @app.get("/graph/entities", response_model=EntitiesOut, responses=_errors(503), tags=["graph"])
    def entities(q: Annotated[str | None, Query(description="id, name or alias (close spellings and "
                                                           "substrings match too)")] = None,
                 type_: Annotated[str | None, Query(alias="type", description="Company, Person, Metric ...")] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 50,
                 offset: Annotated[int, Query(ge=0)] = 0) -> EntitiesOut:
        """Search the graph's entities (best matches first; without `q`, the best-evidenced first)."""
        return views.search_entities(views.live_graph(ws), q, type_, limit, offset)

    @app.get("/graph/entities/{entity_id:path}", response_model=EntityOut, responses=_errors(404, 503),
             tags=["graph"])
    def entity(entity_id: str) -> EntityOut:
        """An entity (by id, exact name or alias) with every fact about it, each with its evidence."""
        g = views.live_graph(ws)
        return views.entity_detail(g, ws.index, views.resolve_entity(g, entity_id))

    @app.get("/graph/path", response_model=PathOut, responses=_errors(404, 503), tags=["graph"])
    def path(from_: Annotated[str, Query(alias="from", description="entity id, name or alias")],
             to: Annotated[str, Query(description="entity id, name or alias")]) -> PathOut:
        """The shortest chain of relation facts between two entities (`connected: false` when none)."""
        g = views.live_graph(ws)
        return views.path_between(g, ws.index, views.resolve_entity(g, from_), views.resolve_entity(g, to))

    @app.get("/facts", response_model=FactsOut, responses=_errors(404, 503), tags=["graph"])
    def facts(entity: Annotated[str | None, Query(description="entity id, name or alias")] = None,
              metric: Annotated[str | None, Query(description="metric name (case and punctuation ignored)")] = None,
              period: Annotated[str | None, Query(description="e.g. FY2024")] = None,
              kind: Annotated[str, Query(pattern="^(metric|relation|all)$")] = "metric",
              conflicts_only: bool = False,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
              offset: Annotated[int, Query(ge=0)] = 0) -> FactsOut:
        """Facts with their evidence: metric values by default, relations with `kind=relation`."""
        g = views.live_graph(ws)
        return views.select_facts(g, ws.index, entity, metric, period, kind, conflicts_only, limit, offset)


def _service_routes(app: FastAPI, ws: Workspace, auth: Credentials | None) -> None:
    @app.get("/health", response_model=HealthOut, tags=["service"])
    def health(request: Request, response: Response) -> HealthOut:
        """Liveness: always answers, without credentials too (the index details need them when auth is on)."""
        response.headers["Cache-Control"] = "no-store"
        details = auth is None or auth.check_header(request.headers.get("authorization"))
        return views.health(ws, VERSION, auth is not None, details=details)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/docs")


def _chunks(f: UploadFile) -> Iterator[bytes]:
    """The bytes of an uploaded file, in pieces (it may be on disk already)."""
    f.file.seek(0)
    while chunk := f.file.read(READ_CHUNK):
        yield chunk


def _remove_folder(p: Path) -> None:
    shutil.rmtree(p.parent, ignore_errors=True)


# ---- authentication ----------------------------------------------------------------------------

PUBLIC = ("/health",)


class AuthGuard:
    """HTTP Basic authentication for every route but ``/health`` (which then hides index details)."""

    def __init__(self, app: ASGIApp, credentials: Credentials) -> None:
        self.app = app
        self.credentials = credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        ok = self.credentials.check_header(header)  # health checks it again, to show index details
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        local = path[len(root):] if root and path.startswith(root) else path
        if not ok and local not in PUBLIC:
            resp = error_response(401, "unauthorized", "credentials missing or wrong (HTTP Basic)",
                                  headers={"WWW-Authenticate": f'Basic realm="{REALM}"'})
            await resp(scope, receive, send)
            return
        await self.app(scope, receive, send)


# ---- the OpenAPI document ----------------------------------------------------------------------


def _document_schema(app: FastAPI, auth_on: bool) -> None:
    """Tidy the generated schema: errors are :class:`ApiError` (400, not FastAPI's 422); with auth on,
    every operation but health needs HTTP Basic credentials and may answer 401."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for path, ops in schema.get("paths", {}).items():
            for op in ops.values():
                op.get("responses", {}).pop("422", None)
                if auth_on and path not in PUBLIC:
                    op["security"] = [{"basic": []}]
                    op["responses"]["401"] = {"description": "Credentials missing or wrong", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}}
        comps = schema.setdefault("components", {})
        for name in ("HTTPValidationError", "ValidationError"):
            comps.get("schemas", {}).pop(name, None)
        if auth_on:
            comps["securitySchemes"] = {"basic": {"type": "http", "scheme": "basic"}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

