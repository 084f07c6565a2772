"""Paths: anchored paths, path variants, transitions, step matrix (exact hand-computed frames)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError
from analysis.journeys import journeys, path_variants, paths, step_matrix, transitions
from analysis.prepare import prepare
from analysis.sample import Sample


def _journeys() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u4"],
            "touchpoints": [["a", "b", "b", "c"], ["a", "b", "c"], ["x", "a", "c"], ["b", "b"]],
            "channels": [["Email"], ["Email", "Direct"], ["Direct"], ["Email"]],
            "converted": [True, False, True, False],
            "device": ["m", "m", "d", "d"],
        }
    )


def _paths(rows: list[list[str]], users: list[str] | None = None, converted: list[bool] | None = None
           ) -> pl.DataFrame:
    return pl.DataFrame({
        "user_id": users or [f"u{i}" for i in range(len(rows))],
        "path": rows,
        "converted": converted or [False] * len(rows),
    })


def test_plain_paths_are_the_journeys_events() -> None:
    out = paths(_journeys())
    assert out.columns == ["user_id", "converted", "device", "path"]
    assert out["path"].to_list() == _journeys()["touchpoints"].to_list()


def test_channel_level_uses_channels() -> None:
    assert paths(_journeys(), level="channel")["path"].to_list()[1] == ["Email", "Direct"]


def test_collapse_repeats() -> None:
    assert paths(_journeys(), collapse_repeats=True)["path"].to_list() == [
        ["a", "b", "c"], ["a", "b", "c"], ["x", "a", "c"], ["b"]
    ]


def test_forward_paths_start_at_first_occurrence_and_drop_journeys_without_it() -> None:
    out = paths(_journeys(), start="a", steps=2)
    assert out["user_id"].to_list() == ["u1", "u2", "u3"]
    assert out["path"].to_list() == [["a", "b"], ["a", "b"], ["a", "c"]]


def test_backward_paths_end_at_first_occurrence_of_end() -> None:
    out = paths(_journeys(), end="b", steps=2)
    assert out["path"].to_list() == [["a", "b"], ["a", "b"], ["b"]]


def test_paths_between_anchors_squeeze_the_middle() -> None:
    j = pl.DataFrame({"user_id": ["u1", "u2"], "touchpoints": [["s", "1", "2", "3", "e", "z"], ["e", "s", "e"]],
                      "converted": [True, False]})
    assert paths(j, start="s", end="e", steps=4)["path"].to_list() == [["s", "1", "…", "e"], ["s", "e"]]


def test_same_start_and_end_anchor_looks_after_the_start() -> None:
    j = pl.DataFrame({"user_id": ["u1"], "touchpoints": [["a", "x", "a", "y"]], "converted": [True]})
    assert paths(j, start="a", end="a")["path"].to_list() == [["a", "x", "a"]]


def test_bad_level_and_steps_are_errors() -> None:
    with pytest.raises(AnalysisError, match=r"level=.* is not valid; choose one of event, channel"):
        paths(_journeys(), level="page")  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="steps must be at least 3"):
        paths(_journeys(), start="a", end="c", steps=2)


def test_path_variants_exact() -> None:
    p = _paths([["a", "b"], ["a", "b"], ["a", "b"], ["c"]], users=["u1", "u1", "u2", "u3"],
               converted=[True, False, True, False])
    expected = pl.DataFrame({
        "path": [["a", "b"], ["c"]], "label": ["a → b", "c"], "journeys": [3, 1], "users": [2, 1],
        "converted": [2, 0], "conversion_rate": [2 / 3, 0.0], "share": [0.75, 0.25],
    })
    assert_frame_equal(path_variants(p), expected)


def test_path_variants_top_n_and_breakdown() -> None:
    out = path_variants(paths(_journeys(), collapse_repeats=True), top_n=1, by="device")
    assert out.select("device", "label", "journeys", "share").rows() == [("d", "b", 1, 0.5), ("m", "a → b → c", 2, 1.0)]


def test_transitions_by_step_exact() -> None:
    p = _paths([["a", "b", "c"], ["a", "b"], ["a", "c"]], users=["u1", "u1", "u2"])
    expected = pl.DataFrame({
        "step": [1, 1, 2], "source": ["a", "a", "b"], "target": ["b", "c", "c"],
        "count": [2, 1, 1], "users": [1, 1, 1], "probability": [2 / 3, 1 / 3, 1.0],
    })
    assert_frame_equal(transitions(p), expected)


def test_transitions_top_n_buckets_the_rest_as_other() -> None:
    p = _paths([["a", "x"], ["a", "y"], ["a", "y"], ["b", "y"]])
    out = transitions(p, top_n=1)
    assert out.select("source", "target", "count").rows() == [("Other", "y", 1), ("a", "y", 2), ("a", "Other", 1)]


def test_transition_graph_over_all_steps() -> None:
    p = _paths([["a", "b", "a", "b"], ["b", "a"]])
    expected = pl.DataFrame({
        "source": ["a", "b"], "target": ["b", "a"], "count": [2, 2], "users": [1, 2], "probability": [1.0, 1.0],
    })
    assert_frame_equal(transitions(p, by_step=False), expected)


def test_transitions_from_end_number_steps_back_from_zero() -> None:
    p = _paths([["a", "b", "c"], ["b", "c"]])
    out = transitions(p, from_end=True)
    assert out.select("step", "source", "target", "count").rows() == [(-2, "a", "b", 1), (-1, "b", "c", 2)]


def test_step_matrix_exact() -> None:
    p = _paths([["a", "b", "c"], ["a", "c"], ["b"]])
    expected = pl.DataFrame({
        "step": [1, 1, 2, 2, 2, 3, 3],
        "node": ["a", "b", "(ended)", "b", "c", "(ended)", "c"],
        "journeys": [2, 1, 1, 1, 1, 2, 1],
        "share": [2 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 2 / 3, 1 / 3],
    })
    assert_frame_equal(step_matrix(p, steps=3), expected)


def test_step_matrix_top_n_and_from_end() -> None:
    p = _paths([["a", "b", "c"], ["a", "c"], ["b"]])
    out = step_matrix(p, steps=2, top_n=1, from_end=True)
    # step 0 (last nodes): c, c, b; step -1: b, a, (ended); b and c tie as most frequent (2), b wins by name
    assert out.rows() == [(-1, "(ended)", 1, 1 / 3), (-1, "Other", 1, 1 / 3), (-1, "b", 1, 1 / 3),
                          (0, "Other", 2, 2 / 3), (0, "b", 1, 1 / 3)]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcd"), min_size=1, max_size=8), min_size=1, max_size=20),
       st.integers(1, 6))
def test_step_matrix_columns_sum_to_one_and_transitions_conserve_flow(rows: list[list[str]], steps: int) -> None:
    p = _paths(rows)
    sums = step_matrix(p, steps=steps).group_by("step").agg(pl.col("share").sum())["share"]
    assert all(abs(x - 1) < 1e-9 for x in sums)
    moves = transitions(p)
    assert moves["count"].sum() == sum(len(r) - 1 for r in rows)
    out_sums = moves.group_by("step", "source").agg(pl.col("probability").sum())["probability"]
    assert all(abs(x - 1) < 1e-9 for x in out_sums)


def test_sample_paths_to_purchase_end_with_the_planted_funnel(small_sample: Sample) -> None:
    j = journeys(prepare(small_sample.events))
    backward = paths(j, end="purchase", steps=2)
    assert backward.height == small_sample.truth.users["converted"].sum()
    assert path_variants(backward)["label"].to_list() == ["begin_checkout → purchase"]
