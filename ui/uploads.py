"""Uploads into the live index, shared by the Documents tab and the JSON API (no Gradio here).

An upload is checked whole before anything changes (type, size, readable text); then the
files are copied into the workspace's uploads folder and ingested. On any failure the index is
left as it was (builds are atomic) and the copied files are taken back. One ingest runs at a
time, server-wide (``Workspace.ingest_lock``).

>>> safe_name("../Q3 report (final).TXT"), human(256 * 1024)
('Q3-report-final.txt', '256.0 KB')
"""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from core.errors import DocumentError, IndexUnusable, UnsupportedUpload, UploadError, UploadTooLarge
from engine.ingest import BuildReport
from retrieval.documents import load_file
from ui.workspace import Workspace

log = logging.getLogger(__name__)

UPLOAD_TYPES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
MAX_FILES = 20  # files in one upload
INGEST_STEPS = {"embedding": (0.35, "Embedding passages"), "up to date": (0.9, "Nothing new")}  # ingest message -> progress

Progress = Callable[..., object]  # progress(fraction, desc=...), e.g. gr.Progress
Placed = tuple[Path, Path | None]  # (file in the uploads folder, backup of the file it replaced)


class Uploads:
    """Checked, atomic uploads into ``ws``'s live index."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    @property
    def limit(self) -> int:
        """The largest file accepted, in bytes (``Settings.max_upload_bytes``)."""
        return int(self.ws.settings.max_upload_bytes)

    def check_name(self, name: str) -> str:
        """The safe file name to keep, or :class:`UnsupportedUpload` for a type kgqa does not read."""
        safe = safe_name(name)
        suffix = Path(safe).suffix.lower()
        if suffix not in UPLOAD_TYPES:
            raise UnsupportedUpload(f"{name}: unsupported file type {suffix or '(none)'}; upload .txt, .md, .html or .pdf")
        return safe

    def receive(self, name: str, chunks: Iterable[bytes]) -> Path:
        """Write a file arriving in ``chunks`` (an HTTP body) to a private temporary folder.

        Refuses a bad type before reading anything and stops reading past the size limit.
        The result is what :meth:`ingest` takes; the folder is removed by :meth:`ingest`.
        """
        safe = self.check_name(name)
        folder = self.ws.tmp_dir / f"recv-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        path, size = folder / safe, 0
        try:
            with open(path, "wb") as fh:
                for chunk in chunks:
                    size += len(chunk)
                    if size > self.limit:
                        raise UploadTooLarge(f"{name}: over the upload limit of {human(self.limit)}")
                    fh.write(chunk)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return path

    def stage(self, src: Path) -> Path:
        """Check one uploaded file and copy it to a staging folder; raise :class:`UploadError`."""
        src = Path(src)
        name = self.check_name(src.name)
        suffix = Path(name).suffix.lower()
        size = src.stat().st_size
        if size > self.limit:
            raise UploadTooLarge(f"{src.name}: {human(size)} is over the upload limit of {human(self.limit)}")
        existing = self.ws.index.docs.get(name)
        if existing is not None and Path(existing.path).resolve().parent != self.ws.uploads_dir.resolve():
            name = f"{Path(name).stem}-upload{suffix}"  # never replace a corpus document by accident
        staged = self.ws.tmp_dir / f"stage-{uuid.uuid4().hex[:8]}" / name
        staged.parent.mkdir(parents=True)
        shutil.copyfile(src, staged)
        try:
            load_file(staged, staged.parent, max_bytes=self.limit)
        except DocumentError as exc:
            shutil.rmtree(staged.parent, ignore_errors=True)
            raise UploadError(f"{src.name}: {exc}") from exc
        return staged

    def ingest(self, files: Sequence[Path], progress: Progress | None = None) -> BuildReport:
        """Ingest ``files`` into the live index and return what the build did.

        Raises :class:`UploadError` (a file is refused: nothing changed), :class:`IndexUnusable`
        when the index folder cannot be written, or the build's own error; in every case the
        index is unchanged and the files placed in the uploads folder are taken back.
        """
        say_progress: Progress = progress or (lambda *a, **k: None)
        paths = [Path(f) for f in files]
        if not paths:
            raise UploadError("no file uploaded")
        if len(paths) > MAX_FILES:
            raise UploadError(f"{len(paths)} files in one upload; the limit is {MAX_FILES}")
        with self.ws.ingest_lock:
            say_progress(0.05, desc="Checking files")
            staged: list[Path] = []
            try:
                for p in paths:
                    staged.append(self.stage(p))
            except BaseException:
                for s in staged:
                    shutil.rmtree(s.parent, ignore_errors=True)
                raise
            placed = self._place(staged)
            say_progress(0.15, desc="Parsing and chunking")

            def say(msg: str) -> None:
                for key, (frac, desc) in INGEST_STEPS.items():
                    if key in msg:
                        say_progress(frac, desc=desc)

            try:
                report = self.ws.qa.ingest([t for t, _ in placed], add=True, say=say)
            except OSError as exc:  # the index folder cannot be written (full disk, read-only mount ...)
                _take_back(placed)
                raise IndexUnusable(f"cannot write the index at {self.ws.settings.index_dir}: "
                                    f"{exc.strerror or exc}; the index is unchanged") from exc
            except BaseException:  # the index is unchanged, so take the files back
                _take_back(placed)
                raise
            for _t, backup in placed:
                if backup is not None:
                    backup.unlink(missing_ok=True)
            say_progress(0.95, desc="Refreshing graph")
            return report

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

    def summary(self, report: BuildReport) -> tuple[str, str]:
        """``(kind, message)`` saying what an ingest of uploads did (kind: ok | warn)."""
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


def _take_back(placed: list[Placed]) -> None:
    """Undo :meth:`Uploads._place`: restore replaced files, remove new ones."""
    for target, backup in placed:
        if backup is not None:
            shutil.move(str(backup), target)
        else:
            target.unlink(missing_ok=True)


def safe_name(name: str) -> str:
    """A file name safe to keep: no folders, only letters, digits, dots, dashes and underscores.

    >>> safe_name("../Q3 report (final).TXT"), safe_name("..")
    ('Q3-report-final.txt', 'upload')
    """
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-") or "upload"
    suffix = suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", suffix) else ""
    return f"{stem[:80]}{suffix}"


def human(n: int) -> str:
    """
    >>> human(256 * 1024), human(999), human(3 * 1024 * 1024)
    ('256.0 KB', '999 bytes', '3.0 MB')
    """
    for unit, s in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= s:
            return f"{n / s:.1f} {unit}"
    return f"{n} bytes"
