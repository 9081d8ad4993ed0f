"""``kgqa serve``: start the analyst workspace and its JSON API (registered on the main CLI by ``kgqa.cli``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from core.config import Settings


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
    ) -> None:
        """Start the analyst workspace (Gradio) and its JSON API at /api/v1 (docs at /api/v1/docs)."""
        # Imported here, not at the top: they load the index stack and Gradio (seconds), and this
        # module is imported by every ``kgqa`` command just to register ``serve``.
        from engine.qa import open_qa

        settings = Settings.load(config, overrides={
            "index_dir": index, "corpus_dir": corpus, "llm": llm, "llm_base_url": llm_base_url, "llm_model": llm_model,
            "store": store,
        })
        if host not in {"127.0.0.1", "localhost", "::1"}:
            sys.stderr.write(f"kgqa: warning: serving on {host}; anyone who can reach it can read and upload documents\n")

        def say(msg: str) -> None:
            sys.stderr.write(f"kgqa: {msg}\n")

        qa = open_qa(settings, progress=sys.stderr.isatty(), say=say)
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        what = "the JSON API" if api_only else "the workspace"
        sys.stderr.write(f"kgqa: serving {what} over {len(qa.index.docs)} documents from {qa.store.label} on {url} "
                         f"(API docs: {url}/api/v1/docs; Ctrl+C to stop)\n")
        if api_only:
            from ui.api_server import ApiServer
            from ui.workspace import Workspace

            ws = Workspace(qa, settings, uploads_dir=uploads)
            ApiServer(ws, host=host, port=port, concurrency=concurrency, quiet=True).run()
            return
        from ui.app import launch

        launch(qa, settings, host=host, port=port, block=True, uploads_dir=uploads, concurrency=concurrency, quiet=True)
