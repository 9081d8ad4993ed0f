"""The per-document extraction cache of an index generation: ``kg_cache/`` in its folder.

One gzip-compressed JSON file (:mod:`core.jsonio`) per document and extractor, named by the
document's content hash, so an unchanged (even renamed) document is not extracted again::

    kg_cache/<sha256>.json.gz              rule-based extraction (kg.extract)
    kg_cache/<sha256>.statements.json.gz   statement-table facts (kg.statements)
    kg_cache/llm-<sha256>.json.gz          LLM-proposed facts (kg.llm_extract)

The PostgreSQL store keeps the same entries as rows of JSON text named without ``.gz``
(:func:`row_name`, :func:`row_sha`). This module stays light (no networkx): ingest workers use it.
"""

from __future__ import annotations

from pathlib import Path

from core.interfaces import Extraction
from core.jsonio import GZIP_SUFFIX, read_json, write_text
from core.types import Document

CACHE_DIR = "kg_cache"
CACHE_SUFFIX = ".json" + GZIP_SUFFIX


def cache_path(root: Path, sha: str, tag: str = "") -> Path:
    """``root/kg_cache/<sha>[.<tag>].json.gz``.

    >>> cache_path(Path("gen"), "ab12", "statements").as_posix()
    'gen/kg_cache/ab12.statements.json.gz'
    """
    return Path(root) / CACHE_DIR / f"{sha}{'.' + tag if tag else ''}{CACHE_SUFFIX}"


def llm_cache_name(sha: str) -> str:
    """The cache file of a document's LLM-proposed facts.

    >>> llm_cache_name("ab12")
    'llm-ab12.json.gz'
    """
    return f"llm-{sha}{CACHE_SUFFIX}"


def read_cache(root: Path | None, doc: Document, version: str, tag: str = "") -> Extraction | None:
    """The cached extraction of ``doc`` under ``root`` if it was made by extractor ``version``
    from the same content (``None`` when there is none or it is unreadable)."""
    if root is None:
        return None
    try:
        data = read_json(cache_path(Path(root), doc.sha256, tag))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or str(data.get("version")) != version or data.get("sha256") != doc.sha256:
        return None
    data["doc"] = doc.id  # a renamed but identical file keeps its extraction
    for m in data["mentions"]:
        m["ev"][0] = doc.id
    for f in data["facts"]:
        f["ev"][0] = doc.id
    return data


def cache_files(root: Path) -> list[Path]:
    """Every cache file under ``root/kg_cache`` (sorted; ``[]`` when there is no cache)."""
    return sorted((Path(root) / CACHE_DIR).glob("*" + CACHE_SUFFIX))


def row_name(path: Path) -> str:
    """The database row name of cache file ``path`` (its name without ``.gz``: the JSON is stored as text).

    >>> row_name(Path("kg_cache/ab12.statements.json.gz"))
    'ab12.statements.json'
    """
    return path.name.removesuffix(GZIP_SUFFIX)


def row_sha(name: str) -> str:
    """The document hash a cache row (or file) belongs to.

    >>> [row_sha(n) for n in ("ab12.json", "ab12.statements.json", "llm-ab12.json.gz")]
    ['ab12', 'ab12', 'ab12']
    """
    return name.split(".", 1)[0].removeprefix("llm-")


def write_row(root: Path, name: str, text: str) -> Path:
    """Write a database row (``name`` from :func:`row_name`, ``text`` its JSON) back as a cache file."""
    path = Path(root) / CACHE_DIR / (name + GZIP_SUFFIX)
    write_text(path, text, fsync=False)  # a cache: losing it costs a re-extraction only
    return path
