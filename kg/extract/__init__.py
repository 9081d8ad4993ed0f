"""Per-document extraction of typed entity mentions, relations and metric facts, with evidence.

Works offline on any report: capitalisation and noun-phrase cues, table structure (row labels,
column headers), cue words for verbs and entity classes read from ``kg/data``, the value
parser of :mod:`core.values`, and spaCy POS/dependency/NER when the model is installed.

The result is a JSON-ready dict (cached per document sha256 by the pipeline)::

    {"doc", "sha256", "version", "focus",
     "mentions": [{"name", "type", "w", "aliases", "attrs", "ev"}],
     "facts": [{"s", "st", "p", "o", "ot", "metric", "value", ..., "attrs", "ev"}]}

``ev`` is ``[doc, start, end, text]`` with ``raw[start:end] == text`` (a whole unit: the
sentence, list item or table row).

The steps, in the order :func:`extract_document` runs them, each a module of this package over
one shared :class:`~kg.extract.state.DocState`:

==============  =====================================================================
segments        units and table cells as segments; candidate names (capitalised runs)
structure       entity tables, scenario sections, segment appositions
entities        typing the candidate names; the focus company; locating known names
relations       cue-verb relations, table relations, leading indicators
metrics         a metric fact per value (``metric_names``: what a value measures)
tables          rating cells and number-free metrics of entity tables
text            pure string helpers shared by the steps
==============  =====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence

from core.interfaces import Extraction
from core.types import Document, Unit
from kg import nlp as spacy_nlp
from kg.extract.entities import class_subjects, locate, pick_focus, type_runs
from kg.extract.metrics import metrics
from kg.extract.relations import indicators, relations
from kg.extract.segments import build_segments, find_runs
from kg.extract.state import DocState
from kg.extract.structure import read_structure
from kg.extract.tables import table_metrics

EXTRACT_VERSION = 4  # bump when a rule changes what is extracted: cached extractions are then redone

__all__ = ["EXTRACT_VERSION", "RuleExtractor", "extract_document", "read_names"]


def extract_document(doc: Document, units: Sequence[Unit]) -> Extraction:
    """Extract mentions and facts from one document (see module docstring)."""
    st = read_names(doc, units)
    relations(st)
    metrics(st)
    table_metrics(st)
    indicators(st)
    return st.result(EXTRACT_VERSION)


def read_names(doc: Document, units: Sequence[Unit]) -> DocState:
    """The first half of :func:`extract_document`: segments, typed names, the focus company, and
    every known name located in every segment - what the fact steps read."""
    # looked up on the module at call time: the pipeline loads lazily, and tests swap in a blank one
    st = DocState(doc, list(units), spacy_nlp.nlp())
    build_segments(st)
    runs = find_runs(st)
    read_structure(st)
    type_runs(st, runs)
    pick_focus(st)
    locate(st)
    for seg in st.segs:
        class_subjects(st, seg)
    locate(st)  # again: the classes of competitors are names now
    return st


class RuleExtractor:
    """The offline, rule-based :class:`core.interfaces.Extractor` (rules + spaCy when installed).

    >>> from core.interfaces import Extractor
    >>> isinstance(RuleExtractor(), Extractor), RuleExtractor().version
    (True, '4')
    """

    version: str = str(EXTRACT_VERSION)

    def extract(self, doc: Document, units: Sequence[Unit]) -> Extraction:
        return extract_document(doc, units)
