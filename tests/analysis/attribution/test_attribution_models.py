"""attribute(): the sum invariant for every model, the result frame, and the planted truth of the sample."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.attribution import MODELS, SUMMING_MODELS, attribute
from analysis.errors import NoConversionsError
from analysis.sample import Sample

path_rows = st.lists(
    st.tuples(
        st.lists(
            st.sampled_from(["Email", "Direct", "Display", "Paid Search", "a > b", "<i>x</i>"]), min_size=1, max_size=6
        ),
        st.integers(0, 20),
        st.integers(0, 20),
        st.floats(0, 500, allow_nan=False),
        st.lists(st.floats(0, 40, allow_nan=False), min_size=6, max_size=6),
    ),
    min_size=1,
    max_size=12,
).filter(lambda rows: sum(r[1] for r in rows) > 0)


def table(rows: list[tuple[list[str], int, int, float, list[float]]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "path": [r[0] for r in rows],
            "conversions": [r[1] for r in rows],
            "nulls": [r[2] for r in rows],
            "value": [r[3] if r[1] > 0 else 0.0 for r in rows],
            "days_before_end": [sorted(r[4][: len(r[0])], reverse=True) for r in rows],
        },
        schema={
            "path": pl.List(pl.String),
            "conversions": pl.Int64,
            "nulls": pl.Int64,
            "value": pl.Float64,
            "days_before_end": pl.List(pl.Float64),
        },
    )


@settings(max_examples=60, deadline=None)
@given(path_rows, st.sampled_from(SUMMING_MODELS), st.integers(1, 3), st.booleans())
def test_credits_sum_to_conversions_and_value(rows: list, model: str, order: int, ordered: bool) -> None:  # type: ignore[type-arg]
    p = table(rows)
    got = attribute(p, model=model, order=order, ordered=ordered)  # type: ignore[arg-type]
    assert got["conversions"].sum() == pytest.approx(p["conversions"].sum(), rel=1e-9, abs=1e-9)
    assert got["value"].sum() == pytest.approx(p["value"].sum(), rel=1e-9, abs=1e-6)
    assert got["share"].sum() == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(path_rows)
def test_participation_counts_each_distinct_channel_of_each_conversion(rows: list) -> None:  # type: ignore[type-arg]
    p = table(rows)
    got = attribute(p, model="participation")
    want = p.select((pl.col("path").list.n_unique() * pl.col("conversions")).sum()).item()
    assert got["conversions"].sum() == pytest.approx(want)


def test_result_has_one_row_per_channel_with_the_documented_columns() -> None:
    p = table([(["B", "A"], 1, 0, 1.0, [1.0, 0.0]), (["C"], 0, 2, 0.0, [0.0])])
    for model in MODELS:
        got = attribute(p, model=model)
        assert got.schema == pl.Schema(
            {"channel": pl.String, "conversions": pl.Float64, "value": pl.Float64, "share": pl.Float64}
        )
        assert got["channel"].to_list() == ["A", "B", "C"]


def test_input_is_not_mutated() -> None:
    p = table([(["B", "A"], 1, 0, 1.0, [1.0, 0.0])])
    before = p.clone()
    for model in MODELS:
        attribute(p, model=model)
    assert p.equals(before)


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_planted_strongest_channel_ranks_first(
    model: str, small_sample: Sample, small_sample_paths: pl.DataFrame
) -> None:
    got = attribute(small_sample_paths, model=model)  # type: ignore[arg-type]
    assert got.sort("conversions", descending=True)["channel"][0] == small_sample.truth.strongest_channel


def test_an_empty_path_table_is_refused_not_an_empty_result() -> None:
    empty = pl.DataFrame(
        schema={"path": pl.List(pl.String), "conversions": pl.Int64, "nulls": pl.Int64, "value": pl.Float64}
    )
    for model in ("linear", "markov", "shapley"):
        with pytest.raises(NoConversionsError, match="has no conversions"):
            attribute(empty, model=model)  # type: ignore[arg-type]
