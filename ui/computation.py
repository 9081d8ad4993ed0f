"""Computed answers in the workspace: the computation as a small table under the answer, a trend chart
when the answer follows a metric over periods, and the Facts tab's chart of one metric.

Charts use Gradio's native plots (``gr.LinePlot`` / ``gr.BarPlot``) over small DataFrames whose
``source`` column names each point's citation (shown in the tooltip).

>>> from core.types import Computation, ComputationInput
>>> comp = Computation("revenue FY2023 - revenue FY2022", [
...     ComputationInput("revenue", 1.2e9, "USD", "FY2022", 1, "1,200"),
...     ComputationInput("revenue", 1.5e9, "USD", "FY2023", 3, "1,500")], 3e8, "USD", "", "$300 million")
>>> trend_frame(comp)[["metric", "period", "value", "source"]].values.tolist()
[['revenue', 'FY2022', 1.2, '[1]'], ['revenue', 'FY2023', 1.5, '[3]']]
>>> "[3]" in computation_html(comp, 0)
True
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

from core.types import Computation, ComputationInput
from core.values import format_value

_PERIOD = re.compile(r"(?:FY|Q[1-4] |[0-9]+M )?(\d{4})")
_SCALES = ((1e9, "billions"), (1e6, "millions"), (1e3, "thousands"))


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def input_value(i: ComputationInput) -> str:
    """The value an input was used with, and as written when that differs (``16% (approximately 15-17%)``)."""
    kind = {"%": "percent", "USD": "money", "x": "multiple"}.get(i.unit, "number")
    shown = format_value(kind, i.value) + (f" {i.unit}" if kind == "number" and i.unit else "")
    if not i.surface or i.surface.replace(",", "") == shown.replace(",", ""):
        return shown
    return f"{shown} ({i.surface})"


def trend_plot_update(comp: Computation | None) -> dict[str, Any]:
    """The Ask tab's trend chart for an answer: shown with its points, or hidden when there is no trend."""
    import gradio as gr  # the UI layer only (this module's tables and frames are plain pandas)

    df = trend_frame(comp)
    if df is None:
        return gr.update(visible=False, value=None)
    units = sorted(set(df["unit"]))
    return gr.update(visible=True, value=df, y_title=f"value ({', '.join(units)})")


def computation_html(comp: Computation, msg: int) -> str:
    """The computation under an answer: the formula, then input / value / period / source [n] rows."""
    rows = []
    for i in comp.inputs:
        if i.citation is not None:
            src = (f'<button type="button" class="kgqa-cite" data-cite="1" data-msg="{msg}" data-n="{i.citation}" '
                   f'title="Show source {i.citation} in context">[{i.citation}]</button>')
        else:
            src = "the question" if "question" in i.name else "–"
        rows.append(f"<tr><td>{esc(i.name)}</td><td class='kgqa-num'>{esc(input_value(i))}</td>"
                    f"<td>{esc(i.period or '')}</td><td>{src}</td></tr>")
    result = (f'<div class="kgqa-comp-result">= {esc(comp.result_text)}'
              + (f' <span class="kgqa-muted">({esc(comp.rounding)})</span>' if comp.rounding else "") + "</div>"
              if comp.result_text else "")
    return (
        f'<div class="kgqa-computation" data-msg="{msg}"><div class="kgqa-comp-formula">{esc(comp.formula)}</div>'
        '<table class="kgqa-comp-table"><thead><tr><th>input</th><th>value</th><th>period</th><th>source</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{result}</div>"
    )


def _scale(values: list[float]) -> tuple[float, str]:
    top = max((abs(v) for v in values), default=0.0)
    return next(((d, w) for d, w in _SCALES if top >= d), (1.0, ""))


def _period_key(p: str) -> tuple[int, str]:
    m = _PERIOD.search(p or "")
    return (int(m.group(1)) if m else 0, p or "")


def trend_frame(comp: Computation | None) -> pd.DataFrame | None:
    """The metrics of a computation read over two or more periods, one row per point (``None``: no trend).

    Money is shown in billions/millions (the ``unit`` column says which); a percentage in percent.
    """
    if comp is None:
        return None
    by_name: dict[str, list[ComputationInput]] = {}
    for i in comp.inputs:
        if i.period and i.citation is not None:
            by_name.setdefault(i.name, []).append(i)
    series = {n: xs for n, xs in by_name.items() if len({x.period for x in xs}) >= 2}
    if not series:
        return None
    rows = []
    for name, xs in series.items():
        div, word = _scale([x.value for x in xs]) if xs[0].unit == "USD" else (1.0, "")
        for x in sorted({x.period: x for x in xs}.values(), key=lambda x: _period_key(x.period or "")):
            value = x.value * 100 if x.unit == "%" else x.value / div
            unit = "%" if x.unit == "%" else (f"USD {word}" if word else x.unit)
            rows.append({"metric": name, "period": x.period, "value": round(value, 4), "unit": unit,
                         "source": f"[{x.citation}]", "as written": x.surface})
    return pd.DataFrame(rows)


def metric_chart_frame(rows: list[dict[str, Any]], metric: str, by: str = "period") -> pd.DataFrame:
    """One metric of the facts table, for a chart over periods (one line per entity) or over entities
    (one bar per entity, the latest period of each). ``source`` names each point's evidence.

    >>> rows = [{"entity": "Acme", "metric": "revenue", "value": 2e9, "unit": "USD", "period": "FY2023", "source": "a [1:5]"},
    ...         {"entity": "Acme", "metric": "revenue", "value": 1e9, "unit": "USD", "period": "FY2022", "source": "a [9:12]"}]
    >>> metric_chart_frame(rows, "revenue")[["entity", "period", "value"]].values.tolist()
    [['Acme', 'FY2022', 1.0], ['Acme', 'FY2023', 2.0]]
    """
    pts = [r for r in rows if r.get("metric") == metric and r.get("value") is not None]
    if not pts:
        return pd.DataFrame(columns=["entity", "period", "value", "unit", "source"])
    money = all(r.get("unit") == "USD" for r in pts)
    div, word = _scale([float(r["value"]) for r in pts]) if money else (1.0, "")
    out = []
    for r in pts:
        v = float(r["value"]) * (100 if r.get("unit") == "%" else 1) / div
        out.append({"entity": r["entity"], "period": r.get("period") or "–", "value": round(v, 4),
                    "unit": f"USD {word}".strip() if money else r.get("unit", ""), "source": r.get("source", "")})
    df = pd.DataFrame(out).drop_duplicates(subset=["entity", "period"])
    df = df.assign(_k=df["period"].map(_period_key)).sort_values(["entity", "_k"]).drop(columns="_k")
    if by == "entity":  # the latest period of each entity
        df = df.groupby("entity", as_index=False).tail(1)
    return df.reset_index(drop=True)
