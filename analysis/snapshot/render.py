"""The self-contained snapshot HTML: inline plotly.js, a strict Content-Security-Policy, escaped data text.

Scripts are allowed by their SHA-256 hash only (no 'unsafe-inline' for scripts), so even a tag that slipped
through escaping could not run; ``connect-src 'none'`` and ``default-src 'none'`` forbid every network request.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import plotly.io as pio
import plotly.offline
import polars as pl

from analysis.privacy import REASONS, SUPPRESSED, SuppressionManifest, escape_text
from analysis.snapshot.figures import FIGURES

WITHHELD = "withheld"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "showLink": False, "showSendToCloud": False,
                 "showEditInChartStudio": False, "typesetMath": False, "plotlyServerURL": ""}

SECTION_TITLES = {
    "personas": "Personas",
    "funnel": "Funnel per persona",
    "channels": "Channel mix per persona",
    "paths": "Path variants per persona",
    "attribution": "Attribution summary",
}
PERCENT_COLUMNS = frozenset({"share", "conversion_rate", "conversion_from_step_1", "conversion_from_previous",
                             "typical_path_share", "share_of_persona", "share_low", "share_high"})

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:24px;
color:#1f2430;line-height:1.45}
h1{margin-bottom:0}header p{color:#555;margin:.2em 0}
table{border-collapse:collapse;margin:8px 0 24px;font-size:14px;width:100%}
th,td{border-bottom:1px solid #e3e6ec;padding:4px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.withheld{color:#8a8f99;font-style:italic;text-align:right}
.badge{display:inline-block;background:#eef1f7;border-radius:4px;padding:2px 8px;margin-right:6px}
tr.group td{border-top:2px solid #c9ced8}td.same{border-bottom:none}
section{margin-top:28px}dt{font-weight:600}dd{margin:0 0 8px 16px}
"""


@cache
def _plotly_js() -> str:
    return str(plotly.offline.get_plotlyjs())


def _script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def content_security_policy(scripts: list[str]) -> str:
    """The CSP: nothing from anywhere, inline styles, data: images, and exactly these inline scripts."""
    hashes = " ".join(_script_hash(s) for s in scripts)
    return ("default-src 'none'; " f"script-src {hashes}; " "style-src 'unsafe-inline'; img-src data: blob:; "
            "font-src data:; connect-src 'none'; frame-src 'none'; object-src 'none'; worker-src 'none'; "
            "base-uri 'none'; form-action 'none'")


