"""Attribution figures: credit per channel, one bar group per channel and one bar per model, with whiskers."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from analysis.attribution.compare import ModelComparison
from analysis.attribution.models import LABELS, NO_TOUCH
from analysis.attribution.segments import SegmentAttribution
from analysis.errors import AnalysisError
from analysis.privacy.text import escape_column, escape_text
from analysis.vocabulary import METRICS, Metric, check_choice

_TITLES = {"conversions": "Attributed conversions", "value": "Attributed revenue", "share": "Share of conversions"}
#: Clearly different colours (Okabe-Ito, colour-blind safe, then Tableau) so models never look alike.
_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#7F7F7F",
            "#8C564B", "#17BECF", "#BCBD22")


def attribution_figure(
    result: ModelComparison | pl.DataFrame,
    *,
    metric: Metric = "conversions",
    models: list[str] | None = None,
    currency: str = "",
) -> go.Figure:
    """Grouped bar chart of credit per channel and model, with bootstrap interval whiskers when present.

    ``result`` is a :class:`ModelComparison` or a frame with ``model``, ``channel``, ``metric`` and optionally
    ``{metric}_low`` / ``{metric}_high`` (as ``compare_models(...).table``). A frame without ``model`` (the output
    of ``attribute``) is drawn as one series. Channel and model names are data: they are escaped for Plotly.
    ``currency`` (e.g. ``"€"``) prefixes value axes and labels. Each model has its own clearly different colour.

    Examples
    --------
    >>> t = pl.DataFrame({"model": ["linear"], "channel": ["<b>Email</b>"], "conversions": [3.0]})
    >>> fig = attribution_figure(t)
    >>> fig.data[0].x[0]
    '&lt;b&gt;Email&lt;/b&gt;'
    """
    table = result.table if isinstance(result, ModelComparison) else result
    check_choice("metric", metric, METRICS)
    if "channel" not in table.columns or metric not in table.columns:
        raise AnalysisError(
            f"the attribution table needs 'channel' and {metric!r}; present: {', '.join(table.columns)}"
        )
    if "model" not in table.columns:
        table = table.with_columns(model=pl.lit("model"))
    if models is not None:
        table = table.filter(pl.col("model").is_in(models))
    low, high = f"{metric}_low", f"{metric}_high"
    has_bounds = low in table.columns and high in table.columns
    order = table.group_by("channel").agg(pl.col(metric).mean()).sort(metric, descending=True)["channel"].to_list()
    order = [c for c in order if c != NO_TOUCH] + [c for c in order if c == NO_TOUCH]  # credits no channel: last
    table = table.with_columns(_label=escape_column("channel"))
    labels = dict(zip(table["channel"].to_list(), table["_label"].to_list(), strict=True))
    fig = go.Figure()
    prefix = escape_text(currency) if metric == "value" else ""
    number = "%{y:.1%}" if metric == "share" else f"{prefix}%{{y:,.0f}}"
    for i, model in enumerate(table["model"].unique(maintain_order=True).to_list()):
        part = table.filter(pl.col("model") == model)
        part = part.join(pl.DataFrame({"channel": order, "_o": range(len(order))}), on="channel").sort("_o")
        error = None
        if has_bounds:
            error = {
                "type": "data",
                "symmetric": False,
                "array": (part[high] - part[metric]).clip(lower_bound=0).fill_null(0).to_list(),
                "arrayminus": (part[metric] - part[low]).clip(lower_bound=0).fill_null(0).to_list(),
                "thickness": 1.2,
                "width": 3,
            }
        name = escape_text(LABELS.get(model, str(model)))
        fig.add_trace(
            go.Bar(
                name=name,
                x=part["_label"].to_list(),
                y=part[metric].to_list(),
                error_y=error,
                marker={"color": _COLOURS[i % len(_COLOURS)]},
                hovertemplate=f"{name}<br>%{{x}}: {number}<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        title=_TITLES[metric] + (" (whiskers: bootstrap interval)" if has_bounds else ""),
        xaxis={"title": "Channel", "categoryorder": "array", "categoryarray": [labels[c] for c in order]},
        yaxis={"title": _TITLES[metric], "tickformat": ".0%" if metric == "share" else ",.0f", "tickprefix": prefix},
        legend={"title": "Model"},
        margin={"t": 60, "l": 60, "r": 20, "b": 60},
    )
    return fig


def segment_attribution_figure(result: SegmentAttribution, *, model: str, metric: Metric = "share",
                               currency: str = "") -> go.Figure:
    """Grouped bars of one model's credit per channel, one colour per segment (:func:`attribute_by_segment`).

    The share compares segments of different sizes (each segment's credit over its own conversions); counts and
    value show where the conversions are. Segment and channel names are data: they are escaped for Plotly.

    Examples
    --------
    >>> from analysis.attribution.segments import SegmentAttribution
    >>> t = pl.DataFrame({"segment": ["VIP", "Neu"], "model": ["linear"] * 2, "channel": ["Email"] * 2,
    ...                   "conversions": [2.0, 1.0], "value": [9.0, 3.0], "share": [1.0, 1.0]})
    >>> fig = segment_attribution_figure(SegmentAttribution("tier", t, pl.DataFrame()), model="linear")
    >>> [bar.name for bar in fig.data], fig.layout.legend.title.text
    (['VIP', 'Neu'], 'tier')
    """
    table = result.table.filter(pl.col("model") == model)
    if table.is_empty():
        raise AnalysisError(f"model {model!r} is not in this segment attribution; it holds "
                            f"{', '.join(result.table['model'].unique(maintain_order=True).to_list())}")
    fig = attribution_figure(table.with_columns(pl.col("segment").alias("model")), metric=metric, currency=currency)
    name = LABELS.get(model, model)  # type: ignore[call-overload]
    fig.update_layout(title=f"{_TITLES[metric]} by {escape_text(result.by)}: {escape_text(name)}",
                      legend={"title": escape_text(result.by)})
    return fig
