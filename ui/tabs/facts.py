"""The Facts tab: every metric fact of the graph in a sortable, filterable table, as CSV too.

Facts in conflict (the store found another value for the same entity, metric and period)
are highlighted; the CSV holds exactly the rows shown, with a 0/1 ``conflict`` column.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ui.computation import metric_chart_frame
from ui.gradio_env import gr
from ui.render import message_html
from ui.workspace import Workspace

FACT_COLUMNS = [  # (row key, column header, Gradio datatype)
    ("entity", "Entity", "str"),
    ("metric", "Metric", "str"),
    ("value", "Value", "number"),
    ("value_high", "High", "number"),
    ("unit", "Unit", "str"),
    ("as_written", "As written", "str"),
    ("period", "Period", "str"),
    ("qualifier", "Qualifier", "str"),
    ("source", "Source", "str"),
    ("evidence", "Evidence", "str"),
    ("conflict", "Conflict", "str"),
]
FACT_WIDTHS = ["11%", "11%", "8%", "6%", "5%", "8%", "8%", "7%", "12%", "19%", "5%"]
CONFLICT_STYLE = "background-color: #fde0de; color: #7f1d1d"
KEEP_CSV = 64  # CSV downloads kept in the workspace's temp folder

Row = dict[str, Any]


@dataclass
class FactsControls:
    """The components a change of the index refreshes (in the order of :meth:`FactsTab.refresh`)."""

    entity: gr.Dropdown
    metric: gr.Dropdown
    table: gr.Dataframe
    download: gr.DownloadButton
    summary: gr.HTML

    def outputs(self) -> list[Any]:
        return [self.entity, self.metric, self.table, self.download, self.summary]


class FactsTab:
    """The facts table of the live graph, filtered by entity, metric, text and conflicts."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def facts_table(self, entities: list[str] | None, metrics: list[str] | None, text: str | None,
                    conflicts_only: bool | None) -> tuple[Any, dict[str, Any], str]:
        """The filtered metric facts (conflicts highlighted) and a CSV file of exactly those rows."""
        g = self.ws.graph()
        rows = select_rows(g.metric_rows() if g.available else [], entities, metrics, text, conflicts_only)
        path = self.ws.tmp_dir / f"kgqa-facts-{uuid.uuid4().hex[:8]}.csv"
        write_csv(path, rows)
        _prune(self.ws.tmp_dir, "kgqa-facts-*.csv", keep=KEEP_CSV)
        n_conf = sum(1 for r in rows if r["conflict"])
        summary = (
            f"{len(rows)} metric fact{'s' if len(rows) != 1 else ''}"
            + (f", {n_conf} in conflict (highlighted)" if n_conf else ", no conflicts")
            if g.available else (g.error or "graph not available")
        )
        return styled(rows), gr.update(value=str(path)), message_html(summary, "info")

    def facts_filters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The entity and metric filters, offering every value in the table, none chosen."""
        g = self.ws.graph()
        rows = g.metric_rows() if g.available else []
        ents = sorted({r["entity"] for r in rows}, key=str.lower)
        mets = sorted({r["metric"] for r in rows}, key=str.lower)
        return gr.update(choices=ents, value=[]), gr.update(choices=mets, value=[])

    def chart(self, entities: list[str] | None, metrics: list[str] | None, by: str | None) -> tuple[Any, Any, str]:
        """Chart the metric chosen in the Metric filter over periods (a line per entity) or over entities
        (a bar per entity, its latest period); each point's tooltip names its source."""
        g = self.ws.graph()
        if not metrics:
            hide = gr.update(visible=False)
            return hide, hide, message_html("Choose one metric in the Metric filter to chart it.", "info")
        rows = select_rows(g.metric_rows() if g.available else [], entities, metrics[:1], "", False)
        df = metric_chart_frame(rows, metrics[0], "entity" if by == "entities" else "period")
        units = ", ".join(sorted(set(df["unit"]))) if len(df) else ""
        note = message_html(f"{metrics[0]}: {len(df)} point{'s' if len(df) != 1 else ''}"
                            + (f" ({units})" if units else "") + (" — only the first chosen metric is charted"
                                                                   if len(metrics) > 1 else ""), "info")
        if by == "entities":
            return gr.update(visible=False), gr.update(visible=True, value=df, y_title=f"{metrics[0]} ({units})"), note
        return gr.update(visible=True, value=df, y_title=f"{metrics[0]} ({units})"), gr.update(visible=False), note

    def refresh(self) -> tuple[Any, ...]:
        """Filters and table for the live index (in the order of :meth:`FactsControls.outputs`)."""
        ent_u, met_u = self.facts_filters()
        return (ent_u, met_u, *self.facts_table([], [], "", False))

    def build(self) -> FactsControls:
        """The Facts tab: four filters, the table and its CSV download."""
        with gr.Tab("Facts", id="facts", elem_id="kgqa-tab-facts"):
            with gr.Row():
                f_ent = gr.Dropdown([], multiselect=True, label="Entity", scale=2, elem_id="kgqa-f-entity")
                f_met = gr.Dropdown([], multiselect=True, label="Metric", scale=2, elem_id="kgqa-f-metric")
                f_text = gr.Textbox(label="Contains", placeholder="filter any column", scale=2,
                                    elem_id="kgqa-f-text")
                f_conf = gr.Checkbox(label="Conflicts only", value=False, scale=1, elem_id="kgqa-f-conf")
            f_summary = gr.HTML(elem_id="kgqa-f-summary")
            f_table = gr.Dataframe(
                headers=[label for _, label, _ in FACT_COLUMNS],
                datatype=[t for _, _, t in FACT_COLUMNS],
                interactive=False, wrap=True, max_height=620, show_search="search",
                elem_id="kgqa-facts", label="Metric facts (click a header to sort)",
                column_widths=FACT_WIDTHS,
            )
            f_dl = gr.DownloadButton("Download CSV", elem_id="kgqa-facts-csv", variant="secondary")
            self._chart_panel(f_ent, f_met)
            f_inputs = [f_ent, f_met, f_text, f_conf]
            f_outputs = [f_table, f_dl, f_summary]
            f_ent.change(self.facts_table, f_inputs, f_outputs)
            f_met.change(self.facts_table, f_inputs, f_outputs)
            f_text.submit(self.facts_table, f_inputs, f_outputs)
            f_conf.change(self.facts_table, f_inputs, f_outputs)
            f_text.blur(self.facts_table, f_inputs, f_outputs)
        return FactsControls(f_ent, f_met, f_table, f_dl, f_summary)

    def _chart_panel(self, f_ent: gr.Dropdown, f_met: gr.Dropdown) -> None:
        """A chart of the metric chosen in the Metric filter (Gradio's native plots)."""
        with gr.Accordion("Chart a metric", open=False, elem_id="kgqa-f-chart"):
            with gr.Row():
                by = gr.Radio(["periods", "entities"], value="periods", label="Chart over", scale=2,
                              elem_id="kgqa-f-chart-by")
                go = gr.Button("Chart the chosen metric", scale=1, elem_id="kgqa-f-chart-go")
            note = gr.HTML(elem_id="kgqa-f-chart-note")
            tip = ["entity", "period", "value", "unit", "source"]
            line = gr.LinePlot(x="period", y="value", color="entity", tooltip=tip, visible=False, height=300,
                               elem_id="kgqa-f-chart-line", label="over periods")
            bar = gr.BarPlot(x="entity", y="value", color="period", tooltip=tip, visible=False, height=300,
                             elem_id="kgqa-f-chart-bar", label="over entities (latest period each)")
            go.click(self.chart, [f_ent, f_met, by], [line, bar, note])


