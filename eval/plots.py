"""Matplotlib PNG plots for the benchmark reports (Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = {"kgqa": "#1f77b4", "baseline": "#ff7f0e"}
DPI = 80



def _save(fig: Any, path: Path) -> Path:
    """Lay out, write the PNG (creating its folder) and free the figure."""
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path

def hit_bars(summaries: dict[str, dict[str, Any]], title: str, path: Path) -> Path:
    """Grouped bars of hit@1/5/10 and MRR per system (``summaries``: name -> retrieval summary)."""
    keys = ["hit@1", "hit@5", "hit@10", "mrr"]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    width = 0.8 / max(1, len(summaries))
    for i, (name, s) in enumerate(summaries.items()):
        xs = [j + i * width for j in range(len(keys))]
        vals = [s.get(k) or 0.0 for k in keys]
        bars = ax.bar(xs, vals, width, label=name, color=COLORS.get(name))
        for b, v in zip(bars, vals, strict=True):
            ax.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.2f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks([j + width * (len(summaries) - 1) / 2 for j in range(len(keys))], ["hit@1", "hit@5", "hit@10", "MRR@10"])
    ax.set_ylim(0, 1.05)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def _mb_text(point: dict[str, Any]) -> float:
    return point["kgqa"]["ingest"]["bytes_in"] / 1e6


def scaling_plot(points: Sequence[dict[str, Any]], path: Path) -> Path:
    """Three panels against corpus size (MB of text): ingest time, index size, query latency p50/p95."""
    pts = sorted(points, key=_mb_text)
    x = [_mb_text(p) for p in pts]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))

    def series(ax: Any, name: str, ys: list[float | None], style: str = "-o", label: str | None = None) -> None:
        xy = [(a, b) for a, b in zip(x, ys, strict=True) if b is not None]
        if xy:
            ax.plot([a for a, _ in xy], [b for _, b in xy], style, color=COLORS.get(name), label=label or name)

    kg_ing = [p["kgqa"]["ingest"]["timings_s"].get("total") for p in pts]
    bl_ing = [p.get("baseline", {}).get("build_s") for p in pts]
    series(axes[0], "kgqa", kg_ing)
    series(axes[0], "baseline", bl_ing)
    axes[0].set_title("ingest time (s)", fontsize=10)
    series(axes[1], "kgqa", [p["kgqa"]["ingest"]["index_bytes"] / 1e6 for p in pts])
    series(axes[1], "baseline", [(p.get("baseline", {}).get("index_bytes") or 0) / 1e6 or None for p in pts])
    axes[1].set_title("index size on disk (MB)", fontsize=10)
    for q, style in (("p50", "-o"), ("p95", "--s")):
        series(axes[2], "kgqa", [p["kgqa"]["warm"]["answer_ms"][q] for p in pts], style, f"kgqa answer {q}")
        series(axes[2], "baseline", [p.get("baseline", {}).get("answer_ms", {}).get(q) for p in pts], style,
               f"baseline answer {q}")
    axes[2].set_title("warm query latency (ms)", fontsize=10)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("corpus text (MB, log)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for p, xv in zip(pts, x, strict=True):
        axes[0].annotate(p["label"], (xv, p["kgqa"]["ingest"]["timings_s"].get("total") or 1), fontsize=7,
                         textcoords="offset points", xytext=(3, 3))
    return _save(fig, path)


def latency_bars(point: dict[str, Any], path: Path) -> Path:
    """Warm p50/p95/p99 of retrieval and full answers, kgqa vs baseline (one corpus)."""
    k, b = point["kgqa"]["warm"], point["baseline"]
    groups = [("retrieval", "retrieve_ms"), ("answer", "answer_ms")]
    qs = ("p50", "p95", "p99")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, (title, key) in zip(axes, groups, strict=True):
        for i, (name, src) in enumerate((("kgqa", k), ("baseline", b))):
            vals = [src[key][q] or 0.0 for q in qs]
            xs = [j + i * 0.4 for j in range(len(qs))]
            bars = ax.bar(xs, vals, 0.4, label=name, color=COLORS[name])
            for bar, v in zip(bars, vals, strict=True):
                ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.0f}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks([j + 0.2 for j in range(len(qs))], list(qs))
        ax.set_title(f"warm {title} latency (ms), {point['label']} corpus", fontsize=10)
        ax.legend(fontsize=8)
    return _save(fig, path)
