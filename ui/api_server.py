"""``kgqa serve --api-only``: the JSON API alone on uvicorn, without Gradio (headless use).

>>> server = ApiServer(Workspace(QA.load(".kgqa-index")), port=8000)   # doctest: +SKIP
>>> server.start()                      # doctest: +SKIP  (in a background thread)
>>> server.url                          # doctest: +SKIP
'http://127.0.0.1:8000'
>>> server.close()                      # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from core.errors import KgqaError
from ui.api import ASK_WAIT_S, PREFIX, api_mount
from ui.api_errors import CatchAll, install_error_handlers
from ui.auth import Credentials
from ui.workspace import Workspace

START_TIMEOUT_S = 30.0


def api_app(ws: Workspace, auth: Credentials | None = None, concurrency: int = 4,
            ask_wait_s: float = ASK_WAIT_S) -> FastAPI:
    """A server app holding only the API at ``/api/v1`` (``/`` leads to its docs page)."""
    root = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    root.router.routes.append(api_mount(ws, auth=auth, concurrency=concurrency, ask_wait_s=ask_wait_s))

    @root.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/docs")

    install_error_handlers(root)  # unknown paths outside /api/v1 answer JSON too
    root.add_middleware(CatchAll)
    return root


class ApiServer:
    """The API on ``host:port`` under uvicorn; :meth:`run` blocks, :meth:`start` returns once it listens."""

    def __init__(self, ws: Workspace, host: str = "127.0.0.1", port: int = 7860, auth: Credentials | None = None,
                 concurrency: int = 4, quiet: bool = False, ask_wait_s: float = ASK_WAIT_S) -> None:
        self.app = api_app(ws, auth=auth, concurrency=concurrency, ask_wait_s=ask_wait_s)
        self.config = uvicorn.Config(self.app, host=host, port=port, log_level="warning" if quiet else "info",
                                     access_log=not quiet, timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(self.config)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = self.config.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.config.port}"

    def run(self) -> None:
        """Serve until interrupted (Ctrl+C)."""
        self.server.run()

    def start(self) -> None:
        """Serve in a background thread; raise :class:`KgqaError` if it does not listen in time."""
        self.thread = threading.Thread(target=self.server.run, name="kgqa-api", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise KgqaError(f"the API server did not start on {self.url} (is the port in use?)")
            time.sleep(0.05)

    def close(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