def select_rows(rows: list[Row], entities: list[str] | None, metrics: list[str] | None, text: str | None,
                conflicts_only: bool | None) -> list[Row]:
    """The rows passing every filter (``text``: a case-insensitive substring of any column).

    >>> rows = [{"entity": "Acme", "metric": "revenue", "conflict": False},
    ...         {"entity": "Bolt", "metric": "margin", "conflict": True}]
    >>> [r["entity"] for r in select_rows(rows, [], [], "MARG", False)]
    ['Bolt']
    >>> [r["entity"] for r in select_rows(rows, ["Acme"], [], "", True)]
    []
    """
    if entities:
        rows = [r for r in rows if r["entity"] in set(entities)]
    if metrics:
        rows = [r for r in rows if r["metric"] in set(metrics)]
    if text and text.strip():
        t = text.strip().lower()
        rows = [r for r in rows if any(t in str(v).lower() for v in r.values())]
    if conflicts_only:
        rows = [r for r in rows if r["conflict"]]
    return rows


def styled(rows: list[Row]) -> Any:
    """The table's value: a DataFrame of ``rows``, conflicting rows highlighted, numbers formatted."""
    keys = [k for k, _, _ in FACT_COLUMNS]
    df = pd.DataFrame(
        [[("⚠ conflict" if r["conflict"] else "") if k == "conflict" else r.get(k) for k in keys] for r in rows],
        columns=[label for _, label, _ in FACT_COLUMNS],
    )
    if not len(df):
        return df

    def style(row: pd.Series) -> list[str]:
        bg = CONFLICT_STYLE if row["Conflict"] else ""
        return [bg] * len(row)

    return df.style.apply(style, axis=1).format({"Value": "{:,.6g}", "High": "{:,.6g}"}, na_rep="")


def write_csv(path: Path, rows: list[Row]) -> None:
    """``rows`` as CSV: the table's columns (``conflict`` as 0/1), then the document id."""
    keys = [k for k, _, _ in FACT_COLUMNS]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([*keys, "doc"])
        for r in rows:
            w.writerow([*(r.get(k) if k != "conflict" else int(bool(r["conflict"])) for k in keys), r["doc"]])


def _prune(folder: Path, pattern: str, keep: int) -> None:
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    for p in files[:-keep]:
        p.unlink(missing_ok=True)
