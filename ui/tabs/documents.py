"""The Documents tab: the ingested documents, a reader, and uploads into the live index.

Uploads go through :class:`ui.uploads.Uploads` (shared with the JSON API): checked whole
before anything changes, then ingested; on any failure the index is left as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import UploadError
from ui.gradio_env import gr
from ui.render import document_html, message_html
from ui.uploads import UPLOAD_TYPES, Progress, Uploads, human
from ui.workspace import Workspace

log = logging.getLogger(__name__)

DOC_COLUMNS = ["Document", "Title", "Kind", "Size (KB)", "Units", "Chunks", "Entities"]


@dataclass
class DocumentsControls:
    """The tab's components; :meth:`outputs` are those a change of the index refreshes."""

    table: gr.Dataframe
    pick: gr.Dropdown
    upload: gr.File
    status: gr.HTML

    def outputs(self) -> list[Any]:
        return [self.table, self.pick]


class DocumentsTab:
    """The document list and reader of the live index, and uploads into it."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.uploads = Uploads(ws)

    def docs_table(self) -> pd.DataFrame:
        rows = [[st.doc.id, st.doc.title, st.doc.kind, round(st.bytes / 1024, 1), st.units, st.chunks, st.entities]
                for st in self.ws.document_stats()]
        return pd.DataFrame(rows, columns=DOC_COLUMNS)

    def doc_choices(self) -> list[tuple[str, str]]:
        return [(f"{d.title} ({did})", did) for did, d in sorted(self.ws.index.docs.items())]

    def show_document(self, doc_id: str | None) -> str:
        return document_html(self.ws.index.docs.get(doc_id or ""))

    def refresh(self) -> tuple[Any, ...]:
        """Table and reader choices for the live index (in the order of :meth:`DocumentsControls.outputs`)."""
        return self.docs_table(), gr.update(choices=self.doc_choices())

    # ---- uploads --------------------------------------------------------------------------------

    def ingest_files(self, files: str | Sequence[str] | None, progress: Progress | None = None) -> tuple[str, str]:
        """Ingest uploaded files (their paths) into the live index; returns ``(kind, message)``.

        Every file is checked before anything changes; on any failure the index is left as it
        was (builds are atomic) and files copied into the uploads folder are taken back.
        """
        paths = [Path(f) for f in ([files] if isinstance(files, str) else files or []) if f]
        if not paths:
            return "warn", "No file uploaded."
        try:
            report = self.uploads.ingest(paths, progress)
        except UploadError as exc:
            return "error", f"Not ingested — {exc}. The index is unchanged."
        except Exception as exc:  # any failure: the index is unchanged and the files were taken back
            log.exception("ingest failed")
            return "error", f"Ingest failed ({type(exc).__name__}: {exc}). The index is unchanged."
        return self.uploads.summary(report)

    # ---- the tab --------------------------------------------------------------------------------

    def build(self) -> DocumentsControls:
        """The Documents tab: the document table, the upload box and the reader."""
        limit = human(self.uploads.limit)
        with gr.Tab("Documents", id="documents", elem_id="kgqa-tab-docs"):
            d_table = gr.Dataframe(self.docs_table(), interactive=False, wrap=True, elem_id="kgqa-docs",
                                   label="Ingested documents",
                                   datatype=["str", "str", "str", "number", "number", "number", "number"],
                                   column_widths=["30%", "38%", "6%", "8%", "6%", "6%", "6%"])
            with gr.Row(equal_height=False):
                with gr.Column(scale=1):
                    upload = gr.File(
                        label=f"Upload .txt / .md / .html / .pdf (up to {limit} each)",
                        file_count="multiple", file_types=list(UPLOAD_TYPES), elem_id="kgqa-upload", height=140,
                    )
                    d_status = gr.HTML(elem_id="kgqa-upload-status")
                with gr.Column(scale=2):
                    d_pick = gr.Dropdown(self.doc_choices(), value=None, label="Read a document",
                                         elem_id="kgqa-doc-pick")
                    d_view = gr.HTML(document_html(None), elem_id="kgqa-doc-view")
            d_pick.change(self.show_document, [d_pick], [d_view])
        return DocumentsControls(d_table, d_pick, upload, d_status)

    def wire_upload(self, controls: DocumentsControls, refresh: Callable[[], tuple[Any, ...]],
                    refresh_outputs: list[Any]) -> None:
        """Ingest what is dropped on the upload box, then refresh every tab (``refresh`` into
        ``refresh_outputs``) so the new documents show up at once."""

        def do_upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
            kind, msg = self.ingest_files(files, progress)
            if kind == "error":
                gr.Warning(msg)
            return (message_html(msg, kind), None, *refresh())

        def pending(files: list[str] | None) -> str:
            # the previous upload's verdict must not stand for this one while it is ingested
            names = ", ".join(Path(f).name for f in files or [])
            return message_html(f"Ingesting {names} ..." if names else "No file uploaded.", "info")

        controls.upload.upload(pending, [controls.upload], [controls.status], queue=False).then(
            do_upload, [controls.upload], [controls.status, controls.upload, *refresh_outputs],
            concurrency_limit=1, concurrency_id="ingest")
