"""Load .txt, .md, .html and .pdf files into :class:`~core.types.Document` records.

A file that is binary, empty or not valid UTF-8 is skipped with a warning naming it;
the rest of the folder still loads.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.txt").write_text("Acme\\nRevenue was $5 million.", encoding="utf-8")
>>> _ = (d / "b.bin.txt").write_bytes(b"\\x00\\x01\\x02")
>>> docs, skipped = load_documents([d])
>>> [x.id for x in docs], [s.reason for s in skipped]
(['a.txt'], ['binary file'])
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from core.errors import DocumentError
from core.normalize import Normalized, normalize
from core.types import DocRecord, Document

log = logging.getLogger(__name__)

SUPPORTED = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}
PAGE_BREAK = "\n\f\n"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that was not ingested, and why."""

    path: str
    reason: str


def document_from_record(r: DocRecord) -> Document:
    """A document kept from a previous index state, rebuilt from its stored raw text."""
    norm = _html_text(r.raw) if r.kind == "html" else normalize(r.raw)
    return Document(r.id, r.path, r.title, r.kind, r.raw, norm.text, r.sha256, r.meta, r.page_starts, norm.starts, norm.ends)


def discover(paths: Iterable[Path], skipped: list[Skipped] | None = None) -> list[tuple[Path, Path]]:
    """Expand files and folders into ``(file, root)`` pairs; ``root`` makes the doc id.

    Inside a folder, a symbolic link that leads outside it is not followed (it is added to
    ``skipped`` with the reason), and a file reached twice (a link to a file of the same
    folder) is listed once, under its real path.
    """
    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if p.is_dir():
            top = p.resolve()
            for f in sorted(p.rglob("*")):
                if not (f.is_file() and f.suffix.lower() in SUPPORTED) or _hidden(f.relative_to(p)):
                    continue
                real = f.resolve()
                if not real.is_relative_to(top):
                    log.warning("skipped %s: a link to %s, outside %s", f, real, p)
                    if skipped is not None:
                        skipped.append(Skipped(str(f), f"a symbolic link to {real}, outside the folder {p}; not followed"))
                    continue
                if real not in seen:
                    seen.add(real)
                    found.append((real, top))
        elif p.is_file():
            real = p.resolve()
            if real not in seen:
                seen.add(real)
                found.append((p, p.parent))
        else:
            raise DocumentError(f"no such file or folder: {p}")
    return found


def doc_id_of(path: Path, root: Path | None) -> str:
    """A file's document id: its path relative to the ingested folder (its name without one)."""
    return path.name if root is None else Path(path).resolve().relative_to(Path(root).resolve()).as_posix()


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


MAX_FILE_BYTES = 50 * 1024 * 1024
# One document's text: every sentence is a unit with its own vector, so memory grows with text
# size (a 50 MB text file made 540,678 texts and 8.8 GB RSS); over this it is refused up front.
MAX_TEXT_BYTES = 2 * 1024 * 1024


def load_documents(
    paths: Iterable[Path], max_bytes: int = MAX_FILE_BYTES, max_text_bytes: int = MAX_TEXT_BYTES
) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file under ``paths``; return the documents and the skipped files."""
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for f, root in discover(paths, skipped):
        try:
            docs.append(load_file(f, root, max_bytes=max_bytes, max_text_bytes=max_text_bytes))
        except DocumentError as exc:
            log.warning("skipped %s: %s", f, exc)
            skipped.append(Skipped(str(f), str(exc)))
    return docs, skipped


def load_file(
    path: Path, root: Path | None = None, max_bytes: int = MAX_FILE_BYTES, max_text_bytes: int = MAX_TEXT_BYTES
) -> Document:
    """Load one file. Raises :class:`DocumentError` for binary, empty, undecodable, unsupported or
    too large files (checked on the file's size, before it is read)."""
    path = Path(path)
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(f"unsupported file type {path.suffix or '(none)'} (use .txt, .md, .html or .pdf)")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"file is {megabytes(size)}, over the {megabytes(max_bytes)} limit")
    if kind != "pdf" and size > max_text_bytes:
        raise DocumentError(_too_much_text(size, max_text_bytes))
    data = path.read_bytes()
    if not data.strip():
        raise DocumentError("empty file")
    doc_id = doc_id_of(path, root)
    sha = hashlib.sha256(data).hexdigest()
    meta = _manifest_meta(path, root, doc_id)
    page_starts: tuple[int, ...] = ()
    if kind == "pdf":
        raw, page_starts = _pdf_text(data)
        if len(raw) > max_text_bytes:
            raise DocumentError(_too_much_text(len(raw), max_text_bytes))
        norm = normalize(raw)
    else:
        raw = decode(data)
        norm = _html_text(raw) if kind == "html" else normalize(raw)
    if not norm.text.strip():
        raise DocumentError("no text could be extracted")
    title = str(meta.get("title") or guess_title(norm, raw, kind) or path.stem)
    return Document(
        id=doc_id,
        path=str(path.resolve()),
        title=title,
        kind=kind,
        raw=raw,
        text=norm.text,
        sha256=sha,
        meta=meta,
        page_starts=page_starts,
        starts=norm.starts,
        ends=norm.ends,
    )


def megabytes(n: int) -> str:
    """Bytes in MB of 2**20 bytes, as the limits are set and documented.

    >>> megabytes(50 * 1024 * 1024), megabytes(52_428_801 + 100_000)
    ('50 MB', '50.1 MB')
    """
    mb = n / 2**20
    return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"


