"""Funnel figures: data text escaped, drop-off annotated, forest plot marks small and non-significant traits."""

from __future__ import annotations

from datetime import date

import polars as pl

from analysis.figures.funnels import (
    destinations_figure,
    drivers_figure,
    funnel_figure,
    funnel_trend_figure,
    time_to_convert_figure,
)

TABLE = pl.DataFrame({"step": [1, 2], "name": ["view", "<b>buy</b>"], "entered": [10, 4],
                      "conversion_from_start": [1.0, 0.4], "conversion_from_previous": [None, 0.4],
                      "dropped": [None, 6]})


def test_funnel_bars_escape_step_names_and_annotate_drop_off() -> None:
    fig = funnel_figure(TABLE)
    assert list(fig.data[0].x) == ["1. view", "2. &lt;b&gt;buy&lt;/b&gt;"]
    assert list(fig.layout.xaxis.ticktext) == [
        "1. view", '2. &lt;b&gt;buy&lt;/b&gt;<br><span style="color:#b5452c">−6 dropped (60.0%)</span>']


def test_funnel_bars_one_series_per_breakdown_value() -> None:
    table = pl.concat([TABLE.with_columns(breakdown=pl.lit("<i>a</i>")), TABLE.with_columns(breakdown=pl.lit("b"))])
    fig = funnel_figure(table)
    assert [t.name for t in fig.data] == ["&lt;i&gt;a&lt;/i&gt;", "b"]


def test_drivers_forest_plot_greys_small_groups_and_hollows_non_significant() -> None:
    drivers = pl.DataFrame({"trait": ["did <script>", "came from Email"], "relative_risk": [2.0, 0.5],
                            "rr_low": [1.5, 0.2], "rr_high": [2.5, 1.2], "q_value": [0.01, 0.3],
                            "significant": [True, False], "small": [False, True]})
    marker = drivers_figure(drivers).data[0].marker
    assert list(marker.color) == ["#9aa0a6", "#b5452c"]  # drawn bottom-up: the last trait first
    assert list(marker.symbol) == ["circle-open", "circle"]
    assert drivers_figure(drivers).data[0].y[1] == "did &lt;script&gt;"


def test_histogram_picks_a_readable_unit() -> None:
    hist = pl.DataFrame({"bin_start_seconds": [0.0, 3600.0], "bin_end_seconds": [3600.0, 7200.0],
                         "units": [3, 1], "share": [0.75, 0.25]})
    fig = time_to_convert_figure(hist)
    assert fig.layout.xaxis.title.text == "Hours after the first step"
    assert list(fig.data[0].x) == [0.5, 1.5]


def test_trend_and_destinations_render() -> None:
    trend = pl.DataFrame({"period": [date(2026, 1, 1)] * 2, "step": [1, 2], "name": ["a", "b"],
                          "entered": [4, 2], "conversion_from_start": [1.0, 0.5]})
    assert list(funnel_trend_figure(trend).data[0].y) == [0.5]


def test_incomplete_periods_are_a_separate_dashed_grey_line_with_a_note() -> None:
    trend = pl.DataFrame({"period": [date(2026, 1, d) for d in (1, 2, 3)], "step": [2] * 3, "name": ["buy"] * 3,
                          "entered": [4, 3, 1], "conversion_from_start": [0.5, 0.4, 0.1],
                          "complete": [True, True, False]})
    fig = funnel_trend_figure(trend)
    solid, dashed = fig.data
    assert list(solid.y) == [0.5, 0.4] and list(dashed.y) == [0.1]  # never joined into one trend
    assert dashed.line.dash == "dash" and dashed.name == "2. buy (incomplete)"
    assert "entered from 2026-01-03 on" in fig.layout.annotations[0].text
    dest = pl.DataFrame({"value": ["<x>", "y"], "units": [2, 1], "share": [2 / 3, 1 / 3]})
    assert list(destinations_figure(dest).data[0].y) == ["y", "&lt;x&gt;"]


def test_the_counted_unit_names_the_axes_never_units() -> None:
    assert funnel_figure(TABLE, unit="sessions").layout.yaxis.title.text == "Sessions"
    hist = pl.DataFrame({"bin_start_seconds": [0.0], "bin_end_seconds": [60.0], "units": [2], "share": [1.0]})
    assert time_to_convert_figure(hist, unit="attempts").layout.yaxis.title.text == "Attempts"
    dest = pl.DataFrame({"value": ["x"], "units": [2], "share": [1.0]})
    assert destinations_figure(dest).layout.xaxis.title.text == "People"


def _is_sentence(fig: object, words: str) -> bool:
    layout = fig.layout  # type: ignore[attr-defined]
    return (not fig.data and layout.xaxis.visible is False and layout.yaxis.visible is False  # type: ignore[attr-defined]
            and words in layout.annotations[0].text.replace("<br>", " "))


def test_empty_results_are_a_sentence_not_axes() -> None:
    none = pl.DataFrame({"bin_start_seconds": [], "bin_end_seconds": [], "units": [], "share": []},
                        schema={"bin_start_seconds": pl.Float64, "bin_end_seconds": pl.Float64, "units": pl.Int64,
                                "share": pl.Float64})
    assert _is_sentence(time_to_convert_figure(none, title="Time from step 1 to step 4"), "Nobody went")
    assert _is_sentence(funnel_figure(TABLE.with_columns(entered=pl.lit(0, pl.Int64))), "Nobody entered")
    assert _is_sentence(destinations_figure(pl.DataFrame({"value": [], "units": [], "share": []},
                                                         schema={"value": pl.String, "units": pl.Int64,
                                                                 "share": pl.Float64})), "Nobody dropped")
    drivers = pl.DataFrame(schema={"trait": pl.String, "relative_risk": pl.Float64})
    assert _is_sentence(drivers_figure(drivers), "Not enough people")
