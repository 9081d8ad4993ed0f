"""The Documents tab: the ingested documents, a reader, and uploads into the live index.

An upload is checked whole before anything changes (type, size, readable text); then the
files are copied into the uploads folder and ingested. On any failure the index is left as
it was (builds are atomic) and the copied files are taken back.
"""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import DocumentError, UploadError
from engine.ingest import BuildReport
from retrieval.documents import load_file
from ui.gradio_env import gr
from ui.render import document_html, message_html
from ui.workspace import Workspace

log = logging.getLogger(__name__)

UPLOAD_TYPES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
DOC_COLUMNS = ["Document", "Title", "Kind", "Size (KB)", "Units", "Chunks", "Entities"]
INGEST_STEPS = {"embedding": (0.35, "Embedding passages"), "up to date": (0.9, "Nothing new")}  # ingest message -> progress

Progress = Callable[..., object]  # gr.Progress: progress(fraction, desc=...)
Placed = tuple[Path, Path | None]  # (file in the uploads folder, backup of the file it replaced)


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

    def docs_table(self) -> pd.DataFrame:
        idx = self.ws.index
        docs_meta = self.ws.qa.snapshot.manifest.get("documents", {})
        ents = self.ws.graph().entity_counts_by_doc()
        rows = []
        for did, d in sorted(idx.docs.items()):
            m = docs_meta.get(did, {})
            size = m.get("bytes", len(d.raw.encode("utf-8")))
            units = m.get("units", sum(1 for u in idx.units if u.doc == did))
            chunks = m.get("chunks", sum(1 for c in idx.chunks if c.doc == did))
            rows.append([did, d.title, d.kind, round(size / 1024, 1), units, chunks, ents.get(did, 0)])
        return pd.DataFrame(rows, columns=DOC_COLUMNS)

    def doc_choices(self) -> list[tuple[str, str]]:
        return [(f"{d.title} ({did})", did) for did, d in sorted(self.ws.index.docs.items())]

    def show_document(self, doc_id: str | None) -> str:
        return document_html(self.ws.index.docs.get(doc_id or ""))

    def refresh(self) -> tuple[Any, ...]:
        """Table and reader choices for the live index (in the order of :meth:`DocumentsControls.outputs`)."""
        return self.docs_table(), gr.update(choices=self.doc_choices())

    # ---- uploads --------------------------------------------------------------------------------

    def stage_upload(self, src: Path) -> Path:
        """Check one uploaded file and copy it to a staging folder; raise :class:`UploadError`."""
        src = Path(src)
        name = _safe_name(src.name)
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_TYPES:
            raise UploadError(f"{src.name}: unsupported file type {suffix or '(none)'}; upload .txt, .md, .html or .pdf")
        size = src.stat().st_size
        limit = int(self.ws.settings.max_upload_bytes)
        if size > limit:
            raise UploadError(f"{src.name}: {_human(size)} is over the upload limit of {_human(limit)}")
        existing = self.ws.index.docs.get(name)
        if existing is not None and Path(existing.path).resolve().parent != self.ws.uploads_dir.resolve():
            name = f"{Path(name).stem}-upload{suffix}"  # never replace a corpus document by accident
        staged = self.ws.tmp_dir / f"stage-{uuid.uuid4().hex[:8]}" / name
        staged.parent.mkdir(parents=True)
        shutil.copyfile(src, staged)
        try:
            load_file(staged, staged.parent, max_bytes=limit)
        except DocumentError as exc:
            shutil.rmtree(staged.parent, ignore_errors=True)
            raise UploadError(f"{src.name}: {exc}") from exc
        return staged

    def ingest_files(self, files: str | Sequence[str] | None, progress: Progress | None = None) -> tuple[str, str]:
        """Ingest uploaded files (their paths) into the live index; returns ``(kind, message)``.

        Every file is checked before anything changes; on any failure the index is left as it
        was (builds are atomic) and files copied into the uploads folder are taken back.
        """
        say_progress: Progress = progress or (lambda *a, **k: None)
        paths = [Path(f) for f in ([files] if isinstance(files, str) else files or []) if f]
        if not paths:
            return "warn", "No file uploaded."
        with self.ws.ingest_lock:
            say_progress(0.05, desc="Checking files")
            staged: list[Path] = []
            try:
                for p in paths:
                    staged.append(self.stage_upload(p))
            except UploadError as exc:
                for s in staged:
                    shutil.rmtree(s.parent, ignore_errors=True)
                return "error", f"Not ingested — {exc}. The index is unchanged."
            placed = self._place(staged)
            say_progress(0.15, desc="Parsing and chunking")

            def say(msg: str) -> None:
                for key, (frac, desc) in INGEST_STEPS.items():
                    if key in msg:
                        say_progress(frac, desc=desc)

            try:
                report = self.ws.qa.ingest([t for t, _ in placed], add=True, say=say)
            except Exception as exc:  # any failure: the index is unchanged, so take the files back
                _take_back(placed)
                log.exception("ingest failed")
                return "error", f"Ingest failed ({type(exc).__name__}: {exc}). The index is unchanged."
            for _t, backup in placed:
                if backup is not None:
                    backup.unlink(missing_ok=True)
            say_progress(0.95, desc="Refreshing graph")
            return self._report(report)

    def _place(self, staged: list[Path]) -> list[Placed]:
        """Move staged files into the uploads folder, backing up the files they replace."""
        self.ws.uploads_dir.mkdir(parents=True, exist_ok=True)
        placed: list[Placed] = []
        for s in staged:
            target = self.ws.uploads_dir / s.name
            backup = None
            if target.exists():
                backup = self.ws.tmp_dir / f"backup-{uuid.uuid4().hex[:8]}-{s.name}"
                shutil.copyfile(target, backup)
            shutil.move(str(s), target)
            shutil.rmtree(s.parent, ignore_errors=True)
            placed.append((target, backup))
        return placed

    def _report(self, report: BuildReport) -> tuple[str, str]:
        """``(kind, message)`` saying what an ingest of uploads did."""
        if report.skipped:
            return "warn", "Skipped: " + "; ".join(f"{Path(s.path).name}: {s.reason}" for s in report.skipped)
        parts = []
        if report.added:
            parts.append("added " + ", ".join(report.added))
        if report.changed:
            parts.append("updated " + ", ".join(report.changed))
        if not parts:
            parts.append("already indexed, nothing changed")
        g = self.ws.graph()
        secs = report.timings_s.get("total", 0.0)
        gtxt = f"; graph: {len(g.entities)} entities" if g.available else ""
        return "ok", (
            f"Ingested: {'; '.join(parts)} ({report.n_chunks} chunks in the index{gtxt}; {secs:.1f}s). "
            "You can ask about it now."
        )

    # ---- the tab --------------------------------------------------------------------------------

    def build(self) -> DocumentsControls:
        """The Documents tab: the document table, the upload box and the reader."""
        limit = _human(int(self.ws.settings.max_upload_bytes))
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

        controls.upload.upload(do_upload, [controls.upload], [controls.status, controls.upload, *refresh_outputs],
                               concurrency_limit=1, concurrency_id="ingest")


def _take_back(placed: list[Placed]) -> None:
    """Undo :meth:`DocumentsTab._place`: restore replaced files, remove new ones."""
    for target, backup in placed:
        if backup is not None:
            shutil.move(str(backup), target)
        else:
            target.unlink(missing_ok=True)


def _safe_name(name: str) -> str:
    """A file name safe to keep: no folders, only letters, digits, dots, dashes and underscores.

    >>> _safe_name("../Q3 report (final).TXT")
    'Q3-report-final.txt'
    """
    base = Path(name).name
    stem, suffix = Path(base).stem, Path(base).suffix
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-") or "upload"
    return f"{stem[:80]}{suffix.lower()}"


def _human(n: int) -> str:
    """
    >>> _human(256 * 1024), _human(999)
    ('256.0 KB', '999 bytes')
    """
    for unit, s in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= s:
            return f"{n / s:.1f} {unit}"
    return f"{n} bytes"
