"""attribution_figure: one bar trace per model, whiskers from the bootstrap, data text escaped."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.attribution import attribute, compare_models
from analysis.errors import AnalysisError
from analysis.figures.attribution import attribution_figure

P = pl.DataFrame(
    {
        "path": [["<script>x</script>"], ["$E=mc^2$", "<script>x</script>"]],
        "conversions": [5, 3],
        "nulls": [5, 7],
        "value": [5.0, 3.0],
    },
    schema={"path": pl.List(pl.String), "conversions": pl.Int64, "nulls": pl.Int64, "value": pl.Float64},
)


def test_one_trace_per_model_with_asymmetric_whiskers() -> None:
    fig = attribution_figure(compare_models(P, models=["first_touch", "markov"], n_boot=20))
    assert [t.name for t in fig.data] == ["First touch", "Markov"]
    assert fig.data[0].error_y.symmetric is False
    assert fig.layout.barmode == "group"


def test_channel_names_are_escaped_for_plotly() -> None:
    fig = attribution_figure(compare_models(P, models=["linear"], n_boot=5))
    labels = set(fig.data[0].x)
    assert labels == {"&lt;script&gt;x&lt;/script&gt;", "&#36;E=mc^2&#36;"}
    assert "<script>" not in fig.to_json()


def test_an_attribute_result_is_drawn_as_one_series_without_whiskers() -> None:
    fig = attribution_figure(attribute(P, model="linear"), metric="share")
    assert len(fig.data) == 1 and fig.data[0].error_y.array is None


def test_unknown_metric_is_an_error() -> None:
    with pytest.raises(AnalysisError, match="is not valid; choose one of conversions"):
        attribution_figure(attribute(P, model="linear"), metric="roas")  # type: ignore[arg-type]
