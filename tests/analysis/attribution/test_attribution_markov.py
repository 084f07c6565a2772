"""Markov removal effects: hand-computed chains, a brute-force chain solver, order selection."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.attribution import attribute, removal_effects, select_order
from analysis.errors import AnalysisError, NoConversionsError


def paths(rows: list[tuple[list[str], int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(p, c, n, float(c)) for p, c, n in rows],
        schema={"path": pl.List(pl.String), "conversions": pl.Int64, "nulls": pl.Int64, "value": pl.Float64},
        orient="row",
    )


def brute_force(rows: list[tuple[list[str], int, int]], order: int) -> dict[str, float]:
    """Independent solver: Python dicts of transition counts, the series sum(Q^i r) by 40 doublings."""
    counts: dict[tuple[object, object], float] = {}
    for path, conv, null in rows:
        if conv + null == 0:  # no journeys, no transitions
            continue
        k = min(order, len(path))
        states: list[object] = [
            "start",
            *[tuple(path[i - order + 1 if i >= order else 0 : i + 1]) for i in range(k - 1, len(path))],
        ]
        for a, b in itertools.pairwise(states):
            if a != b:
                counts[a, b] = counts.get((a, b), 0.0) + conv + null
        counts[states[-1], "conv"] = counts.get((states[-1], "conv"), 0.0) + conv
        counts[states[-1], "null"] = counts.get((states[-1], "null"), 0.0) + null
    names = sorted({a for a, _ in counts} - {"start"}, key=str)
    index = {s: i for i, s in enumerate(["start", *names])}
    n = len(index)
    q, r = np.zeros((n, n)), np.zeros(n)
    out = {a: sum(v for (x, _), v in counts.items() if x == a) for a, _ in counts}
    for (a, b), v in counts.items():
        if b == "conv":
            r[index[a]] += v / out[a]
        elif b != "null":
            q[index[a], index[b]] += v / out[a]

    def p_conv(removed: str | None) -> float:
        keep = np.array([s == "start" or removed not in s for s in index])  # type: ignore[operator]
        power, x = q * keep[None, :] * keep[:, None], r * keep
        for _ in range(40):  # x = sum of Q^i r for i < 2^40
            x = x + power @ x
            power = power @ power
        return float(x[0])

    base = p_conv(None)
    channels = sorted({c for p, _, _ in rows for c in p})
    return {c: 1 - p_conv(c) / base for c in channels}


def test_two_path_chain_by_hand() -> None:
    # start->A 1/2, start->B 1/2, A->B 1, B->conv 1/2: P(conv) = 1/2; without A 1/4 (RE 1/2), without B 0 (RE 1)
    re = removal_effects(paths([(["A", "B"], 1, 0), (["B"], 0, 1)]))
    assert re["removal_effect"].to_list() == pytest.approx([0.5, 1.0])


def test_markov_credit_is_removal_effect_share_of_conversions() -> None:
    got = attribute(paths([(["A", "B"], 1, 0), (["B"], 0, 1)]), model="markov")
    assert got["conversions"].to_list() == pytest.approx([1 / 3, 2 / 3])


def test_self_loops_do_not_change_removal_effects() -> None:
    a = removal_effects(paths([(["A", "B"], 3, 1), (["B", "C"], 1, 2)]))
    b = removal_effects(paths([(["A", "A", "B", "B"], 3, 1), (["B", "C", "C"], 1, 2)]))
    assert a["removal_effect"].to_list() == pytest.approx(b["removal_effect"].to_list())


ROWS = [
    (["A", "B", "C"], 3, 2),
    (["B", "A"], 1, 4),
    (["C"], 2, 5),
    (["A", "C", "B", "A"], 2, 1),
    (["B", "B", "C"], 0, 3),
    (["C", "A"], 4, 1),
]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_equals_a_brute_force_chain_solver(order: int) -> None:
    got = dict(removal_effects(paths(ROWS), order=order).rows())
    assert got == pytest.approx(brute_force(ROWS, order), abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=5), st.integers(0, 5), st.integers(0, 5)),
        min_size=1,
        max_size=8,
    ).filter(lambda rows: sum(c for _, c, _ in rows) > 0)
)
def test_order_one_equals_brute_force_on_random_tables(rows: list[tuple[list[str], int, int]]) -> None:
    got = dict(removal_effects(paths(rows)).rows())
    assert got == pytest.approx(brute_force(rows, 1), abs=1e-7)


def test_removal_effect_is_share_of_converting_paths_through_the_channel_for_a_tree() -> None:
    # paths never revisit a state, so the chain is a tree: RE_c = converting journeys touching c / all conversions
    got = dict(removal_effects(paths([(["A"], 2, 2), (["B"], 1, 3)]), order=1).rows())
    assert got == pytest.approx({"A": 2 / 3, "B": 1 / 3})


def test_no_conversions_is_refused_not_zero_credit() -> None:
    with pytest.raises(NoConversionsError, match=r"no conversions \(3 non-converting journeys over 1 paths\)"):
        attribute(paths([(["A"], 0, 3)]), model="markov")


def test_order_outside_one_to_four_is_an_error() -> None:
    with pytest.raises(AnalysisError, match="Markov order=5 is not valid; choose one of 1, 2, 3, 4"):
        attribute(paths(ROWS), model="markov", order=5)


def test_order_selection_finds_a_second_order_process() -> None:
    # conversion depends on the order of A and B, which a first-order chain cannot see
    p = paths([(["A", "B"], 40, 10), (["B", "A"], 10, 40), (["A"], 5, 20), (["B"], 5, 20)])
    got = select_order(p, orders=(1, 2, 3))
    assert got.filter("selected")["order"].to_list() == [2]
    assert got.columns == ["order", "states", "loglik", "selected"]


def test_value_follows_the_value_of_conversions_from_each_state() -> None:
    # V = 1/2 * 10/2 + 1/2 * 30/2 = 10; without A 7.5 (RE 1/4), without B 2.5 (RE 3/4): value 10 and 30
    p = pl.DataFrame(
        {"path": [["A"], ["B"]], "conversions": [1, 1], "nulls": [1, 1], "value": [10.0, 30.0]},
        schema={"path": pl.List(pl.String), "conversions": pl.Int64, "nulls": pl.Int64, "value": pl.Float64},
    )
    got = attribute(p, model="markov")
    assert got["conversions"].to_list() == pytest.approx([1.0, 1.0])
    assert got["value"].to_list() == pytest.approx([10.0, 30.0])
