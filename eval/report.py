"""Render an evaluation report (``eval.gold_eval.evaluate``) as rich tables and as Markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from eval.computed_eval import markdown as computed_markdown
from eval.computed_eval import print_computed
from eval.gold_eval import KS
from eval.open_report import LEGEND as SHAPES_LEGEND
from eval.open_report import SECTION_ROWS, shape_failures, shape_rows

# (key, column title) of the answer and retrieval tables
ANSWER_COLS = (
    ("n", "n"), ("accuracy", "acc"), ("accuracy_lenient", "acc*"), ("support_rate", "support"),
    ("list_recall", "list R"), ("citation_precision", "cite P"), ("citation_recall", "cite R"),
    ("faithfulness", "faith"),
)
ABSTAIN_COLS = (
    ("n", "n"), ("unanswerable", "unans"), ("abstention_precision", "abst P"), ("abstention_recall", "abst R"),
    ("false_abstentions", "false abst"), ("accuracy_all", "acc all"), ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
)
RETRIEVAL_COLS = (("answerable", "n"), *((f"recall@{k}", f"R@{k}") for k in KS), ("mrr", "MRR"),
                  ("passage_chars", "chars/passage"))
LEGEND = (
    "acc = answerable accuracy with a supporting citation (the cited span holds the answer value); "
    "acc* = without that condition; support = share of correct answers whose value is in a cited span; "
    "list R = mean item recall of list questions; cite P/R = citation precision/recall against the gold "
    "evidence quotes (abstentions count 0 recall); abst P/R = abstention precision/recall (unanswerable "
    "questions are the positives); chars/passage = mean length of the retrieved passages; faith = share of answer claims whose numbers and >=60% of content words "
    "occur in their own cited spans; acc all = accuracy over every question (abstaining is right on unanswerable "
    "ones); p50/p95 = per-question latency; R@k/MRR = gold evidence among the top-k retrieved passages."
)


def fmt(x: Any, key: str = "") -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if key.endswith("chars"):
            return f"{x:.0f}"
        if key.endswith("_ms"):
            return f"{x:.0f}" if x >= 10 else f"{x:.1f}"
        if key in ("ratio",):
            return f"{x:.2f}x"
        return f"{x:.3f}"
    return str(x)


def _rows(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    run = report["kgqa"]
    rows = [("all", run["summary"])]
    rows += [(f"cat {k}", v) for k, v in run["by_category"].items()]
    rows += [(f"type {k}", v) for k, v in run["by_type"].items()]
    return rows


# ---- rich ---------------------------------------------------------------------------------------------


def print_report(report: dict[str, Any], console: Console | None = None) -> None:
    """Print the tables to the terminal."""
    con = console or Console(highlight=False)
    if console is None and not con.is_terminal:
        con.width = max(con.width, 140)  # piped into a file or CI log: do not squeeze the tables
    rows = _rows(report)

    def table(title: str, cols: tuple[tuple[str, str], ...], rows: list[tuple[str, dict[str, Any]]]) -> Table:
        t = Table(title=title, title_justify="left", header_style="bold", pad_edge=False)
        t.add_column("group", no_wrap=True)
        for _, name in cols:
            t.add_column(name, justify="right", no_wrap=True)
        for label, s in rows:
            t.add_row(label, *(fmt(s.get(k), k) for k, _ in cols), style="bold" if label == "all" else None)
        return t

    con.print(table(f"kgqa on {report['questions']} gold questions: answers", ANSWER_COLS, rows))
    con.print(table("kgqa: abstention and latency", ABSTAIN_COLS, rows))
    con.print(table("kgqa: retrieval (answerable questions)", RETRIEVAL_COLS,
                    [(label, s) for label, s in rows if s.get("answerable")]))
    con.print(f"[dim]{LEGEND}[/]")
    if report.get("shapes"):
        t = Table(title="open questions and comparisons (same run)", title_justify="left", header_style="bold")
        for c in ("figure", "kgqa", "baseline"):
            t.add_column(c, justify="right" if c != "figure" else "left")
        for label, k, b in shape_rows(report):
            t.add_row(label, k, b, style="bold" if label in SECTION_ROWS else None)
        con.print(t)
        con.print(f"[dim]{SHAPES_LEGEND}[/]")
    if report.get("ablations"):
        t = Table(title="ablations (same index, one stage off)", title_justify="left", header_style="bold")
        for c in ("run", "acc", "acc*", "cite P", "cite R", "abst P", "abst R", "R@1", "R@5", "MRR", "p50 ms",
                  "lost", "gained"):
            t.add_column(c, justify="right" if c != "run" else "left")
        full = report["kgqa"]["summary"]
        t.add_row("full", *_abl_cells(full), "", "", style="bold")
        for flag, ab in report["ablations"].items():
            t.add_row(f"{flag}=False", *_abl_cells(ab["summary"]), str(len(ab["flips"]["lost"])),
                      str(len(ab["flips"]["gained"])))
        con.print(t)
        for flag, ab in report["ablations"].items():
            lost, gained = ab["flips"]["lost"], ab["flips"]["gained"]
            con.print(f"[dim]{flag}=False: lost {', '.join(lost) or 'none'}; gained {', '.join(gained) or 'none'}"
                      + (f"; {ab['note']}" if ab.get("note") else "") + "[/]")
    if report.get("comparison"):
        t = Table(title="kgqa vs plain llama-index baseline", title_justify="left", header_style="bold")
        for c in ("metric", "kgqa", "baseline", "kgqa/baseline"):
            t.add_column(c, justify="right" if c != "metric" else "left")
        for k, v in report["comparison"].items():
            t.add_row(k, fmt(v["kgqa"], k), fmt(v["baseline"], k), fmt(v["ratio"], "ratio"))
        con.print(t)
        cfg = report["baseline"].get("config", {})
        con.print(f"[dim]baseline: {cfg.get('embed_model')}, {cfg.get('splitter')}, {cfg.get('nodes')} nodes, "
                  f"top_k {cfg.get('top_k')}, built in {report['baseline'].get('build_s')} s[/]")
    if report.get("chunk_sweep"):
        t = Table(title="chunk size sweep", title_justify="left", header_style="bold")
        cols = ("chunk_chars", "chunks", "mean_chunk_chars", "accuracy", *(f"recall@{k}" for k in KS), "mrr",
                "citation_precision")
        for c in cols:
            t.add_column(c, justify="right")
        for r in report["chunk_sweep"]:
            t.add_row(*(fmt(r.get(c), c) for c in cols))
        con.print(t)
    if report.get("graph"):
        con.print("[bold]knowledge graph vs eval/gold/graph.json[/]")
        for line in graph_lines(report["graph"]):
            con.print(f"  {line}")
    if report.get("computed_gold"):
        print_computed(con, report["computed_gold"])
    fails = [r for r in report["kgqa"]["records"] if r["failure"]]
    con.print(f"\n[bold]{len(fails)} failing questions[/]")
    for r in fails:
        con.print(f"  {r['id']} [dim]({r['category']}/{r['type']})[/] {r['failure']}", soft_wrap=True)
    for line in shape_failures(report):
        con.print(f"  {line}", soft_wrap=True)
    for w in report["kgqa"].get("warnings", []):
        con.print(f"[yellow]warning: {w}[/]")


def graph_lines(g: dict[str, Any]) -> list[str]:
    """One line per scored part of the graph (``precision``/``recall``/``f1`` and counts)."""
    if "error" in g:
        return [f"not scored: {g['error']}"]
    lines = []
    for part, v in g.items():
        if isinstance(v, dict):
            nums = {k: x for k, x in v.items() if isinstance(x, int | float) and not isinstance(x, bool)}
            lines.append(f"{part}: " + ", ".join(f"{k} {fmt(x, k)}" for k, x in nums.items()))
        elif isinstance(v, int | float | str):
            lines.append(f"{part}: {fmt(v, part)}")
    return lines


def _abl_cells(s: dict[str, Any]) -> list[str]:
    keys = ("accuracy", "accuracy_lenient", "citation_precision", "citation_recall", "abstention_precision",
            "abstention_recall", "recall@1", "recall@5", "mrr", "latency_p50_ms")
    return [fmt(s.get(k), k) for k in keys]


# ---- Markdown -----------------------------------------------------------------------------------------


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(x: str) -> str:
        return x.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def gold_text(rec: dict[str, Any]) -> str:
    g = rec.get("gold")
    if g is None:
        return "(unanswerable: abstain)"
    k = g["kind"]
    if k == "number":
        of = f"/{g['of']:g}" if g.get("of") else ""
        return f"{g['value']:g} {g['unit']}{of}" + (f" ({rec['gold_surface'][0]})" if rec.get("gold_surface") else "")
    if k == "range":
        return f"{g['low']:g}-{g['high']:g} {g['unit']}"
    groups = g["items"] if k == "list" else g["keywords"]
    return ("items: " if k == "list" else "keywords: ") + "; ".join(" / ".join(x) for x in groups)


def to_markdown(report: dict[str, Any]) -> str:
    """The Markdown report: summary tables, ablations, baseline, sweep, per-question failures."""
    out = [f"# kgqa gold evaluation ({report['created']}, commit {report.get('commit') or 'unknown'})", ""]
    ix = report["index"]
    out.append(f"{report['questions']} questions; index {ix['documents']} documents, {ix['chunks']} chunks, "
               f"{ix['units']} units, graph: {'yes' if ix['graph'] else 'no'}. Settings: "
               + ", ".join(f"{k}={v}" for k, v in report["settings"].items()) + ".")
    out += ["", LEGEND, "", "## Answers", ""]
    rows = _rows(report)
    out.append(_md_table(["group", *(n for _, n in ANSWER_COLS)],
                         [[label, *(fmt(s.get(k), k) for k, _ in ANSWER_COLS)] for label, s in rows]))
    out += ["", "## Abstention and latency", ""]
    out.append(_md_table(["group", *(n for _, n in ABSTAIN_COLS)],
                         [[label, *(fmt(s.get(k), k) for k, _ in ABSTAIN_COLS)] for label, s in rows]))
    out += ["", "## Retrieval", ""]
    out.append(_md_table(["group", *(n for _, n in RETRIEVAL_COLS)],
                         [[label, *(fmt(s.get(k), k) for k, _ in RETRIEVAL_COLS)] for label, s in rows
                          if s.get("answerable")]))
    if report.get("shapes"):
        out += ["", "## Open questions and comparisons", "", SHAPES_LEGEND, ""]
        out.append(_md_table(["figure", "kgqa", "baseline"], [list(r) for r in shape_rows(report)]))
        misses = shape_failures(report)
        if misses:
            out += ["", *(f"- {m}" for m in misses)]
    if report.get("ablations"):
        out += ["", "## Ablations", "", "Same index, one stage switched off in the settings.", ""]
        hdr = ["run", "acc", "acc*", "cite P", "cite R", "abst P", "abst R", "R@1", "R@5", "MRR", "p50 ms",
               "lost", "gained"]
        body = [["full", *_abl_cells(report["kgqa"]["summary"]), "", ""]]
        for flag, ab in report["ablations"].items():
            body.append([f"{flag}=False", *_abl_cells(ab["summary"]), ", ".join(ab["flips"]["lost"]) or "–",
                         ", ".join(ab["flips"]["gained"]) or "–"])
        out.append(_md_table(hdr, body))
        notes = [f"- {flag}: {ab['note']}" for flag, ab in report["ablations"].items() if ab.get("note")]
        if notes:
            out += ["", *notes]
    if report.get("comparison"):
        cfg = report["baseline"].get("config", {})
        out += ["", "## Baseline: plain llama-index", "",
                f"{cfg.get('embed_model')}, {cfg.get('splitter')}, {cfg.get('nodes')} nodes, top_k "
                f"{cfg.get('top_k')}, no LLM; the answer is the first retrieved sentence holding a value of the "
                f"asked kind. Built in {report['baseline'].get('build_s')} s.", ""]
        out.append(_md_table(["metric", "kgqa", "baseline", "kgqa/baseline"],
                             [[k, fmt(v["kgqa"], k), fmt(v["baseline"], k), fmt(v["ratio"], "ratio")]
                              for k, v in report["comparison"].items()]))
        bf = report.get("baseline_flips", {})
        out += ["", f"Questions kgqa gets right and the baseline wrong: {len(bf.get('gained', []))}; "
                f"the reverse: {', '.join(bf.get('lost', [])) or 'none'}."]
    if report.get("chunk_sweep"):
        cols = ("chunk_chars", "chunks", "mean_chunk_chars", "accuracy", *(f"recall@{k}" for k in KS), "mrr",
                "citation_precision")
        out += ["", "## Chunk size sweep", ""]
        out.append(_md_table(list(cols), [[fmt(r.get(c), c) for c in cols] for r in report["chunk_sweep"]]))
    if report.get("computed_gold"):  # computed and yes/no questions (eval.computed_eval)
        out += ["", computed_markdown(report["computed_gold"]).rstrip()]
    if report.get("graph"):
        out += ["", "## Knowledge graph", "", "Scored by `kg.evaluate.score_graph` against eval/gold/graph.json.", "",
                *(f"- {x}" for x in graph_lines(report["graph"])), "", "<details><summary>details</summary>", "",
                "```json", json.dumps(report["graph"], indent=1, default=str), "```", "", "</details>"]
    fails = [r for r in report["kgqa"]["records"] if r["failure"]]
    out += ["", f"## Failures ({len(fails)})", ""]
    for r in fails:
        got = " ".join(r["got"].split())
        out += [
            f"### {r['id']} ({r['category']} / {r['type']})", "",
            f"- question: {r['question']}",
            f"- gold: {gold_text(r)}",
            f"- got: {got[:400]}{'…' if len(got) > 400 else ''}",
            f"- why: {r['failure']}",
            "",
        ]
    if report["kgqa"].get("warnings"):
        out += ["## Warnings", "", *(f"- {w}" for w in report["kgqa"]["warnings"]), ""]
    return "\n".join(out).rstrip() + "\n"


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``gold.json`` and ``gold.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    j, m = out_dir / "gold.json", out_dir / "gold.md"
    j.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    m.write_text(to_markdown(report), encoding="utf-8")
    return j, m
