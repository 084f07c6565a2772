"""Identity figures: people per combination of sources, and links per pair of identifier types."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from analysis.errors import AnalysisError
from analysis.privacy.text import escape_text

_JOINED, _SINGLE, _CUT = "#0072B2", "#9E9E9E", "#D55E00"
#: How identifier types are named to a marketer.
ID_LABELS = {"user_id": "user id", "customer_id": "customer number", "email": "e-mail", "phone": "phone",
             "anonymous_id": "device id"}


def _share(part: int, total: int) -> str:
    """A share that never reads 0% for people who are there."""
    share = part / total
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def overlap_figure(overlap: pl.DataFrame) -> go.Figure:
    """Horizontal bars of :func:`~analysis.prepare.identity.source_overlap`: people per combination of sources, the
    people seen in several sources first (in blue), each bar labelled with its count and share of all people.

    Examples
    --------
    >>> o = pl.DataFrame({"combination": ["crm + web", "web"], "sources": [2, 1], "people": [30, 70]})
    >>> overlap_figure(o).data[0].text
    ('30 (30%)', '70 (70%)')
    """
    missing = [c for c in ("combination", "sources", "people") if c not in overlap.columns]
    if missing:
        raise AnalysisError(f"overlap_figure needs the column(s) {', '.join(missing)}")
    total = max(int(overlap["people"].sum()), 1)
    labels = [escape_text(c) for c in overlap["combination"].to_list()]
    people = overlap["people"].to_list()
    fig = go.Figure(go.Bar(
        y=labels, x=people, orientation="h",
        marker_color=[_JOINED if n > 1 else _SINGLE for n in overlap["sources"].to_list()],
        text=[f"{p:,} ({_share(p, total)})" for p in people], textposition="auto", cliponaxis=False,
        hovertemplate="%{y}<br>%{x:,} people<extra></extra>",
    ))
    fig.update_layout(
        title=f"Where your {total:,} people appear (blue: joined across sources)",
        xaxis_title="people", yaxis={"autorange": "reversed", "automargin": True},
        height=max(260, 60 + 38 * len(labels)), margin={"l": 10, "r": 30, "t": 50, "b": 40},
        showlegend=False,
    )
    return fig


def links_figure(links: pl.DataFrame) -> go.Figure:
    """Stacked bars of :attr:`~analysis.prepare.identity.IdentityGraph.links`: per pair of identifier types, the links
    that joined people and the links the false-merge rule cut.

    Examples
    --------
    >>> l = pl.DataFrame({"from_type": ["user_id"], "to_type": ["email"], "kept": [5], "cut": [1]})
    >>> [t.name for t in links_figure(l).data]
    ['joined people', 'cut (conflict or junk)']
    """
    names = [f"{ID_LABELS.get(a, a)} ↔ {ID_LABELS.get(b, b)}" for a, b in
             zip(links["from_type"].to_list(), links["to_type"].to_list(), strict=True)]
    fig = go.Figure([
        go.Bar(y=names, x=links["kept"].to_list(), orientation="h", name="joined people", marker_color=_JOINED,
               hovertemplate="%{y}: %{x:,} links joined people<extra></extra>"),
        go.Bar(y=names, x=links["cut"].to_list(), orientation="h", name="cut (conflict or junk)",
               marker_color=_CUT, hovertemplate="%{y}: %{x:,} links cut<extra></extra>"),
    ])
    fig.update_layout(barmode="stack", title="Links per identifier pair", xaxis_title="links",
                      yaxis={"autorange": "reversed", "automargin": True},
                      height=max(220, 80 + 40 * len(names)), margin={"l": 10, "r": 30, "t": 50, "b": 40},
                      legend={"orientation": "h", "y": -0.25})
    return fig
