"""Snapshot figures: one function per published table, every data label escaped for Plotly's pseudo-HTML."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from analysis.privacy import SUPPRESSED, escape_text
from analysis.snapshot.people import PERSONA

#: Distinct, colour-blind-safe colours (Okabe-Ito), one per persona or model.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
LABEL_CHARS = 48  # long persona names are cut before escaping (never cut an entity in half)
_LAYOUT = {"template": "plotly_white", "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
           "font": {"family": "system-ui, sans-serif"}, "height": 380}


def label(text: object) -> str:
    """A data value as a safe Plotly label: shortened, then escaped."""
    raw = "" if text is None else str(text)
    return escape_text(raw if len(raw) <= LABEL_CHARS else raw[: LABEL_CHARS - 1] + "…")


def _labels(series: pl.Series) -> list[str]:
    return [label(v) for v in series.to_list()]


def persona_sizes_figure(personas: pl.DataFrame) -> go.Figure:
    """Published persona sizes as horizontal bars (withheld personas are left out)."""
    shown = personas.filter(~pl.col(SUPPRESSED)).sort("users")
    fig = go.Figure(go.Bar(x=shown["users"].to_list(), y=_labels(shown[PERSONA]), orientation="h",
                           customdata=shown["share"].to_list(),
                           hovertemplate="%{y}<br>%{x:,} people (%{customdata:.1%})<extra></extra>"))
    fig.update_layout(title="People per persona", xaxis_title="people", **_LAYOUT)
    return fig


def persona_funnel_figure(funnel: pl.DataFrame) -> go.Figure:
    """Share of each persona reaching each funnel step; a withheld step is bridged by a dotted line and marked
    with an open marker at the axis, so a persona keeps its line whichever step is withheld."""
    fig = go.Figure()
    steps = funnel.filter(pl.col("step") > 0)
    for i, (name, group) in enumerate(steps.group_by(PERSONA, maintain_order=True)):
        part = group.sort("step")
        colour = _PALETTE[i % len(_PALETTE)]
        x, y = _labels(part["name"]), part["share_of_persona"].to_list()
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=label(name[0]), connectgaps=True,
                                 line={"color": colour}, legendgroup=str(i),
                                 hovertemplate="%{x}: %{y:.1%} of the persona<extra>%{fullData.name}</extra>"))
        withheld = [xi for xi, yi in zip(x, y, strict=True) if yi is None]
        if withheld:
            fig.add_trace(go.Scatter(x=withheld, y=[0.0] * len(withheld), mode="markers", legendgroup=str(i),
                                     showlegend=False, marker={"symbol": "x-open", "size": 11, "color": colour},
                                     name=label(name[0]),
                                     hovertemplate="%{x}: withheld (fewer than k people)<extra>%{fullData.name}"
                                                   "</extra>"))
    fig.update_layout(title="Funnel: share of each persona reaching each step (× = withheld)",
                      yaxis_tickformat=".0%", yaxis_range=[0, 1.05], legend={"orientation": "h", "y": -0.2},
                      **_LAYOUT)
    return fig


def channel_mix_figure(channels: pl.DataFrame) -> go.Figure:
    """Each persona's people by the channel of their first visit, as stacked shares."""
    fig = go.Figure()
    shown = channels.filter(~pl.col(SUPPRESSED))
    for name, part in shown.group_by("first_channel", maintain_order=True):
        fig.add_trace(go.Bar(y=_labels(part[PERSONA]), x=part["share"].to_list(), name=label(name[0]),
                             orientation="h", hovertemplate="%{y}<br>%{x:.1%}<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="stack", title="Channel of the first visit, per persona", xaxis_tickformat=".0%",
                      legend={"orientation": "h", "y": -0.2}, **_LAYOUT)
    return fig


def attribution_summary_figure(attribution: pl.DataFrame) -> go.Figure:
    """Share of conversions credited to each channel, one bar group per model, with 90% bootstrap intervals."""
    fig = go.Figure()
    shown = attribution.filter(~pl.col(SUPPRESSED))
    bounds = {"share_low", "share_high"} <= set(shown.columns)
    for i, (name, part) in enumerate(shown.group_by("model", maintain_order=True)):
        error = ({"type": "data", "symmetric": False,
                  "array": (part["share_high"] - part["share"]).to_list(),
                  "arrayminus": (part["share"] - part["share_low"]).to_list(), "color": "#555"}
                 if bounds else None)
        fig.add_trace(go.Bar(x=_labels(part["channel"]), y=part["share"].to_list(), name=label(name[0]),
                             marker_color=_PALETTE[i % len(_PALETTE)], error_y=error,
                             hovertemplate="%{x}: %{y:.1%}<extra>%{fullData.name}</extra>"))
    fig.update_layout(barmode="group", title="Attribution: share of conversions by channel and model "
                      "(bars: 90% intervals)", yaxis_tickformat=".0%", legend={"orientation": "h", "y": -0.2},
                      **_LAYOUT)
    return fig


FIGURES = {
    "personas": persona_sizes_figure,
    "funnel": persona_funnel_figure,
    "channels": channel_mix_figure,
    "attribution": attribution_summary_figure,
}
