"""The state every session of the workspace shares: the QA object, its graph view, uploads.

One :class:`Workspace` serves the whole server. The tabs (``ui/tabs/``) hold it and read the
live index generation through it, so a document uploaded in one session is answerable, and
in the graph, for every session as soon as it is ingested.

The example questions belong to the corpus, not to the code: a corpus folder's
``manifest.json`` may list them under ``"examples"`` (see ``corpus/manifest.json``).

>>> from ui.workspace import Workspace                  # doctest: +SKIP
>>> ws = Workspace(QA.load(".kgqa-index"))               # doctest: +SKIP
>>> ws.examples()[0]                                     # doctest: +SKIP
"What was Twilio's fiscal 2024 revenue?"
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core.config import Settings
from core.interfaces import GraphStore
from core.types import DocRecord
from engine.qa import QA
from retrieval.store import RetrievalIndex
from ui.graph_view import NOT_AVAILABLE, GraphView
from ui.render import esc

log = logging.getLogger(__name__)

GraphProvider = Callable[[RetrievalIndex], GraphStore | None]
MANIFEST = "manifest.json"
N_TITLE_EXAMPLES = 3  # questions made from document titles when the corpus lists none


@dataclass(frozen=True)
class DocStats:
    """One indexed document with its sizes (from the index manifest) and its graph entities."""

    doc: DocRecord
    bytes: int
    units: int
    chunks: int
    entities: int


class Workspace:
    """The state shared by all sessions: the QA object, its graph view, uploads.

    ``graph_provider`` gives the graph of an index generation (default: the QA object's
    graph); ``examples`` replaces the example questions read from the corpus manifest.
    """

    def __init__(
        self,
        qa: QA,
        settings: Settings | None = None,
        graph_provider: GraphProvider | None = None,
        uploads_dir: Path | None = None,
        examples: list[str] | None = None,
    ) -> None:
        self.qa = qa
        self.settings = settings or qa.settings
        self.graph_provider = graph_provider
        self.uploads_dir = Path(uploads_dir or Path(self.settings.index_dir).parent / "uploads")
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="kgqa-ui-"))
        self.ingest_lock = threading.Lock()  # one ingest at a time, server-wide
        self.llm_lock = threading.Lock()  # one change of the (server-wide) LLM at a time
        self._graph_lock = threading.Lock()
        self._graph: tuple[int, GraphView] | None = None
        self._examples = examples

    def close(self) -> None:
        """Remove this workspace's temporary folder (the server has stopped)."""
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    # ---- the live index and its graph -----------------------------------------------------------

    @property
    def index(self) -> RetrievalIndex:
        return self.qa.index

    def graph(self) -> GraphView:
        """The graph view of the live index generation (rebuilt after each ingest)."""
        index = self.index
        with self._graph_lock:
            if self._graph is not None and self._graph[0] == id(index):
                return self._graph[1]
            view = self._load_graph(index)
            self._graph = (id(index), view)
            return view

    def _load_graph(self, index: RetrievalIndex) -> GraphView:
        """A view of ``index``'s graph; a missing or damaged graph gives a "not available" view."""
        try:
            store = self.graph_provider(index) if self.graph_provider else self.qa.graph
        except Exception as exc:  # the workspace works without a graph: never crash the UI
            log.warning("graph could not be loaded: %s", exc)
            return GraphView(None, index)
        try:
            return GraphView(store, index)
        except Exception as exc:  # a store that fails to list its records (e.g. a server-backed one)
            log.warning("graph store unusable: %s", exc)
            return GraphView(None, index, error=f"{NOT_AVAILABLE} ({type(exc).__name__}: {exc})")

    def examples(self) -> list[str]:
        """The example questions: given ones, the corpus manifest's, else one per document title."""
        if self._examples is not None:
            return list(self._examples)
        docs = self.index.docs
        listed = corpus_examples(docs, [Path(self.settings.corpus_dir)])
        if listed:
            return listed
        return [f"What does “{d.title}” say about revenue?" for d in list(docs.values())[:N_TITLE_EXAMPLES]]

    def document_stats(self) -> list[DocStats]:
        """Every document of the live index, by id, with its sizes and entity count."""
        idx = self.index
        docs_meta = self.qa.snapshot.manifest.get("documents", {})
        ents = self.graph().entity_counts_by_doc()
        out = []
        for did, d in sorted(idx.docs.items()):
            m = docs_meta.get(did, {})
            out.append(DocStats(
                d, int(m.get("bytes", len(d.raw.encode("utf-8")))),
                int(m.get("units", sum(1 for u in idx.units if u.doc == did))),
                int(m.get("chunks", sum(1 for c in idx.chunks if c.doc == did))),
                ents.get(did, 0),
            ))
        return out

    # ---- what every tab shows ---------------------------------------------------------------------

    def header_html(self) -> str:
        idx = self.index
        g = self.graph()
        gtxt = (
            f"graph: {len(g.entities)} entities, {len(g.facts)} facts"
            if g.available else "graph not available"
        )
        return (
            '<div class="kgqa-hdr"><h1>kgqa · analyst workspace</h1>'
            f'<span class="kgqa-muted">{len(idx.docs)} documents · {len(idx.chunks)} chunks · '
            f"{esc(gtxt)} · {esc(self.llm_label())}, every answer cited</span></div>"
            + self.graph_warning_html()
        )

    def graph_warning_html(self) -> str:
        """A banner when the index's graph is unreadable (answers then come from passages only)."""
        snap = self.qa.snapshot
        if not self.settings.use_graph or snap.graph is not None or not snap.graph_error:
            return ""
        return f'<div class="kgqa-msg kgqa-msg-warn" id="kgqa-graph-warning">{esc(snap.graph_error)}</div>'

    def index_label(self) -> str:
        idx = self.index
        return f"Index: {len(idx.docs)} documents, {len(idx.chunks)} passages."

    # ---- the attached LLM (server-wide: the QA object is shared by every session) -----------------

    def llm_on(self) -> bool:
        return self.qa.llm is not None

    def llm_settings(self) -> Settings | None:
        """The settings of the attached LLM (``None`` when answers are offline)."""
        llm = self.qa.llm
        return llm.settings if llm is not None else None

    def llm_label(self) -> str:
        s = self.llm_settings()
        if s is None:
            return "offline"
        return f"LLM: model {s.llm_model or '?'}, checked"


