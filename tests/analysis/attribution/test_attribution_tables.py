"""The attribution tables a marketer reads: credits as text with intervals, plain model names, checks in words."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.attribution import ModelComparison
from analysis.attribution.tables import (
    credit_text,
    detail_table,
    disagreement_table,
    flag_notes,
    has_serious,
    model_rows,
    percent_matrix,
    readable_table,
)


def comparison() -> ModelComparison:
    """Two models, two channels; linear has no interval for Email (a null bound)."""
    table = pl.DataFrame({
        "model": ["linear", "linear", "shapley", "shapley"],
        "channel": ["Email", "Paid Search", "Email", "Paid Search"],
        "conversions": [1234.4, 10.0, 1300.0, -55.6],
        "conversions_low": [None, 8.0, 1100.0, -90.0],
        "conversions_high": [None, 12.0, 1500.0, 3.0],
        "value": [5000.0, 40.0, 5200.0, -200.0],
        "value_low": [None, 30.0, 4000.0, -400.0],
        "value_high": [None, 50.0, 6000.0, 10.0],
        "share": [0.9919, 0.0081, 1.0446, -0.0446],
        "share_low": [None, 0.006, 0.9, -0.07],
        "share_high": [None, 0.01, 1.2, 0.002],
    })
    rank = pl.DataFrame({"channel": ["Email", "Paid Search"], "rank": [1, 2]})
    disagreement = pl.DataFrame({"channel": ["Email"], "min_share": [0.9919], "max_share": [1.0446],
                                 "spread": [0.0527], "min_model": ["linear"], "max_model": ["shapley"]})
    empty = pl.DataFrame()
    return ModelComparison(table=table, outrank=empty, robust_rank=rank, disagreement=disagreement, draws=empty)


def flags() -> pl.DataFrame:
    return pl.DataFrame({"model": ["shapley", "shapley", "shapley"], "channel": ["Paid Search", "Paid Search", "Email"],
                         "flag": ["negative", "crosses_zero", "models_disagree"],
                         "note": ["credit below zero", "could be either sign", "linear and shapley differ"],
                         "other": [None, None, "linear"]})


@pytest.mark.parametrize(("metric", "symbol", "values", "expected"), [
    ("conversions", "€", [1234567.4, -5.5, 0.0], ["1,234,567", "-6", "0"]),
    ("value", "€", [1234.5, -999.0, 12.0], ["€1,234", "-€999", "€12"]),
    ("share", "€", [0.1234, 1.0, -0.05], ["12.3%", "100.0%", "-5.0%"]),
])
def test_credit_text(metric: str, symbol: str, values: list[float], expected: list[str]) -> None:
    got = pl.DataFrame({"x": values}).select(credit_text("x", metric=metric, symbol=symbol))  # type: ignore[arg-type]
    assert got["x"].to_list() == expected


def test_readable_table_one_column_per_model_with_intervals_warnings_and_checks() -> None:
    expected = pl.DataFrame({
        "Channel": ["Email", "Paid Search"],
        "Rank": ["1", "2"],
        "Linear": ["1,234", "10 (8 to 12)"],
        "Shapley (DP6)": ["1,300 (1,100 to 1,500)", "-56 (-90 to 3) ⚠"],
        "Checks": ["models disagree (Shapley (DP6) vs Linear)",
                   "negative credit (Shapley (DP6)); interval crosses zero (Shapley (DP6))"],
    })
    assert_frame_equal(readable_table(comparison(), flags(), metric="conversions"), expected)


def test_readable_table_in_money() -> None:
    table = readable_table(comparison(), flags(), metric="value", symbol="£")
    assert table["Shapley (DP6)"].to_list() == ["£5,200 (£4,000 to £6,000)", "-£200 (-£400 to £10) ⚠"]


def test_detail_table_is_one_model_sorted_by_conversions() -> None:
    expected = pl.DataFrame({
        "Channel": ["Paid Search", "Email"][::-1],
        "Conversions (90% interval)": ["1,300 (1,100 to 1,500)", "-56 (-90 to 3)"],
        "Revenue (90% interval)": ["$5,200 ($4,000 to $6,000)", "-$200 (-$400 to $10)"],
        "Share of conversions (90% interval)": ["104.5% (90.0% to 120.0%)", "-4.5% (-7.0% to 0.2%)"],
    })
    assert_frame_equal(detail_table(comparison(), "shapley", symbol="$"), expected)


def test_disagreement_table_in_plain_words() -> None:
    expected = pl.DataFrame({"Channel": ["Email"], "Lowest share": ["99.2%"], "Lowest in": ["Linear"],
                             "Highest share": ["104.5%"], "Highest in": ["Shapley (DP6)"],
                             "Spread": ["5.3 points"]})
    assert_frame_equal(disagreement_table(comparison()), expected)


def test_flag_notes_and_seriousness() -> None:
    assert flag_notes(flags()) == [
        "**Paid Search**, Shapley (DP6): negative credit: credit below zero.",
        "**Paid Search**, Shapley (DP6): interval crosses zero: could be either sign.",
        "**Email**: models disagree: linear and shapley differ.",
    ]
    assert has_serious(flags())
    assert not has_serious(flags().filter(pl.col("flag") == "models_disagree"))


def test_percent_matrix_whole_percentages_and_a_dash_on_the_diagonal() -> None:
    matrix = pl.DataFrame({"channel": ["A", "B"], "A": [None, 0.126], "B": [0.874, None]})
    expected = pl.DataFrame({"Channel": ["A", "B"], "A": ["–", "13%"], "B": ["87%", "–"]})
    assert_frame_equal(percent_matrix(matrix), expected)


def test_model_rows_drops_the_model_column() -> None:
    rows = model_rows(comparison(), "linear")
    assert rows["channel"].to_list() == ["Email", "Paid Search"] and "model" not in rows.columns
