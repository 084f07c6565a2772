"""Funnel figures: steps with drop-off, time to convert, conversion over time, drop-off drivers, destinations.

Step names, breakdown values and traits are data: every one is escaped for Plotly's pseudo-HTML.
"""

from __future__ import annotations

import textwrap

import plotly.graph_objects as go
import polars as pl

from analysis.errors import AnalysisError
from analysis.privacy.text import escape_column, escape_text

_DROP_STYLE = 'style="color:#b5452c"'
_HOURS_MINUTES = ((86400.0, "days"), (3600.0, "hours"), (60.0, "minutes"), (1.0, "seconds"))
_STEP_COLUMNS = ("step", "name", "entered", "conversion_from_start", "conversion_from_previous", "dropped")


def funnel_figure(table: pl.DataFrame, *, title: str = "Funnel", unit: str = "people") -> go.Figure:
    """Bars of units per step (one series per breakdown value), each labelled with its share of step 1 and,
    for a single series, the drop-off from the previous step under the step's name. ``unit`` names what is
    counted ("people", "sessions", "attempts") on the axis and in the hover. When nobody entered, the figure is a
    sentence instead of empty axes.

    Examples
    --------
    >>> t = pl.DataFrame({"step": [1, 2], "name": ["<b>view</b>", "buy"], "entered": [10, 4],
    ...                   "conversion_from_start": [1.0, 0.4], "conversion_from_previous": [None, 0.4],
    ...                   "dropped": [None, 6]})
    >>> funnel_figure(t).data[0].x[0]
    '1. &lt;b&gt;view&lt;/b&gt;'
    """
    missing = [c for c in _STEP_COLUMNS if c not in table.columns]
    if missing:
        raise AnalysisError(f"funnel_figure needs the columns of funnel(); missing: {', '.join(missing)}")
    if table.is_empty() or not table["entered"].fill_null(0).sum():
        return empty_figure(f"Nobody entered this funnel, so there are no {unit} to show at any step.",
                            title=title)
    fig = go.Figure()
    label = pl.format("{}. {}", "step", escape_column("name")).alias("_label")
    groups = (
        table.get_column("breakdown").unique(maintain_order=True).to_list() if "breakdown" in table.columns else [None]
    )
    for value in groups:
        part = table if value is None else table.filter(pl.col("breakdown") == value)
        part = part.with_columns(label)
        text = [
            f"{e:,} ({c:.1%})" if c is not None else f"{e:,}"
            for e, c in zip(part["entered"], part["conversion_from_start"], strict=True)
        ]
        fig.add_bar(
            x=part["_label"].to_list(),
            y=part["entered"].to_list(),
            text=text,
            textposition="outside",
            name=escape_text(str(value)) if value is not None else unit,
            hovertemplate=f"%{{x}}<br>%{{y:,}} {unit}<extra>%{{fullData.name}}</extra>",
        )
        if value is None:  # the drop-off goes under each step's name, where labels cannot overlap
            ticks = [
                f"{x}<br><span {_DROP_STYLE}>−{d:,} dropped ({1 - c:.1%})</span>"
                if d is not None and c is not None
                else x
                for x, d, c in zip(part["_label"], part["dropped"], part["conversion_from_previous"], strict=True)
            ]
            fig.update_xaxes(tickmode="array", tickvals=part["_label"].to_list(), ticktext=ticks)
    fig.update_layout(
        title=title,
        barmode="group",
        yaxis_title=unit.capitalize(),
        yaxis_rangemode="tozero",
        yaxis_tickformat=",d",
        showlegend=len(groups) > 1,
        xaxis={"type": "category", "tickangle": 0},
    )
    return fig


