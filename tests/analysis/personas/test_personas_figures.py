"""Persona figures: sampled map, escaped names, driver bars, stability with the tentative bar."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.errors import AnalysisError
from analysis.figures.personas import persona_map_figure, persona_profile_figure, persona_stability_figure
from analysis.personas import Personas
from tests.analysis.personas.conftest import Planted


@pytest.fixture(scope="module")
def model(planted: Planted) -> Personas:
    users = planted.events["user_id"].unique().sort().head(600)
    events = planted.events.filter(pl.col("user_id").is_in(users.implode()))
    return Personas(k=3, stability_runs=2).fit(events).rename({0: "<b>Big</b> $x$"})


def test_map_shows_a_seeded_sample_with_one_trace_per_persona(model: Personas) -> None:
    fig = persona_map_figure(model, sample=200)
    assert len(fig.data) == 3
    assert sum(len(trace.x) for trace in fig.data) == 200
    again = persona_map_figure(model, sample=200)
    assert list(again.data[0].x) == list(fig.data[0].x)


def test_tsne_map_is_available(model: Personas) -> None:
    fig = persona_map_figure(model, sample=120, projection="tsne")
    assert fig.layout.xaxis.title.text == "t-SNE 1"


def test_persona_names_are_escaped_everywhere(model: Personas) -> None:
    escaped = "&lt;b&gt;Big&lt;/b&gt; &#36;x&#36;"
    assert persona_map_figure(model, sample=50).data[0].name == escaped
    assert persona_profile_figure(model).layout.annotations[0].text == escaped
    assert persona_stability_figure(model).data[0].x[0] == escaped


def test_profile_figure_has_one_panel_per_persona_with_signed_effects(model: Personas) -> None:
    fig = persona_profile_figure(model, n=2)
    assert len(fig.data) == 3
    effects = list(fig.data[0].x)
    assert effects == sorted(effects) and effects[0] < 0 < effects[-1]


def test_stability_figure_needs_stability(planted: Planted) -> None:
    users = planted.events["user_id"].unique().sort().head(100)
    events = planted.events.filter(pl.col("user_id").is_in(users.implode()))
    with pytest.raises(AnalysisError, match="stability_runs=0"):
        persona_stability_figure(Personas(k=2, stability_runs=0).fit(events))
