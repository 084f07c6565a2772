"""credit_flags: negative credit, intervals across zero and models that disagree beyond their intervals."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from analysis.attribution import ModelComparison, compare_models, credit_flags, flag_summary


def comparison(rows: list[tuple[str, str, float, float, float, float, float, float]]) -> ModelComparison:
    cols = ["model", "channel", "conversions", "conversions_low", "conversions_high", "share", "share_low",
            "share_high"]
    table = pl.DataFrame(rows, schema=cols, orient="row").with_columns(
        value=pl.col("conversions"), value_low=pl.col("conversions_low"), value_high=pl.col("conversions_high"))
    empty = pl.DataFrame()
    return ModelComparison(table=table, outrank=empty, robust_rank=empty, disagreement=empty, draws=empty)


def test_each_flag_on_a_hand_made_table() -> None:
    c = comparison([
        ("shapley", "A", 12.0, 8.0, 15.0, 1.2, 0.8, 1.5),
        ("shapley", "B", -2.0, -5.0, 1.0, -0.2, -0.5, 0.1),  # negative and crosses zero
        ("linear", "A", 5.0, 4.0, 6.0, 0.5, 0.4, 0.6),  # share interval 0.4-0.6 vs shapley's 0.8-1.5
        ("linear", "B", 5.0, 4.0, 6.0, 0.5, 0.4, 0.6),  # overlaps shapley's B (-0.5 to 0.1)? no: 0.1 < 0.4
        ("participation", "A", -1.0, -2.0, 3.0, 0.0, 0.0, 0.0),  # participation is never flagged
    ])
    got = credit_flags(c).select("model", "channel", "flag")
    want = pl.DataFrame({
        "model": ["linear", "shapley", "shapley", "shapley"],
        "channel": ["B", "A", "B", "B"],
        "flag": ["models_disagree", "models_disagree", "crosses_zero", "negative"],
    })
    assert_frame_equal(got, want)
    notes = dict(zip(credit_flags(c)["flag"] + credit_flags(c)["channel"], credit_flags(c)["note"], strict=True))
    assert notes["negativeB"].startswith("Shapley (DP6) gives -2.0 conversions")
    assert notes["crosses_zeroB"].startswith("the interval runs from -5.0 to 1.0 conversions")
    assert notes["models_disagreeA"] == ("its share of conversions runs from 50.0% (Linear) to 120.0% (Shapley "
                                         "(DP6)) and the intervals do not overlap: which model you pick changes the "
                                         "answer")


def test_overlapping_positive_intervals_raise_no_flag() -> None:
    c = comparison([("linear", "A", 5.0, 4.0, 6.0, 0.5, 0.4, 0.6), ("markov", "A", 5.5, 4.5, 6.5, 0.55, 0.45, 0.65)])
    assert credit_flags(c).is_empty()
    assert flag_summary(credit_flags(c)).columns == ["model", "channel", "flags"]


def test_dp6_shapley_flags_its_negative_credit_on_real_bootstrap() -> None:
    p = pl.DataFrame({"path": [["A"], ["B"], ["A", "B"]], "conversions": [50, 10, 10], "nulls": [50, 90, 90],
                      "value": [50.0, 10.0, 10.0]})
    flags = credit_flags(compare_models(p, models=["shapley", "shapley_counterfactual"], n_boot=60))
    assert ("shapley", "B", "negative") in flags.select("model", "channel", "flag").rows()
    assert flags.filter((pl.col("model") == "shapley_counterfactual") & (pl.col("flag") == "negative")).is_empty()
