"""Journey figures: Sankey of step-to-step flows, path-variant table, step-matrix heatmap.

All node names and paths are data, so they are escaped for Plotly's pseudo-HTML before they reach a label.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from analysis.errors import AnalysisError
from analysis.formatting import count_text
from analysis.paths import CONVERTED, ENDED, GAP, NOT_CONVERTED, OUTCOMES
from analysis.privacy.text import escape_column
from analysis.vocabulary import OTHER

#: Colour-blind-friendly palette (Okabe-Ito, then Tol), cycled over node names; Other/ended/… in grey.
_PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#882255",
    "#44AA99",
    "#117733",
    "#332288",
)
_GREY = "#9E9E9E"
_WIDTH = 0.8  # columns span 0.01..0.81 of the width: the labels of the last column need the rest
_CONVERTED = "#1B7F3B"  # outcome nodes: green and red, darker than the palette so they read as outcomes
_STOPPED = "#B5452C"


def _need(frame: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(f"{what} needs the column(s) {', '.join(missing)}; present: {', '.join(frame.columns)}")


def _colours(names: list[str]) -> dict[str, str]:
    ordered = sorted({n for n in names if n not in (OTHER, ENDED, GAP, *OUTCOMES)})
    colours = {n: _PALETTE[i % len(_PALETTE)] for i, n in enumerate(ordered)}
    return {**colours, OTHER: _GREY, ENDED: _GREY, GAP: _GREY, CONVERTED: _CONVERTED, NOT_CONVERTED: _STOPPED}


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _step_header(step: int, *, backward: bool) -> str:
    if not backward:
        return f"Step {step}"
    if step > 0:
        return "Outcome"
    return "Last step" if step == 0 else f"{-step} before last"


def sankey_figure(flows: pl.DataFrame, *, title: str | None = None, label_px: float = 13.0) -> go.Figure:
    """Sankey of :func:`analysis.paths.transitions` (``by_step=True``): one column of nodes per step, a header over
    each column, every node labelled with its name and journey count, and, with ``outcomes=True`` flows, where
    journeys converted (green) or stopped without converting (red).

    Nodes are placed in fixed columns by step and the height grows with the busiest step, so 8 steps and 50 nodes
    stay readable. A node too thin to hold its label without touching its neighbour (under ``label_px`` pixels) is
    left unlabelled; hovering shows every node's name, step and count.

    Examples
    --------
    >>> t = pl.DataFrame({"step": [1], "source": ["<i>a</i>"], "target": ["b"], "count": [3], "users": [2],
    ...                   "probability": [1.0]})
    >>> sankey_figure(t).data[0].node.label[0]
    '&lt;i&gt;a&lt;/i&gt; · 3'
    """
    _need(flows, ("step", "source", "target", "count", "users", "probability"), "sankey_figure")
    if flows.is_empty():
        return _empty("No flows to show: no journey has two steps with these settings.")
    out_of = flows.group_by(pl.col("step"), pl.col("source").alias("node")).agg(pl.col("count").sum().alias("_out"))
    into = flows.group_by((pl.col("step") + 1).alias("step"), pl.col("target").alias("node")).agg(
        pl.col("count").sum().alias("_in"))
    nodes = (
        out_of.join(into, on=["step", "node"], how="full", coalesce=True)
        .with_columns(pl.max_horizontal(pl.col("_out").fill_null(0), pl.col("_in").fill_null(0)).alias("_weight"))
        .with_columns(
            pl.col("node").is_in(OUTCOMES).alias("_outcome"),
            (pl.col("node") == OTHER).alias("_other"),
        )
        .sort("step", "_outcome", "_other", "_weight", "node", descending=[False, False, False, True, False])
        .with_columns(pl.int_range(pl.len()).alias("_id"), escape_column("node").alias("_name"))
    )
    bounds = nodes.select(pl.col("step").min().alias("lo"), pl.col("step").max().alias("hi")).row(0)
    first, last = int(bounds[0]), int(bounds[1])
    span = max(last - first, 1)
    busiest = int(nodes.group_by("step").len().select(pl.col("len").max()).item())
    height = max(480, min(1400, 40 * busiest + 160))
    top = 70 if title else 40
    plot_px = height - top - 10
    # stack nodes top-down in each step by weight, with a fixed gap between them, so none overlap or clip
    gap = 0.02
    weight = pl.col("_weight") / pl.col("_weight").sum().over("step")
    usable = 1 - gap * (pl.len().over("step") - 1)
    above = (weight.cum_sum().over("step") - weight) * usable + gap * pl.int_range(pl.len()).over("step")
    nodes = nodes.with_columns(
        (0.01 + _WIDTH * (pl.col("step") - first) / span).alias("_x"),
        (above + weight * usable / 2).clip(0.001, 0.999).alias("_y"),
        # a label needs its own height plus the gap to the next node: thinner nodes stay unlabelled (hover tells)
        ((weight * usable + gap) * plot_px >= label_px).alias("_room"),
        pl.format("{} · {}", "_name", count_text(pl.col("_weight"))).alias("_full"),
    )
    links = (
        flows.join(
            nodes.select("step", pl.col("node").alias("source"), pl.col("_id").alias("_s")), on=["step", "source"]
        )
        .join(
            nodes.select((pl.col("step") - 1).alias("step"), pl.col("node").alias("target"), pl.col("_id").alias("_t")),
            on=["step", "target"],
        )
    )
    colours = _colours(nodes["node"].to_list())
    # Plotly writes the labels of the rightmost column on their left, over the labels of the column before; a
    # hair-thin, invisible link from that column to a blank node further right keeps every label on the right
    rightmost = nodes.filter(pl.col("step") == last).sort("_weight", descending=True).row(0, named=True)
    tiny = float(nodes.select(pl.col("_weight").max()).item()) * 1e-9
    spacer = {"_id": nodes.height, "_x": 0.995, "_y": 0.999, "value": tiny}
    backward = first <= 0
    steps = list(range(first, last + 1))
    headers = [
        {"text": f"<b>{_step_header(k, backward=backward)}</b>", "x": 0.01 + _WIDTH * (k - first) / span, "y": 1.0,
         "xref": "paper", "yref": "paper", "yanchor": "bottom", "xanchor": "left", "yshift": 8, "showarrow": False}
        for k in steps
    ]
    fig = go.Figure(
        go.Sankey(
            arrangement="fixed",
            node={
                "label": [*(full if room else "" for full, room in zip(nodes["_full"], nodes["_room"], strict=True)),
                          ""],
                "x": [*nodes["_x"].to_list(), spacer["_x"]],
                "y": [*nodes["_y"].to_list(), spacer["_y"]],
                "pad": 8,
                "thickness": 14,
                "line": {"width": 0},  # no outline, so the blank spacer stays invisible
                "color": [*(colours[n] for n in nodes["node"].to_list()), "rgba(0,0,0,0)"],
                "customdata": [*zip(nodes["step"].to_list(), nodes["_name"].to_list(), strict=True), (last + 1, "")],
                "hovertemplate": "step %{customdata[0]}: %{customdata[1]}<br>%{value:,} journeys<extra></extra>",
            },
            link={
                "source": [*links["_s"].to_list(), rightmost["_id"]],
                "target": [*links["_t"].to_list(), spacer["_id"]],
                "value": [*links["count"].to_list(), spacer["value"]],
                "color": [*(_rgba(colours[n], 0.35) for n in links["source"].to_list()), "rgba(0,0,0,0)"],
                "customdata": [*zip(links["users"].to_list(), links["probability"].to_list(),
                                    links.select(escape_column("source"))["source"].to_list(),
                                    links.select(escape_column("target"))["target"].to_list(), strict=True),
                               (0, 0.0, rightmost["_name"], "")],
                "hovertemplate": "%{customdata[2]} → %{customdata[3]}<br>%{value:,} journeys, "
                "%{customdata[0]:,} people<br>%{customdata[1]:.1%} of moves out<extra></extra>",
            },
        )
    )
    fig.update_layout(
        title=title,
        font_size=11,
        height=height,
        annotations=headers,
        margin={"l": 10, "r": 10, "t": top, "b": 10},
    )
    return fig


def path_variants_figure(variants: pl.DataFrame, *, title: str | None = None) -> go.Figure:
    """Table of :func:`analysis.paths.path_variants`: path, journeys, share, converted and conversion rate.

    Examples
    --------
    >>> v = pl.DataFrame({"label": ["a → <b>"], "journeys": [4], "users": [3], "converted": [1],
    ...                   "conversion_rate": [0.25], "share": [0.5]})
    >>> path_variants_figure(v).data[0].cells.values[0][0]
    'a → &lt;b&gt;'
    """
    _need(variants, ("label", "journeys", "converted", "conversion_rate", "share"), "path_variants_figure")
    by = [
        c
        for c in variants.columns
        if c not in ("path", "label", "journeys", "users", "converted", "conversion_rate", "share")
    ]
    shown = variants.with_columns(
        escape_column("label"),
        *[escape_column(c) for c in by if variants.schema[c] == pl.String],
        (pl.col("share") * 100).round(1).cast(pl.String).alias("share") + "%",
        (pl.col("conversion_rate") * 100).round(1).cast(pl.String).alias("conversion_rate") + "%",
    )
    headers = [*by, "path", "journeys", "share", "converted", "conversion rate"]
    values = [
        *[shown[c].cast(pl.String).to_list() for c in by],
        shown["label"].to_list(),
        shown["journeys"].to_list(),
        shown["share"].to_list(),
        shown["converted"].to_list(),
        shown["conversion_rate"].to_list(),
    ]
    fig = go.Figure(
        go.Table(
            columnwidth=[*([1] * len(by)), 6, 1, 1, 1, 1],
            header={"values": [f"<b>{h}</b>" for h in headers], "align": "left", "fill_color": "#EEEEEE"},
            cells={"values": values, "align": ["left"] * (len(by) + 1) + ["right"] * 4, "height": 24},
        )
    )
    fig.update_layout(
        title=title,
        height=min(900, 60 + 26 * (variants.height + 1)),
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
    )
    return fig


def step_matrix_figure(matrix: pl.DataFrame, *, title: str | None = None) -> go.Figure:
    """Heatmap of :func:`analysis.paths.step_matrix`: nodes down, steps across, share of journeys in each cell.

    Examples
    --------
    >>> m = pl.DataFrame({"step": [1, 1], "node": ["a", "<x>"], "journeys": [1, 1], "share": [0.5, 0.5]})
    >>> list(step_matrix_figure(m).data[0].y)
    ['&lt;x&gt;', 'a']
    """
    _need(matrix, ("step", "node", "share"), "step_matrix_figure")
    order = (
        matrix.group_by("node")
        .agg(pl.col("share").sum().alias("_total"))
        .with_columns(pl.col("node").is_in([OTHER, ENDED]).alias("_last"))
        .sort("_last", "_total", "node", descending=[False, True, False])
    )
    steps = sorted(matrix["step"].unique().to_list())
    wide = (
        order.select("node")
        .join(matrix.pivot(on="step", index="node", values="share", sort_columns=True), on="node", how="left")
        .fill_null(0.0)
    )
    z = wide.select([str(k) for k in steps]).to_numpy()
    labels = wide.select(escape_column("node"))["node"].to_list()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(k) for k in steps],
            y=labels,
            colorscale="Blues",
            zmin=0,
            zmax=float(z.max()) if z.size else 1.0,
            text=[[f"{v:.0%}" if v >= 0.005 else "" for v in row] for row in z.tolist()],
            texttemplate="%{text}",
            hovertemplate="step %{x}, %{y}: %{z:.1%} of journeys<extra></extra>",
            colorbar={"title": "Share of journeys", "tickformat": ".0%"},
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="Step",
        yaxis={"autorange": "reversed"},
        height=max(320, 26 * len(labels) + 120),
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
    )
    return fig


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(xaxis_visible=False, yaxis_visible=False, height=200)
    return fig