def time_to_convert_figure(hist: pl.DataFrame, *, title: str = "Time to convert", unit: str = "people"
                           ) -> go.Figure:
    """Histogram bars from :func:`analysis.funnels.time_to_convert` (seconds shown in a readable unit); ``unit``
    names what is counted. When nobody converted, the figure is a sentence instead of empty axes.

    Examples
    --------
    >>> hist = pl.DataFrame({"bin_start_seconds": [0.0], "bin_end_seconds": [7200.0], "units": [3], "share": [1.0]})
    >>> time_to_convert_figure(hist).layout.xaxis.title.text
    'Hours after the first step'
    """
    if hist.is_empty() or not hist["units"].sum():
        return empty_figure("Nobody went from the first to the second of these steps, so there is no time to "
                            "convert to show.", title=title)
    top = float(hist["bin_end_seconds"].to_numpy().max())
    size, span = next((v, u) for v, u in _HOURS_MINUTES if top >= 2 * v or v == 1.0)
    mid = ((hist["bin_start_seconds"] + hist["bin_end_seconds"]) / 2 / size).to_list()
    width = ((hist["bin_end_seconds"] - hist["bin_start_seconds"]) / size).to_list()
    fig = go.Figure(
        go.Bar(
            x=mid,
            y=hist["units"].to_list(),
            width=width,
            customdata=hist["share"].to_list(),
            hovertemplate=f"about %{{x:.1f}} {span}<br>%{{y:,}} {unit} (%{{customdata:.1%}})<extra></extra>",
        )
    )
    return fig.update_layout(title=title, xaxis_title=f"{span.capitalize()} after the first step",
                             yaxis_title=unit.capitalize(), bargap=0.05, xaxis_rangemode="tozero",
                             yaxis_rangemode="tozero", yaxis_tickformat=",d")


def funnel_trend_figure(
    trend: pl.DataFrame, *, steps: list[int] | None = None, title: str = "Conversion over time"
) -> go.Figure:
    """Lines of conversion from step 1 per entry period, one per step (default: the last step).

    Periods marked ``complete=False`` (their conversion window is not over yet, see
    :func:`analysis.funnels.funnel_trend`) are drawn apart, dashed and grey, never joined to the complete line,
    with a note that says why; without a ``complete`` column every period counts as complete.

    Examples
    --------
    >>> from datetime import date
    >>> trend = pl.DataFrame({"period": [date(2026, 1, 1), date(2026, 1, 2)], "step": [2, 2],
    ...                       "name": ["<i>buy</i>"] * 2, "entered": [4, 1], "conversion_from_start": [0.5, 0.1],
    ...                       "complete": [True, False]})
    >>> [(t.name, t.line.dash) for t in funnel_trend_figure(trend).data]
    [('2. &lt;i&gt;buy&lt;/i&gt;', None), ('2. &lt;i&gt;buy&lt;/i&gt; (incomplete)', 'dash')]
    """
    if trend.is_empty():
        return go.Figure().update_layout(title=f"{title}: no entries")
    if "complete" not in trend.columns:
        trend = trend.with_columns(complete=pl.lit(True))
    steps = steps or [int(trend["step"].to_numpy().max())]
    fig = go.Figure()
    for k in steps:
        part = trend.filter(pl.col("step") == k).with_columns(escape_column("name"))
        if part.is_empty():
            continue
        label = f"{k}. {part['name'][0]}"
        for complete in (True, False):
            piece = part.filter(pl.col("complete") == complete)
            if piece.is_empty():
                continue
            fig.add_scatter(
                x=piece["period"].to_list(),
                y=piece["conversion_from_start"].to_list(),
                mode="lines+markers",
                name=label if complete else f"{label} (incomplete)",
                line=None if complete else {"dash": "dash", "color": "#9e9e9e"},
                marker=None if complete else {"color": "#9e9e9e"},
                customdata=piece["entered"].to_list(),
                hovertemplate="%{x}<br>%{y:.1%} of entrants (%{customdata:,})"
                + ("" if complete else "<br>incomplete: the window is not over yet")
                + "<extra>%{fullData.name}</extra>",
            )
    incomplete = trend.filter(~pl.col("complete"))
    if not incomplete.is_empty():
        first = str(incomplete["period"].min())
        fig.add_annotation(
            text=f"Grey, dashed: people who entered from {first} on have not had<br>the full conversion window "
                 "yet, so their rate can still rise.",
            xref="paper", yref="paper", x=0, y=-0.22, showarrow=False, align="left", font={"size": 11},
        )
        fig.update_layout(margin={"b": 110})
    return fig.update_layout(title=title, yaxis_title="conversion from step 1", yaxis_tickformat=".0%")


