"""kg.pipeline: extraction goes through a typed Extractor, and the per-document cache is kept per
extractor version."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.interfaces import Extraction, Extractor
from core.types import Document, Unit
from kg.cache import cache_path
from kg.extract import RuleExtractor
from kg.pipeline import build_store, extract_all

REPORT = """Acme Corp: Sensors
Overview
Acme Corp (ACME) makes industrial sensors. Acme Corp competes with Globex Inc and Hooli in predictive maintenance.
Acme Corp reported fiscal 2024 revenue of approximately $410 million.
"""


class NamesOnly:
    """An extractor that keeps the rule-based mentions and no facts (another version of the rules)."""

    version = "names-only-1"

    def extract(self, doc: Document, units: Sequence[Unit]) -> Extraction:
        return {**RuleExtractor().extract(doc, units), "version": self.version, "facts": []}


def test_cache_is_reused_only_for_the_same_extractor_version(make_doc, tmp_path: Path):
    doc, units = make_doc(REPORT)
    first, reused = extract_all([doc], units, cache_dir=tmp_path / "gen1")
    assert reused == 0 and cache_path(tmp_path / "gen1", doc.sha256).is_file()
    again, reused = extract_all([doc], units, previous=tmp_path / "gen1", unchanged={doc.id})
    assert reused == 1 and again == first
    assert isinstance(NamesOnly(), Extractor)
    other, reused = extract_all([doc], units, previous=tmp_path / "gen1", unchanged={doc.id}, extractor=NamesOnly())
    assert reused == 0 and other[0]["version"] == "names-only-1" and other[0]["facts"] == []
    changed, reused = extract_all([doc], units, previous=tmp_path / "gen1", unchanged=set())
    assert reused == 0 and changed == first


def test_store_is_built_from_the_given_extractor(make_doc):
    doc, units = make_doc(REPORT)
    rules, _ = build_store([doc], units)
    names, _ = build_store([doc], units, extractor=NamesOnly())
    assert rules.all_facts() and not names.all_facts()
    assert {e.name for e in names.entities()} <= {e.name for e in rules.entities()}
    assert names.entity("Acme Corp") is not None
