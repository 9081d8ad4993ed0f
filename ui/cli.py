"""``kgqa serve``: start the analyst workspace and its JSON API (registered on the main CLI by ``kgqa.cli``)."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from core.config import Settings
from ui.auth import DEFAULT_USER, Credentials, check_bind, is_loopback, load_credentials


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``kgqa`` command line."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option("--host", help="Interface to bind (loopback by default).")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 7860,
        index: Annotated[Path | None, typer.Option("--index", help="Index folder (default: .kgqa-index in the repo).")] = None,
        corpus: Annotated[Path | None, typer.Option("--corpus", help="Folder to index on first use.")] = None,
        config: Annotated[Path | None, typer.Option("--config", help="TOML settings file.")] = None,
        uploads: Annotated[Path | None, typer.Option("--uploads", help="Where uploaded files are kept (default: next to the index).")] = None,
        concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64, help="Questions answered at once.")] = 4,
        llm: Annotated[str | None, typer.Option("--llm", help="none | openai-compatible | ollama (also settable in the UI)")] = None,
        llm_base_url: Annotated[str | None, typer.Option("--llm-base-url")] = None,
        llm_model: Annotated[str | None, typer.Option("--llm-model")] = None,
        api_only: Annotated[bool, typer.Option("--api-only", help="Serve only the JSON API (no Gradio UI).")] = False,
        store: Annotated[str | None, typer.Option(
            "--store", help="postgresql://user@host/db (shared by several servers, docs/deploy.md) or a folder.")] = None,
        user: Annotated[str, typer.Option("--user", help="User name for the login (with a password).")] = DEFAULT_USER,
        password_env: Annotated[str | None, typer.Option(
            "--password-env", help="Require a login; the password is in this environment variable.")] = None,
        password_file: Annotated[Path | None, typer.Option(
            "--password-file", help="Require a login; the password is the first line of this file.")] = None,
        insecure: Annotated[bool, typer.Option(
            "--insecure", help="Allow a non-loopback --host without a password (anyone who reaches it can use it).")] = False,
    ) -> None:
        """Start the analyst workspace (Gradio) and its JSON API at /api/v1 (docs at /api/v1/docs)."""
        credentials = load_credentials(user, password_env, password_file)
        check_bind(host, credentials, insecure)
        settings = Settings.load(config, overrides={
            "index_dir": index, "corpus_dir": corpus, "llm": llm, "llm_base_url": llm_base_url, "llm_model": llm_model,
            "store": store,
        })
        if credentials is None and not is_loopback(host):
            sys.stderr.write(f"kgqa: warning: serving on {host} WITHOUT a password (--insecure); anyone who can "
                             "reach it can read and upload documents\n")
        # every temporary file of this server (Gradio's upload cache, rendered files) lives in one
        # folder that is removed when the server stops, also on SIGTERM
        run_tmp = Path(tempfile.mkdtemp(prefix="kgqa-serve-"))
        os.environ["GRADIO_TEMP_DIR"] = str(run_tmp / "gradio")
        tempfile.tempdir = str(run_tmp)
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            _serve(settings, host, port, uploads, concurrency, credentials, api_only)
        finally:
            signal.signal(signal.SIGTERM, previous)
            tempfile.tempdir = None
            shutil.rmtree(run_tmp, ignore_errors=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the servers close on it; then the temp folder is removed


def _serve(settings: Settings, host: str, port: int, uploads: Path | None, concurrency: int,
           credentials: Credentials | None, api_only: bool) -> None:
    # Imported here, not at the top: they load the index stack and Gradio (seconds), and this
    # module is imported by every ``kgqa`` command just to register ``serve``.
    from engine.qa import open_qa
    from ui.workspace import Workspace

    def say(msg: str) -> None:
        sys.stderr.write(f"kgqa: {msg}\n")

    qa = open_qa(settings, progress=sys.stderr.isatty(), say=say)
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    what = "the JSON API" if api_only else "the workspace"
    login = f"; login as {credentials.username}" if credentials else ""
    sys.stderr.write(f"kgqa: serving {what} over {len(qa.index.docs)} documents from {qa.store.label} on {url} "
                     f"(API docs: {url}/api/v1/docs{login}; Ctrl+C to stop)\n")
    ws: Workspace
    if api_only:
        from ui.api_server import ApiServer

        ws = Workspace(qa, settings, uploads_dir=uploads)
        try:
            ApiServer(ws, host=host, port=port, auth=credentials, concurrency=concurrency, quiet=True).run()
        except KeyboardInterrupt:
            pass
        finally:
            ws.close()
        return
    from ui.app import launch

    demo, ws = launch(qa, settings, host=host, port=port, block=True, uploads_dir=uploads, concurrency=concurrency,
                      quiet=True, auth=credentials)
    demo.close()
    ws.close()
