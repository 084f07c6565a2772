"""The interval auditor: linear-programming bounds of withheld cells over everything published (tau-argus style)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.errors import AnalysisError
from analysis.privacy import (
    Cell,
    Relation,
    at_most,
    audit,
    audit_table,
    fold_until_safe,
    suppress_small_cells,
    total,
)

K = 10


def test_a_cell_pinned_by_a_total_is_exposed() -> None:
    cells = [Cell("all", 50), Cell("a", 45), Cell("b", 5, "withheld")]
    row = audit(cells, [total("all", ["a", "b"])], min_group_size=K).row(0, named=True)
    assert (row["low"], row["high"], row["ok"]) == (5.0, 5.0, False)


def test_two_withheld_cells_share_their_remainder() -> None:
    cells = [Cell("all", 60), Cell("a", 40), Cell("b", 8, "withheld"), Cell("c", 12, "withheld")]
    out = audit(cells, [total("all", ["a", "b", "c"])], min_group_size=K)
    assert out.select("low", "high", "ok").rows() == [(0.0, 20.0, True), (0.0, 20.0, True)]


def test_a_row_and_a_column_together_narrow_a_cell_the_sum_rule_passes() -> None:
    # x is withheld with y in its row (x + y = 14 >= k) and with z in its column (x + z = 6): x is in [0, 6]
    cells = [Cell("x", 4, "withheld"), Cell("y", 10, "withheld"), Cell("z", 2, "withheld"),
             Cell("row", 14), Cell("col", 6)]
    out = audit(cells, [total("row", ["x", "y"]), total("col", ["x", "z"])], min_group_size=K)
    assert out.filter(pl.col("cell") == "x").select("low", "high", "ok").row(0) == (0.0, 6.0, False)


def test_nested_counts_bound_a_withheld_step_between_its_neighbours() -> None:
    cells = [Cell("s1", 100), Cell("s2", 95, "withheld"), Cell("s3", 60)]
    out = audit(cells, [at_most("s2", "s1"), at_most("s3", "s2")], min_group_size=K)
    assert out.select("low", "high", "ok").row(0) == (60.0, 100.0, True)


def test_a_rounded_count_is_known_within_its_rounding() -> None:
    cells = [Cell("c", 62, "withheld", low=60, high=69), Cell("f", 58)]
    assert audit(cells, [at_most("f", "c")], min_group_size=K)["ok"].to_list() == [True]
    cells = [Cell("c", 62, "withheld", low=60, high=69), Cell("t", 62)]
    assert audit(cells, [at_most("c", "t")], min_group_size=K).select("low", "high").row(0) == (60.0, 62.0)


def test_money_must_stay_uncertain_by_half_its_value_both_ways() -> None:
    # two withheld revenues share a remainder of 1,000: 900 can be anything in [0, 1000], which is not +-50%
    cells = [Cell("all", 3000, kind="value"), Cell("a", 2000, kind="value"),
             Cell("b", 900, "withheld", "value"), Cell("c", 100, "withheld", "value")]
    out = audit(cells, [total("all", ["a", "b", "c"])], min_group_size=K)
    assert dict(out.select("cell", "ok").iter_rows()) == {"b": False, "c": True}


def test_contradicting_relations_are_reported() -> None:
    cells = [Cell("all", 10), Cell("a", 20), Cell("b", 1, "withheld")]
    with pytest.raises(AnalysisError, match="contradict"):
        audit(cells, [Relation({"a": 1.0, "b": 1.0, "all": -1.0})], min_group_size=K)


@st.composite
def grids(draw: st.DrawFn) -> tuple[pl.DataFrame, int]:
    rows, cols = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    k = draw(st.integers(2, 15))
    values = draw(st.lists(st.integers(0, 3 * k), min_size=rows * cols, max_size=rows * cols))
    # every line total at least k (smaller groups are folded away before suppression, as in a snapshot)
    values = [v + 3 * k if (i == 0 or j == 0) else v
              for (i, j), v in zip(((i, j) for i in range(rows) for j in range(cols)), values, strict=True)]
    frame = pl.DataFrame({"r": [f"r{i}" for i in range(rows) for _ in range(cols)],
                          "c": [f"c{j}" for _ in range(rows) for j in range(cols)],
                          "users": pl.Series(values, dtype=pl.Int64)})
    return frame, k


MARGINS = [("r",), ("c",), ()]


@settings(max_examples=40, deadline=None)
@given(grids())
def test_property_suppression_leaves_every_withheld_cell_k_counts_wide(case: tuple[pl.DataFrame, int]) -> None:
    table, k = case
    result = suppress_small_cells(table, count_col="users", min_group_size=k, margins=MARGINS)
    assume(not [e for e in result.manifest.entries if e.reason == "dropped"])
    report = audit_table(table, count_col="users", suppressed=result.table["suppressed"], min_group_size=k,
                         margins=MARGINS)
    assert report["ok"].all(), report.filter(~pl.col("ok"))
    published = result.table["users"].drop_nulls()
    assert ((published == 0) | (published >= k)).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=12), st.integers(2, 15))
def test_property_folding_leaves_no_small_group_and_no_small_label(counts: list[int], k: int) -> None:
    table = pl.DataFrame({"g": [f"label{i}" for i in range(len(counts))], "users": counts})
    assume(sum(counts) >= k)
    out = fold_until_safe(table, category_col="g", count_col="users", min_group_size=k).table
    assert (out["users"] >= k).all()
    assert out["users"].sum() == sum(counts)
    small = {f"label{i}" for i, c in enumerate(counts) if c < k}
    assert not small & set(out["g"].to_list())
