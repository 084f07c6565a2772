"""Rule-based models on tiny path tables, each checked against credits computed by hand."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.attribution import attribute
from analysis.errors import AnalysisError

RESULT = {"channel": pl.String, "conversions": pl.Float64, "value": pl.Float64, "share": pl.Float64}


def paths(rows: list[tuple[list[str], int, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"path": pl.List(pl.String), "conversions": pl.Int64, "nulls": pl.Int64, "value": pl.Float64},
        orient="row",
    )


def expected(credits: dict[str, float], *, value_per_conversion: float = 1.0) -> pl.DataFrame:
    total = sum(credits.values())
    names = sorted(credits)
    return pl.DataFrame(
        {
            "channel": names,
            "conversions": [credits[c] for c in names],
            "value": [credits[c] * value_per_conversion for c in names],
            "share": [credits[c] / total for c in names],
        },
        schema=RESULT,
    )


# one path A > B > C > D converting twice (value 2.0) plus a null B path that must get nothing
FOUR = paths([(["A", "B", "C", "D"], 2, 0, 2.0), (["B"], 0, 5, 0.0)])


@pytest.mark.parametrize(
    ("model", "credits"),
    [
        ("first_touch", {"A": 2.0, "B": 0.0, "C": 0.0, "D": 0.0}),
        ("last_touch", {"A": 0.0, "B": 0.0, "C": 0.0, "D": 2.0}),
        ("linear", {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}),
        ("position_based", {"A": 0.8, "B": 0.2, "C": 0.2, "D": 0.8}),
        ("j_shaped", {"A": 0.4, "B": 0.2, "C": 0.2, "D": 1.2}),
        ("inverse_j", {"A": 1.2, "B": 0.2, "C": 0.2, "D": 0.4}),
    ],
)
def test_rule_based_models_on_a_four_touch_path(model: str, credits: dict[str, float]) -> None:
    assert_frame_equal(attribute(FOUR, model=model), expected(credits), check_exact=False)  # type: ignore[arg-type]


def test_position_based_with_two_touches_is_fifty_fifty() -> None:
    got = attribute(paths([(["A", "B"], 1, 0, 1.0)]), model="position_based")
    assert got["conversions"].to_list() == pytest.approx([0.5, 0.5])


def test_j_shaped_with_two_touches_is_25_75() -> None:
    got = attribute(paths([(["A", "B"], 1, 0, 1.0)]), model="j_shaped")
    assert got["conversions"].to_list() == pytest.approx([0.25, 0.75])


def test_adobe_j_shaped_worked_example() -> None:
    # Adobe: 4 touches, $50: last (display) $30, first (paid search) $10, social $5, email $5
    p = paths([(["paid search", "social", "email", "display"], 1, 0, 50.0)])
    got = dict(attribute(p, model="j_shaped").select("channel", "value").rows())
    assert got == pytest.approx({"paid search": 10.0, "social": 5.0, "email": 5.0, "display": 30.0})


def test_custom_position_weights_are_normalised() -> None:
    got = attribute(paths([(["A", "B", "C"], 1, 0, 1.0)]), model="position_based", weights=(2.0, 1.0, 1.0))
    assert got["conversions"].to_list() == pytest.approx([0.5, 0.25, 0.25])


def test_single_touch_gets_everything_under_position_models() -> None:
    for model in ("position_based", "j_shaped", "inverse_j"):
        got = attribute(paths([(["A"], 3, 0, 3.0)]), model=model)  # type: ignore[arg-type]
        assert got["conversions"].to_list() == [3.0]


def test_repeated_channel_collects_every_touch_share() -> None:
    got = attribute(paths([(["A", "B", "A"], 3, 0, 3.0)]), model="linear")
    assert got["conversions"].to_list() == pytest.approx([2.0, 1.0])


def test_last_non_direct_skips_direct_unless_the_path_is_all_direct() -> None:
    p = paths([(["Email", "Direct"], 1, 0, 1.0), (["Direct", "Direct"], 1, 0, 1.0)])
    got = dict(attribute(p, model="last_non_direct").select("channel", "conversions").rows())
    assert got == {"Direct": 1.0, "Email": 1.0}


def test_time_decay_reproduces_adobes_golden_example() -> None:
    # touches 9, 6, 0, 0 days before a $50 order: 13.8%, 18.6%, 33.8%, 33.8% ($6.92, $9.32, $16.88, $16.88)
    p = pl.DataFrame(
        {
            "path": [["A", "B", "C", "D"]],
            "conversions": [1],
            "nulls": [0],
            "value": [50.0],
            "days_before_end": [[9.0, 6.0, 0.0, 0.0]],
        }
    )
    got = attribute(p, model="time_decay")["value"].to_list()
    assert got == pytest.approx([6.92, 9.32, 16.88, 16.88], abs=0.01)


def test_time_decay_half_life_is_configurable() -> None:
    p = pl.DataFrame(
        {"path": [["A", "B"]], "conversions": [1], "nulls": [0], "value": [1.0], "days_before_end": [[1.0, 0.0]]}
    )
    got = attribute(p, model="time_decay", half_life=timedelta(days=1))["conversions"].to_list()
    assert got == pytest.approx([1 / 3, 2 / 3])


def test_time_decay_without_times_says_how_to_get_them() -> None:
    with pytest.raises(AnalysisError, match="with_times=True"):
        attribute(FOUR, model="time_decay")


def test_participation_gives_each_distinct_channel_full_credit() -> None:
    p = paths([(["A", "B", "A"], 2, 0, 4.0)])
    got = attribute(p, model="participation")
    assert_frame_equal(
        got,
        pl.DataFrame(
            {"channel": ["A", "B"], "conversions": [2.0, 2.0], "value": [4.0, 4.0], "share": [1.0, 1.0]}, schema=RESULT
        ),
    )


def test_unknown_model_names_the_valid_ones() -> None:
    with pytest.raises(AnalysisError, match="is not valid; choose one of first_touch"):
        attribute(FOUR, model="data_driven")  # type: ignore[arg-type]


def test_a_converting_empty_path_credits_no_channel_and_is_reported_as_no_touch() -> None:
    # conversions without a touch (offline orders of people with no visit) are their own row, under every model
    result = attribute(paths([([], 1, 0, 5.0), (["A"], 1, 0, 1.0)]), model="linear")
    assert_frame_equal(result, pl.DataFrame(
        {"channel": ["A", "(no touch)"], "conversions": [1.0, 1.0], "value": [1.0, 5.0], "share": [0.5, 0.5]},
        schema=RESULT))


def test_paths_without_required_columns_is_an_error() -> None:
    with pytest.raises(AnalysisError, match="conversion_paths"):
        attribute(pl.DataFrame({"path": [["A"]]}), model="linear")