def _too_much_text(size: int, limit: int) -> str:
    return (f"{megabytes(size)} of text, over the {megabytes(limit)} one document may hold (ingest memory grows "
            "with the text); split it into smaller files")


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or BOM-marked UTF-16; reject binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError("not valid UTF-16 despite its byte-order mark") from exc
    head = data[:8192]
    if b"\x00" in head or _control_ratio(head) > 0.05:
        raise DocumentError("binary file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"not valid UTF-8 (byte {exc.start}); save it as UTF-8 and ingest it again"
        ) from exc


def _control_ratio(b: bytes) -> float:
    if not b:
        return 0.0
    bad = sum(1 for x in b if x < 32 and x not in (9, 10, 12, 13))
    return bad / len(b)


def _manifest_meta(path: Path, root: Path | None, doc_id: str) -> dict[str, object]:
    """Metadata for ``doc_id`` from a ``manifest.json`` beside the ingested folder, if any."""
    folder = Path(root) if root is not None else path.parent
    mf = folder / "manifest.json"
    if not mf.is_file():
        return {}
    try:
        entry = json.loads(mf.read_text(encoding="utf-8")).get("documents", {}).get(doc_id, {})
    except (OSError, ValueError, AttributeError):
        log.warning("ignored unreadable manifest %s", mf)
        return {}
    return dict(entry) if isinstance(entry, dict) else {}


def guess_title(norm: Normalized, raw: str, kind: str) -> str:
    """The first non-empty line (or ``<title>``/``# heading``), trimmed."""
    if kind == "html":
        m = re.search(r"<title[^>]*>(.*?)</title>", raw, re.I | re.S)
        title = re.sub(r"<[^>]*>", "", m.group(1)) if m else ""
        if title.strip():
            return html.unescape(" ".join(title.split()))
    for line in norm.text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


# --- PDF -------------------------------------------------------------------------


def _pdf_text(data: bytes, layer: str = "pdfium") -> tuple[str, tuple[int, ...]]:
    """Text layer of a PDF, pages joined by form feeds, with each page's start offset.

    ``layer`` is ``"pdfium"`` (PDFium through pypdfium2: about 15x faster than pypdf on filings,
    the same text to within a few characters per page; ``eval/reports/pdf-text-layers.md``) or
    ``"pypdf"`` (pure Python; also the fallback when PDFium cannot read a file).
    """
    pages = _pdfium_pages(data) if layer == "pdfium" else None
    if pages is None:
        pages = _pypdf_pages(data)
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for text in pages:
        starts.append(pos)
        parts.append(text)
        pos += len(text) + len(PAGE_BREAK)
    return PAGE_BREAK.join(parts), tuple(starts)


def _pdfium_pages(data: bytes) -> list[str] | None:
    """Each page's text by PDFium, lines ending in ``\\n``; ``None`` when PDFium cannot read the file."""
    import pypdfium2 as pdfium  # a compiled PDFium: imported only for PDFs

    try:
        pdf = pdfium.PdfDocument(data, password="")  # filings are often encrypted with an empty password
    except pdfium.PdfiumError:
        return None
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            text = tp.get_text_range()
            tp.close()
            page.close()
            # PDFium ends lines with CRLF and marks a hyphen it kept at a line break with U+FFFE
            out.append(text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffe", "-").replace("\x00", ""))
        return out
    except pdfium.PdfiumError:
        return None
    finally:
        pdf.close()


def _pypdf_pages(data: bytes) -> list[str]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # filings are often encrypted with an empty password
            raise DocumentError("encrypted PDF: it needs a password; save an unencrypted copy and ingest that")
        return [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, NotImplementedError) as exc:
        if "decrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise DocumentError(f"encrypted PDF: it cannot be read without its password ({exc})") from exc
        raise DocumentError(f"unreadable PDF ({exc})") from exc
    except Exception as exc:  # pypdf raises many internal types on damaged files
        if "cryptography" in str(exc):
            raise DocumentError("encrypted PDF: install pypdf[crypto]") from exc
        raise DocumentError(f"unreadable PDF ({type(exc).__name__}: {exc})") from exc


# --- HTML ------------------------------------------------------------------------

_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt", "hr", "title", "main",
}
_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page as ``(text, raw_start, raw_end)`` pieces."""

    def __init__(self, raw: str) -> None:
        super().__init__(convert_charrefs=False)
        self.raw = raw
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", raw)]
        self.pieces: list[tuple[str, int, int]] = []
        self.skip_depth = 0

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _newline(self, at: int) -> None:
        self.pieces.append(("\n", at, at))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self._newline(self._pos())
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"} and not self.skip_depth:
            # keep heading level visible to the layout parser, markdown-style
            p = self._pos()
            self.pieces.append(("#" * int(tag[1]) + " ", p, p))
        elif tag in {"td", "th"} and not self.skip_depth:
            p = self._pos()
            self.pieces.append((" | ", p, p))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self._newline(self._pos())

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        start = self._pos()
        self.pieces.append((data, start, start + len(data)))

    def handle_entityref(self, name: str) -> None:
        self._ref(f"&{name};", html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self._ref(f"&#{name};", html.unescape(f"&#{name};"))

    def _ref(self, literal: str, value: str) -> None:
        if self.skip_depth:
            return
        start = self._pos()
        end = start + len(literal) if self.raw.startswith(literal, start) else start + len(literal) - 1
        self.pieces.append((value, start, end))


def _html_text(raw: str) -> Normalized:
    parser = _TextExtractor(raw)
    parser.feed(raw)
    parser.close()
    # collapse whitespace runs inside lines the way a browser would
    pieces: list[tuple[str, int, int]] = []
    for text, s, e in parser.pieces:
        if text == "\n" or text.startswith(("#", " | ")) or e - s != len(text):
            pieces.append((text, s, e))
            continue
        for k, ch in enumerate(text):
            pieces.append((" " if ch in "\n\r\t" else ch, s + k, s + k + 1))
    return normalize(raw, pieces)
