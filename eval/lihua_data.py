"""LiHua-World data (from the MiniRAG paper): the questions and their evidence files.

Read from ``<bench>/lihua-world/``: ``data/**/YYYYMMDD_HHMM.txt`` (442 chat logs, the corpus)
and ``qa/query_set.json`` (637 questions). An evidence id ``YYYYMMDD_HH:MM`` names the file
``YYYYMMDD_HHMM.txt`` (a few ids carry a ``Time: `` prefix; ``N/A`` marks the Null questions,
which have no evidence). An evidence hit is a retrieved passage from any evidence file of the question.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from eval.bench_common import BenchQuestion, need

_ID = re.compile(r"(\d{8})_(\d{2}):?(\d{2})")


def evidence_files(evidence: str) -> list[str]:
    """File names of an evidence string (``[]`` for ``N/A`` or anything unparseable).

    >>> evidence_files("Time: 20260930_16:00<and>20260121_10:00")
    ['20260930_1600.txt', '20260121_1000.txt']
    >>> evidence_files("N/A")
    []
    """
    out = []
    for part in (evidence or "").split("<and>"):
        m = _ID.search(part)
        if m:
            out.append(f"{m.group(1)}_{m.group(2)}{m.group(3)}.txt")
    return out


def load_questions(bench: Path) -> list[dict[str, Any]]:
    """The question rows of ``qa/query_set.json`` under ``bench``, each with its ``id``."""
    data = json.loads(need(bench / "lihua-world" / "qa" / "query_set.json", "LiHua-World questions").read_text("utf-8"))
    items = data.items() if isinstance(data, dict) else enumerate(data)
    return [{"id": str(k), **v} for k, v in items]


def lihua_questions(rows: list[dict[str, Any]], doc_ids: list[str]) -> list[BenchQuestion]:
    """Bench questions; ``doc_ids`` are the indexed ids (paths relative to ``data/``)."""
    by_name: dict[str, str] = {}
    for d in doc_ids:
        by_name.setdefault(Path(d).name, d)
    out = []
    for r in rows:
        files = [by_name[f] for f in evidence_files(r.get("evidence", "")) if f in by_name]
        hit = (lambda doc, s, e, t=frozenset(files): doc in t) if files else None
        out.append(BenchQuestion(r["id"], r["question"], r["answer"], r.get("type", ""), hit=hit, evidence=files))
    return out


def lihua_corpus(bench: Path) -> Path:
    """The folder of the chat logs under ``bench``."""
    return need(bench / "lihua-world" / "data", "LiHua-World chat logs")