def drivers_figure(drivers: pl.DataFrame, *, top: int = 15, title: str = "Drop-off drivers") -> go.Figure:
    """Forest plot: relative risk of dropping with its 95% interval per trait (log scale); small groups in grey,
    traits not significant after FDR hollow.

    Examples
    --------
    >>> d = pl.DataFrame({"trait": ["came from <b>Email</b>"], "relative_risk": [2.0], "rr_low": [1.5],
    ...                   "rr_high": [2.6], "q_value": [0.01], "significant": [True], "small": [False]})
    >>> drivers_figure(d).data[0].y[0]
    'came from &lt;b&gt;Email&lt;/b&gt;'
    """
    if drivers.is_empty():
        return empty_figure("Not enough people on both sides of this step to compare traits.", title=title)
    part = drivers.head(top).reverse().with_columns(escape_column("trait"))
    colour = [
        "#9aa0a6" if small else ("#b5452c" if rr > 1 else "#2c7bb5")
        for small, rr in zip(part["small"], part["relative_risk"], strict=True)
    ]
    symbol = ["circle" if sig else "circle-open" for sig in part["significant"]]
    fig = go.Figure(
        go.Scatter(
            x=part["relative_risk"].to_list(),
            y=part["trait"].to_list(),
            mode="markers",
            marker={"color": colour, "symbol": symbol, "size": 10},
            error_x={
                "type": "data",
                "symmetric": False,
                "color": "#777",
                "array": (part["rr_high"] - part["relative_risk"]).to_list(),
                "arrayminus": (part["relative_risk"] - part["rr_low"]).to_list(),
            },
            customdata=list(zip(part["rr_low"], part["rr_high"], part["q_value"], strict=True)),
            hovertemplate="%{y}<br>%{x:.2f}x (95% CI %{customdata[0]:.2f}–%{customdata[1]:.2f}), "
            "q=%{customdata[2]:.3f}<extra></extra>",
        )
    )
    fig.add_vline(x=1.0, line_dash="dot", line_color="#555")
    return fig.update_layout(
        title=title,
        xaxis_type="log",
        xaxis_title="Times as likely to drop (relative risk, log scale; 1 = no difference)",
        height=max(300, 28 * part.height + 120),
        margin={"l": 10},
    )


def destinations_figure(dest: pl.DataFrame, *, title: str = "What drop-offs did next", unit: str = "people"
                        ) -> go.Figure:
    """Horizontal bars of :func:`analysis.funnels.dropoff.dropoff_destinations`; ``unit`` names what is counted.
    Nobody dropped: a sentence instead of empty axes.

    Examples
    --------
    >>> dest = pl.DataFrame({"value": ["search"], "units": [3], "share": [1.0]})
    >>> list(destinations_figure(dest).data[0].x)
    [3]
    """
    if dest.is_empty() or not dest["units"].sum():
        return empty_figure("Nobody dropped out after this step.", title=title)
    part = dest.reverse().with_columns(escape_column("value"))
    fig = go.Figure(
        go.Bar(
            x=part["units"].to_list(),
            y=part["value"].to_list(),
            orientation="h",
            customdata=part["share"].to_list(),
            hovertemplate=f"%{{y}}<br>%{{x:,}} {unit} (%{{customdata:.1%}})<extra></extra>",
        )
    )
    return fig.update_layout(title=title, xaxis_title=unit.capitalize(), xaxis_tickformat=",d",
                             height=max(250, 26 * part.height + 100))


def empty_figure(message: str, *, title: str | None = None) -> go.Figure:
    """A figure that is one sentence and no axes, for a result with nothing to draw (never a -1..4 axis).

    Examples
    --------
    >>> fig = empty_figure("Nobody converted.")
    >>> fig.layout.annotations[0].text, fig.layout.xaxis.visible
    ('Nobody converted.', False)
    >>> empty_figure("Nobody went from the first to the second of these steps.").layout.annotations[0].text
    'Nobody went from the first to the second of<br>these steps.'

    """
    fig = go.Figure()
    lines = textwrap.wrap(message, width=48) or [""]  # Plotly never wraps text itself: a narrow column cuts it
    fig.add_annotation(text="<br>".join(escape_text(line) for line in lines), showarrow=False, x=0.5, y=0.5,
                       xref="paper", yref="paper", font={"size": 14})
    return fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False, height=220,
                             margin={"t": 50 if title else 10, "b": 10})
