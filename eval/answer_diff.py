"""Compare two runs of ``kgqa ask --jsonl`` question by question (a refactor must change nothing).

Usage, with the gold questions before and after a change::

    python -m eval.answer_diff --questions eval/gold/qa.jsonl > questions.txt
    kgqa ask --jsonl < questions.txt > before.jsonl      # on the old commit
    kgqa ask --jsonl < questions.txt > after.jsonl       # on the new one
    python -m eval.answer_diff before.jsonl after.jsonl  # exit 1 and one line per difference

Compared: answer text, value, abstention, route, mode, answer type and every citation's
number, document and span (timings and scores are not).

>>> a = {"question": "q", "answer": "5% [1]", "citations": [{"n": 1, "doc": "d", "start": 0, "end": 9}]}
>>> diff_runs([a], [dict(a, answer="6% [1]")])
["q: answer differs: '5% [1]' -> '6% [1]'"]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FIELDS = ("answer", "value", "abstained", "route", "mode", "answer_type", "error")


def _citations(rec: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(c.get("n"), c.get("doc"), c.get("start"), c.get("end")) for c in rec.get("citations", [])]


def diff_runs(before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]) -> list[str]:
    """One line per difference between two runs over the same questions, in order."""
    out = []
    if len(before) != len(after):
        out.append(f"runs differ in length: {len(before)} -> {len(after)} answers")
    for b, a in zip(before, after, strict=False):
        q = str(b.get("question", ""))[:80]
        if b.get("question") != a.get("question"):
            out.append(f"{q}: the runs are not over the same questions ({a.get('question')!r})")
            continue
        out.extend(f"{q}: {f} differs: {b.get(f)!r} -> {a.get(f)!r}" for f in FIELDS if b.get(f) != a.get(f))
        if _citations(b) != _citations(a):
            out.append(f"{q}: citations differ: {_citations(b)} -> {_citations(a)}")
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("runs", nargs="*", type=Path, help="BEFORE.jsonl AFTER.jsonl")
    p.add_argument("--questions", type=Path, help="print the questions of a gold JSONL file, one a line")
    args = p.parse_args(argv)
    if args.questions:
        for rec in read_jsonl(args.questions):
            print(rec["question"])
        return 0
    if len(args.runs) != 2:
        p.error("give BEFORE.jsonl and AFTER.jsonl")
    before, after = (read_jsonl(r) for r in args.runs)
    lines = diff_runs(before, after)
    for line in lines:
        print(line)
    print(f"{len(before)} answers compared, {len(lines)} differences", file=sys.stderr)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
