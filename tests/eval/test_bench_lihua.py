"""LiHua-World end to end (``eval.bench_lihua``) on two synthetic chat logs.

Both systems run with the real model, each ingest in its own process.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.config import Settings
from eval.bench_lihua import lihua_markdown, run_lihua
from retrieval.build import encoder_backend

LOGS = {
    "week3/20260121_1000.txt": "Time: 20260121_10:00\nLiHua: Hailey delivered the sourdough bread this morning.\n"
                               "Hailey: Glad you liked it, see you on Friday!\n",
    "week4/20260122_0900.txt": "Time: 20260122_09:00\nLiHua: The gym opens at seven now.\n"
                               "Wolfgang: Then let us meet there at half past seven.\n",
}
QUESTIONS = {
    "0": {"question": "Who delivered the sourdough bread?", "answer": "Hailey", "evidence": "20260121_10:00",
          "type": "Single"},
    "1": {"question": "What is LiHua's favourite opera?", "answer": "Insufficient information", "evidence": "N/A",
          "type": "Null"},
}


def _bench(tmp_path: Path) -> Path:
    bench = tmp_path / "bench"
    for rel, text in LOGS.items():
        p = bench / "lihua-world" / "data" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    (bench / "lihua-world" / "qa").mkdir(parents=True)
    (bench / "lihua-world" / "qa" / "query_set.json").write_text(json.dumps(QUESTIONS), encoding="utf-8")
    return bench


def test_lihua_end_to_end(tmp_path: Path) -> None:
    """With a second encoder backend: the configured one is not run twice; the other gets its own
    index, ingest figures and result row, beside kgqa and the baseline."""
    out = tmp_path / "reports"
    configured = encoder_backend(Settings())  # "auto" as resolved on this machine
    report = run_lihua(_bench(tmp_path), tmp_path / "work", use_graph=False, out_dir=out,
                       backends=["onnx-int8", configured, "onnx-int8"])
    assert report["benchmark"] == "lihua" and report["questions"] == 2 and "filings" not in report
    assert list(report["results"]) == ["kgqa", "kgqa[onnx-int8]", "baseline"]
    assert list(report["backend_ingests"]) == ["kgqa[onnx-int8]"] and report["kgqa_settings"]["embed_backend"] == configured
    manifest = json.loads(next((tmp_path / "work" / "lihua" / "index-onnx-int8").rglob("manifest.json")).read_text())
    assert "onnx-int8" in json.dumps(manifest)
    assert report["results"]["kgqa[onnx-int8]"]["retrieval"]["hit@10"] == 1.0
    kg = report["results"]["kgqa"]
    assert kg["retrieval"]["n"] == 1 and kg["retrieval"]["hit@10"] == 1.0  # the Null question has no evidence
    assert set(kg["answers_by_group"]) == {"Single", "Null"}
    assert report["baseline_ingest"]["config"]["splitter"] == "SentenceSplitter(chunk_size=1200 tokens, chunk_overlap=100)"
    md = (out / "lihua.md").read_text(encoding="utf-8")
    assert md.startswith("# LiHua-World") and "MiniRAG" in md and "By question type (accuracy):" in md
    assert "| kgqa[onnx-int8] / baseline |" in md and md.count("| kgqa[onnx-int8] |") >= 2  # ingest, retrieval
    assert md == lihua_markdown(json.loads((out / "lihua.json").read_text(encoding="utf-8")), out / "lihua-hits.png")
