"""Persona figures: a 2-D map of users, what sets each persona apart, and how stable each persona is.

All persona names and feature values are data and are escaped for Plotly's pseudo-HTML.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits

from analysis.errors import AnalysisError
from analysis.personas.model import Personas
from analysis.personas.profiles import top_drivers
from analysis.privacy.text import escape_text
from analysis.vocabulary import PROJECTIONS, Projection, check_choice

TSNE_MAX = 3_000  # t-SNE is quadratic-ish; above this many points the map falls back to PCA
_COLOURS = (
    "#4C78A8",
    "#F58518",
    "#54A24B",
    "#E45756",
    "#72B7B2",
    "#B279A2",
    "#FF9DA6",
    "#9D755D",
    "#BAB0AC",
    "#EECA3B",
    "#1F77B4",
    "#8C564B",
)


def persona_map_figure(
    personas: Personas, *, sample: int = 3_000, projection: Projection = "pca", seed: int = 0
) -> go.Figure:
    """Scatter of a seeded sample of users in 2-D (PCA, or t-SNE), coloured by persona.

    Users are projected from the space the model clusters in (after weighting, scaling and optional PCA).

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> model = Personas(k=3, stability_runs=0).fit(prepare(generate_sample(300, seed=1).events))
    >>> len(persona_map_figure(model, sample=100).data)
    3
    """
    check_choice("projection", projection, PROJECTIONS)
    model = _fitted(personas)
    rng = np.random.default_rng(seed)
    n = len(model.labels_)
    pick = np.sort(rng.choice(n, size=sample, replace=False)) if n > sample else np.arange(n)
    X = model.features_.select(model.feature_names_in_).to_numpy()[pick]
    with threadpool_limits(limits=model.n_threads):
        Z = model.pipeline_[:-1].transform(X)
        if projection == "tsne" and len(pick) <= TSNE_MAX:
            xy = TSNE(2, random_state=seed, init="pca", perplexity=min(30.0, max(2.0, len(pick) / 4))).fit_transform(Z)
            axes = ("t-SNE 1", "t-SNE 2")
        else:
            xy = PCA(2, random_state=seed).fit_transform(Z) if Z.shape[1] >= 2 else np.c_[Z[:, :1], np.zeros(len(Z))]
            axes = ("Component 1", "Component 2")
    labels = model.labels_[pick]
    fig = go.Figure()
    for pid, name in sorted(model.names_.items()):
        mask = labels == pid
        label = escape_text(name)
        fig.add_trace(
            go.Scattergl(
                x=xy[mask, 0],
                y=xy[mask, 1],
                mode="markers",
                name=escape_text(_short(name)),
                marker={"size": 5, "opacity": 0.6, "color": _COLOURS[pid % len(_COLOURS)]},
                hovertemplate=f"{label}<extra></extra>",
            )
        )
    fig.update_layout(
        title=f"Users by persona ({len(pick):,} of {n:,} shown)",
        xaxis={"title": axes[0], "zeroline": False},
        yaxis={"title": axes[1], "zeroline": False},
        legend={"orientation": "h", "y": -0.15},
        margin={"t": 50},
    )
    return fig


def persona_profile_figure(personas: Personas, *, n: int = 3) -> go.Figure:
    """Per persona, the ``n`` most over- and under-indexed behaviours (effect size, Cohen's d) as bars.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> model = Personas(k=2, stability_runs=0).fit(prepare(generate_sample(300, seed=1).events))
    >>> len(persona_profile_figure(model).data) == 2
    True
    """
    model = _fitted(personas)
    kinds = [k for k in model.drivers_["kind"].unique(maintain_order=True).to_list() if k != "activity"]
    top = top_drivers(model.drivers_, n=n, kinds=kinds or None)
    names = dict(sorted(model.names_.items()))
    fig = make_subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=[escape_text(_short(v, 70)) for v in names.values()],
    )
    for row, pid in enumerate(names, start=1):
        part = top.filter(pl.col("persona_id") == pid).sort("effect")
        labels = [escape_text(f"{item} ({kind})") for item, kind in zip(part["item"], part["kind"], strict=True)]
        fig.add_trace(
            go.Bar(
                x=part["effect"].to_list(),
                y=labels,
                orientation="h",
                showlegend=False,
                marker={"color": ["#54A24B" if e > 0 else "#E45756" for e in part["effect"].to_list()]},
                customdata=np.c_[part["mean"].to_numpy(), part["mean_rest"].to_numpy(), part["index"].to_numpy()],
                hovertemplate="%{y}<br>effect %{x:.2f}<br>persona %{customdata[0]:.3f} vs rest %{customdata[1]:.3f}"
                " (%{customdata[2]:.1f}x)<extra></extra>",
            ),
            row=row,
            col=1,
        )
    fig.update_xaxes(title_text="Difference from the rest (effect size, Cohen's d)", row=len(names), col=1)
    fig.update_layout(height=max(260, 190 * len(names)), title="What sets each persona apart", margin={"t": 70})
    return fig


def persona_stability_figure(personas: Personas) -> go.Figure:
    """Jaccard stability per persona (bar, whisker down to the worst run) with the tentative bar as a line.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> model = Personas(k=2, stability_runs=2).fit(prepare(generate_sample(300, seed=1).events))
    >>> persona_stability_figure(model).data[0].type
    'bar'
    """
    model = _fitted(personas)
    st = model.stability_
    if st is None:
        raise AnalysisError("this model was fitted with stability_runs=0; refit with stability_runs > 0")
    table = st.personas.sort("persona_id")
    ids = table["persona_id"].to_list()
    labels = [escape_text(_short(model.names_[i], 40)) for i in ids]
    jac = table["jaccard"].to_numpy()
    colours = ["#BAB0AC" if t else "#4C78A8" for t in table["tentative"].to_list()]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=jac,
            marker={"color": colours},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": np.zeros(len(jac)),
                "arrayminus": jac - table["jaccard_min"].to_numpy(),
            },
            customdata=table["flip_share"].to_numpy(),
            hovertemplate="%{x}<br>Jaccard %{y:.2f}<br>members who flip %{customdata:.1%}<extra></extra>",
        )
    )
    fig.add_hline(y=st.bar, line_dash="dash", annotation_text=f"tentative below {st.bar:.0%}",
                  annotation_position="bottom right")
    if st.null_jaccard is not None and np.isfinite(st.null_jaccard):
        fig.add_hline(y=st.null_jaccard, line_dash="dot", line_color="#E45756",
                      annotation_text=f"groups in shuffled data: {st.null_jaccard:.0%}",
                      annotation_position="top left")
    fig.update_layout(
        title=f"How often each persona is found again ({st.runs} resamples)",
        yaxis={"title": "Found again (Jaccard overlap)", "range": [0, 1.05], "tickformat": ".0%"},
        xaxis={"title": "Persona"},
    )
    return fig


def _fitted(personas: Personas) -> Personas:
    if not hasattr(personas, "pipeline_"):
        raise AnalysisError("the Personas model is not fitted yet; call fit(events) first")
    return personas


def _short(text: str, limit: int = 32) -> str:
    """Legend-sized label: the part before the colon, cut at ``limit`` characters."""
    head = text.split(":", 1)[0] if ":" in text and limit < 60 else text
    return head if len(head) <= limit else head[: limit - 1] + "…"
