"""The vocabulary: one "not valid" message, one top-N fold (exact on small frames, invariants by hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from typing import get_args

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis import vocabulary as v
from analysis.errors import AnalysisError


def test_check_choice_accepts_a_valid_value() -> None:
    v.check_choice("engine", "spark", v.ENGINES)


def test_check_choice_names_the_setting_the_value_and_the_valid_values() -> None:
    with pytest.raises(AnalysisError) as err:
        v.check_choice("model", "last_click", v.MODELS)
    assert str(err.value) == f"model='last_click' is not valid; choose one of {', '.join(v.MODELS)}"


def test_check_choice_takes_non_text_choices() -> None:
    with pytest.raises(AnalysisError, match=r"^order=5 is not valid; choose one of 1, 2, 3, 4$"):
        v.check_choice("order", 5, (1, 2, 3, 4))


def test_every_choice_tuple_lists_its_literal() -> None:
    pairs = [(v.Engine, v.ENGINES), (v.FunnelMode, v.FUNNEL_MODES), (v.Entry, v.ENTRIES), (v.Counting, v.COUNTINGS),
             (v.Anchor, v.ANCHORS), (v.FunnelAttribution, v.FUNNEL_ATTRIBUTIONS), (v.Every, v.EVERIES),
             (v.Position, v.POSITIONS), (v.Who, v.WHOS), (v.Model, v.MODELS), (v.Touch, v.TOUCHES),
             (v.Metric, v.METRICS), (v.Level, v.LEVELS), (v.Algorithm, v.ALGORITHMS), (v.Reduction, v.REDUCTIONS),
             (v.EventWeighting, v.EVENT_WEIGHTINGS), (v.Projection, v.PROJECTIONS)]
    for alias, values in pairs:
        assert values == get_args(alias)


def test_the_shared_defaults() -> None:
    assert timedelta(minutes=30) == v.SESSION_GAP
    assert v.MIN_GROUP_SIZE == 10
    assert v.CONVERSION_EVENTS == ("purchase",)
    assert v.OTHER == "Other"


def test_fold_top_n_keeps_the_most_frequent_values_ties_alphabetical() -> None:
    df = pl.DataFrame({"channel": ["Paid", "Email", "Email", "Social", "Direct", "Paid"], "x": [1, 2, 3, 4, 5, 6]})
    got = v.fold_top_n(df, "channel", n=2)
    expected = pl.DataFrame({"channel": ["Paid", "Email", "Email", "Other", "Other", "Paid"], "x": [1, 2, 3, 4, 5, 6]})
    assert_frame_equal(got, expected)
    assert v.fold_top_n(df, "channel", n=3)["channel"].to_list() == ["Paid", "Email", "Email", "Other", "Direct",
                                                                      "Paid"]


def test_fold_top_n_within_groups() -> None:
    df = pl.DataFrame({"step": [1, 1, 1, 2, 2, 2], "node": ["a", "a", "b", "c", "b", "b"]})
    got = v.fold_top_n(df, "node", n=1, by=["step"])
    assert got.rows() == [(1, "a"), (1, "a"), (1, "Other"), (2, "Other"), (2, "b"), (2, "b")]


def test_fold_top_n_by_weight_then_summed() -> None:
    counts = pl.DataFrame({"value": ["a", "b", "c", "d"], "units": [1, 7, 3, 3]})
    got = (v.fold_top_n(counts, "value", n=2, weight="units")
           .group_by("value", maintain_order=True).agg(pl.col("units").sum()))
    assert got.rows() == [("Other", 4), ("b", 7), ("c", 3)]


def test_fold_top_n_leaves_kept_values_alone_and_out_of_the_ranking() -> None:
    df = pl.DataFrame({"node": ["(ended)", "(ended)", "(ended)", "a", "b", "b"]})
    got = v.fold_top_n(df, "node", n=1, keep=["(ended)"])
    assert got["node"].to_list() == ["(ended)", "(ended)", "(ended)", "Other", "b", "b"]


def test_fold_top_n_none_keeps_everything_and_a_custom_label() -> None:
    df = pl.DataFrame({"v": ["a", "b"]})
    assert_frame_equal(v.fold_top_n(df, "v", n=None), df)
    assert v.fold_top_n(df, "v", n=1, other="Rest")["v"].to_list() == ["a", "Rest"]


def test_fold_top_n_refuses_a_bad_n_or_column() -> None:
    df = pl.DataFrame({"v": ["a"]})
    with pytest.raises(AnalysisError, match="at least 1"):
        v.fold_top_n(df, "v", n=0)
    with pytest.raises(AnalysisError, match=r"column.*nope.*present: v"):
        v.fold_top_n(df, "nope", n=1)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=40),
       groups=st.lists(st.integers(0, 2), max_size=40), n=st.integers(1, 4))
def test_fold_top_n_preserves_counts_and_leaves_at_most_n_plus_one_groups(
        values: list[str], groups: list[int], n: int) -> None:
    size = min(len(values), len(groups))
    df = pl.DataFrame({"g": groups[:size], "v": values[:size]}, schema={"g": pl.Int64, "v": pl.String})
    for by in ([], ["g"]):
        got = v.fold_top_n(df, "v", n=n, by=by)
        assert got.height == df.height
        assert got["g"].to_list() == df["g"].to_list()  # rows neither reordered nor dropped
        per_group = got.group_by(*by, "v").len() if by else got.group_by("v").len()
        assert int(per_group["len"].sum()) == df.height
        counts = (per_group.group_by(*by).len() if by else pl.DataFrame({"len": [per_group.height]}))["len"]
        assert counts.max() is None or int(counts.max()) <= n + 1  # type: ignore[arg-type]
        # a value is kept as itself or folded, never renamed to another real value
        changed = got.filter(pl.col("v") != df["v"])
        assert (changed["v"] == v.OTHER).all()
    before = dict(df.group_by("v").len().iter_rows())
    after = dict(v.fold_top_n(df, "v", n=n).group_by("v").len().iter_rows())
    kept = {k: c for k, c in after.items() if k != v.OTHER}
    assert all(before[k] == c for k, c in kept.items())  # a kept value keeps its exact count
    folded = [c for k, c in before.items() if k not in kept]
    assert not folded or not kept or min(kept.values()) >= max(folded)  # the kept ones are the most frequent