def _json_for_script(value: Any) -> str:
    """JSON that cannot close its <script> element or start a comment, whatever strings it holds."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _cell(column: str, value: Any, withheld: bool) -> str:
    if value is None:
        return f'<td class="withheld">{WITHHELD if withheld else "–"}</td>'
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int):
        return f'<td class="num">{value:,}</td>'
    if isinstance(value, float):
        shown = f"{value:.1%}" if column in PERCENT_COLUMNS else f"{value:,.2f}"
        return f'<td class="num">{shown}</td>'
    return f"<td>{escape_text(str(value))}</td>"


def display_table(name: str, table: pl.DataFrame) -> pl.DataFrame:
    """The table as the HTML shows it: attribution estimates with their 90% interval in one readable cell
    ("102 (90–115)"); the data files keep the separate numeric columns."""
    if name != "attribution" or "conversions_low" not in table.columns:
        return table

    def with_interval(col: str, fmt: str) -> pl.Expr:
        low, high = pl.col(f"{col}_low"), pl.col(f"{col}_high")
        point = pl.col(col).map_elements(fmt.format, return_dtype=pl.String)
        bounds = pl.format("{}–{}", low.map_elements(fmt.format, return_dtype=pl.String),
                           high.map_elements(fmt.format, return_dtype=pl.String))
        return (pl.when(low.is_not_null() & high.is_not_null()).then(pl.format("{} ({})", point, bounds))
                .otherwise(point).alias(f"{col} (90% interval)"))

    return table.select(
        "model", "channel", pl.col("users").alias("people behind the credit"),
        with_interval("conversions", "{:,.1f}"), with_interval("value", "{:,.0f}"),
        with_interval("share", "{:.1%}"), *([SUPPRESSED] if SUPPRESSED in table.columns else []))


def short_digest(text: str) -> str:
    """The first 12 hex digits of a dataset digest (of its SHA-256 when it is not one), for people to compare.

    Examples
    --------
    >>> short_digest("ab" * 32), len(short_digest('abc:{"mapping": {}}'))
    ('abababababab', 12)
    """
    hexa = text if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else (
        hashlib.sha256(text.encode("utf-8")).hexdigest())
    return hexa[:12]


GROUP_COLUMNS = frozenset({"persona", "model"})
HEADERS = {"users": "people", "median_hours_from_start": "median hours from step 1"}


def html_table(table: pl.DataFrame) -> str:
    """A published table as escaped HTML; withheld cells say so. A first column that groups rows (persona, model)
    is shown once per group, not on every row."""
    columns = [c for c in table.columns if c != SUPPRESSED]
    head = "".join(f"<th>{escape_text(HEADERS.get(c, c.replace('_', ' ')))}</th>" for c in columns)
    flags = table[SUPPRESSED].to_list() if SUPPRESSED in table.columns else [False] * table.height
    rows = []
    grouped = bool(columns) and columns[0] in GROUP_COLUMNS
    previous: object = object()
    for row, flag in zip(table.select(columns).iter_rows(), flags, strict=True):  # published rows: few
        cells = [_cell(c, v, bool(flag)) for c, v in zip(columns, row, strict=True)]
        if grouped:
            if row[0] == previous:
                cells[0] = '<td class="same"></td>'
            previous = row[0]
        rows.append(("<tr>" if not grouped or cells[0] == '<td class="same"></td>' else '<tr class="group">')
                    + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _definition_list(items: Mapping[str, Any]) -> str:
    body = "".join(f"<dt>{escape_text(str(k))}</dt><dd>{escape_text(_plain(v))}</dd>" for k, v in items.items())
    return f"<dl>{body}</dl>"


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _manifest_html(manifest: SuppressionManifest) -> str:
    frame = manifest.to_frame()
    if frame.height == 0:
        return "<p>Nothing needed to be withheld.</p>"
    summary = frame.group_by("table", "reason", maintain_order=True).len("items")
    legend = _definition_list({r: REASONS[r] for r in frame["reason"].unique(maintain_order=True).to_list()})
    return (legend + "<h3>Summary</h3>" + html_table(summary) + "<details><summary>Every item</summary>"
            + html_table(frame.drop("explanation")) + "</details>")


def render_html(metadata: Mapping[str, Any], tables: Mapping[str, pl.DataFrame],
                manifest: SuppressionManifest) -> str:
    """The complete snapshot document: header facts, one section per table with its figure, definitions,
    parameters and the suppression manifest; plotly.js inlined once."""
    k = int(metadata["min_group_size"])
    title = escape_text(str(metadata.get("title", "Snapshot")))
    figures: list[tuple[str, str]] = []
    sections = []
    for name, table in tables.items():
        block = [f'<section id="{escape_text(name)}"><h2>{escape_text(SECTION_TITLES.get(name, name))}</h2>']
        if name in FIGURES and table.height:
            div = f"fig-{len(figures)}"
            figures.append((div, pio.to_json(FIGURES[name](table), validate=False)))
            block.append(f'<div id="{div}" class="figure"></div>')
        block.append(html_table(display_table(name, table)) + "</section>")
        sections.append("".join(block))
    calls = "".join(f"Plotly.newPlot({json.dumps(div)},FIGS[{i}].data,FIGS[{i}].layout,C);"
                    for i, (div, _) in enumerate(figures))
    data_script = (f"var C={_json_for_script(PLOTLY_CONFIG)};"
                   f"var FIGS=[{','.join(_json_for_script(spec) for _, spec in figures)}];{calls}")
    scripts = [_plotly_js(), data_script] if figures else []
    period = metadata.get("facts", {}).get("period") or ["?", "?"]
    people = metadata.get("facts", {}).get("people")
    facts = {"people in the data": f"{int(people):,}" if people is not None else f"withheld (fewer than {k})",
             "period (days, UTC)": f"{period[0]} to {period[1]}",
             "minimum group size (k)": k, "created": metadata.get("created", ""),
             "dataset (short digest)": short_digest(str(metadata.get("dataset_hash", ""))),
             "JourneyLens version": metadata.get("version", "")}
    noise = metadata.get("differential_privacy")
    if isinstance(noise, dict) and noise.get("epsilon") is not None:
        facts["differential privacy"] = (f"counts and sums carry random noise, epsilon = {noise.get('epsilon')} "
                                         f"per person ({noise.get('protects', '')})")
    return "".join([
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(scripts)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{title}</h1>",
        "<p>Aggregates only: no person or device ids, no raw events. Every number describes at least "
        f"<strong>k = {k}</strong> people; smaller groups are withheld or merged into "
        "&quot;Other (n groups)&quot;.</p>",
        _definition_list(facts), "</header>",
        *sections,
        '<section id="definitions"><h2>Definitions</h2>', _definition_list(metadata.get("definitions", {})),
        "</section>",
        '<section id="parameters"><h2>Parameters</h2>', _definition_list(metadata.get("parameters", {})),
        "</section>",
        '<section id="manifest"><h2>What was withheld and why</h2>', _manifest_html(manifest), "</section>",
        *(f"<script>{s}</script>" for s in scripts),
        "</body></html>",
    ])