# ---- example questions from the corpus manifest --------------------------------------------------


def ingest_root(doc: DocRecord) -> Path:
    """The folder ``doc`` was ingested from (its id is its path relative to that folder).

    >>> ingest_root(DocRecord("reports/q3.txt", "Q3", "/data/corpus/reports/q3.txt", "txt", "x", "0"))
    PosixPath('/data/corpus')
    """
    parents = Path(doc.path).parents
    return parents[min(len(PurePosixPath(doc.id).parts), len(parents)) - 1]


def corpus_examples(docs: Mapping[str, DocRecord], folders: Iterable[Path] = ()) -> list[str]:
    """The ``examples`` of the first manifest that describes an indexed document.

    Manifests are looked for in ``folders`` (the configured corpus), then in the folders the
    documents were ingested from. A manifest counts only if one of its ``documents`` is in
    ``docs``, so another corpus's examples are never offered.
    """
    candidates = [*folders, *(ingest_root(d) for d in docs.values())]
    for folder in dict.fromkeys(Path(f).resolve() for f in candidates):
        manifest = _read_manifest(folder / MANIFEST)
        described = manifest.get("documents")
        examples = manifest.get("examples")
        if not isinstance(described, dict) or not isinstance(examples, list):
            continue
        if any(doc_id in docs for doc_id in described):
            return [str(q) for q in examples if str(q).strip()]
    return []


def _read_manifest(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("ignored unreadable manifest %s", path)
        return {}
    return data if isinstance(data, dict) else {}
