"""Shapley attribution (DP6 MAM's definition): hand cases, a brute-force permutation solver, the sampler."""

from __future__ import annotations

from itertools import combinations, permutations
from math import factorial

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.attribution import attribute, shapley_values
from analysis.attribution._encode import encode
from analysis.attribution.shapley import build_game
from analysis.errors import AnalysisError


def paths(rows: list[tuple[list[str], int, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"path": pl.List(pl.String), "conversions": pl.Int64, "nulls": pl.Int64, "value": pl.Float64},
        orient="row",
    )


def brute_force(rows: list[tuple[list[str], int, int, float]], *, ordered: bool) -> dict[str, float]:
    """MAM's definition from scratch: coalition worth = its conversion rate; Shapley by all permutations."""

    def key(path: list[str]) -> tuple[str, ...]:
        distinct = list(dict.fromkeys(path))
        return tuple(distinct) if ordered else tuple(sorted(distinct))

    conv: dict[tuple[str, ...], float] = {}
    total: dict[tuple[str, ...], float] = {}
    for p, c, n, _ in rows:
        conv[key(p)] = conv.get(key(p), 0) + c
        total[key(p)] = total.get(key(p), 0) + c + n
    worth = {k: conv[k] / total[k] for k in conv if total[k] > 0}
    credit: dict[str, float] = {}
    for coalition, c in conv.items():
        if c == 0:
            continue
        n = len(coalition)
        phi = dict.fromkeys(coalition, 0.0)
        for perm in permutations(range(n)):
            inside: list[int] = []
            for i in perm:
                before = tuple(coalition[j] for j in sorted(inside))
                inside.append(i)
                after = tuple(coalition[j] for j in sorted(inside))
                phi[coalition[i]] += (worth.get(after, 0.0) - worth.get(before, 0.0)) / factorial(n)
        for ch, value in phi.items():
            credit[ch] = credit.get(ch, 0.0) + value / worth[coalition] * c
    return credit


def test_two_channel_game_by_hand() -> None:
    # v(A) = 1/4, v(B) = 1/2, v(AB) = 3/4: phi_A = (1/4 + 1/4) / 2 = 1/4, phi_B = (1/2 + 1/2) / 2 = 1/2
    # coalition AB (3 conversions) splits 1:2, A keeps 1, B keeps 2
    p = paths([(["A"], 1, 3, 1.0), (["B"], 2, 2, 2.0), (["A", "B"], 3, 1, 3.0)])
    got = dict(attribute(p, model="shapley").select("channel", "conversions").rows())
    assert got == pytest.approx({"A": 2.0, "B": 4.0})


def test_value_is_split_like_the_conversions_of_each_coalition() -> None:
    p = paths([(["A"], 1, 3, 10.0), (["B"], 2, 2, 20.0), (["A", "B"], 3, 1, 30.0)])
    got = dict(attribute(p, model="shapley").select("channel", "value").rows())
    assert got == pytest.approx({"A": 20.0, "B": 40.0})


ROWS = [
    (["A", "B", "C"], 3, 2, 3.0),
    (["B", "A"], 1, 4, 1.0),
    (["C"], 2, 5, 2.0),
    (["A", "C", "B", "A"], 2, 1, 2.0),
    (["B", "B", "C"], 1, 3, 1.0),
    (["C", "A"], 4, 1, 4.0),
    (["A"], 1, 6, 1.0),
    (["B"], 2, 2, 2.0),
]


@pytest.mark.parametrize("ordered", [False, True])
def test_equals_brute_force(ordered: bool) -> None:
    got = dict(attribute(paths(ROWS), model="shapley", ordered=ordered).select("channel", "conversions").rows())
    assert got == pytest.approx(brute_force(ROWS, ordered=ordered), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=6),
            st.integers(0, 4),
            st.integers(0, 4),
            st.just(1.0),
        ),
        min_size=1,
        max_size=10,
    ),
    st.booleans(),
)
def test_equals_brute_force_on_random_tables(rows: list[tuple[list[str], int, int, float]], ordered: bool) -> None:
    assume(sum(r[1] for r in rows) > 0)  # a table without conversions is refused (test_attribution_models)
    got = dict(attribute(paths(rows), model="shapley", ordered=ordered).select("channel", "conversions").rows())
    want = brute_force(rows, ordered=ordered)
    assert {k: v for k, v in got.items() if k in want} == pytest.approx(want, abs=1e-9)


def test_max_channels_keeps_the_last_channels_of_the_coalition() -> None:
    # unordered coalitions are sorted by name, so "C" is the last and keeps all credit (MAM's slice(-max_size))
    p = paths([(["A", "B", "C"], 2, 0, 2.0)])
    got = dict(attribute(p, model="shapley", max_channels=1).select("channel", "conversions").rows())
    assert got == {"A": 0.0, "B": 0.0, "C": 2.0}


def test_the_sampler_beyond_the_exact_limit_is_within_its_standard_error() -> None:
    enc = encode(paths(ROWS))
    exact, _, _ = build_game(enc).credits(enc.conversions, enc.nulls, enc.value)
    sampled, _, se = build_game(enc, exact_limit=1, n_permutations=3000, seed=1).credits(
        enc.conversions, enc.nulls, enc.value
    )
    assert (se > 0).all()
    assert (abs(sampled - exact) <= 4 * se).all()


def test_exact_for_fifteen_channels() -> None:
    names = [f"c{i:02d}" for i in range(15)]
    rows = [(names, 3, 1, 3.0)] + [([c], i % 3 + 1, 3, 1.0) for i, c in enumerate(names)]
    rows += [(list(pair), 1, 1, 1.0) for pair in combinations(names[:6], 2)]
    got = attribute(paths(rows), model="shapley")
    assert got["conversions"].sum() == pytest.approx(sum(r[1] for r in rows))


def test_exact_limit_outside_range_is_an_error() -> None:
    with pytest.raises(AnalysisError, match="exact_limit"):
        attribute(paths(ROWS), model="shapley", exact_limit=30)


def test_shapley_values_report_zero_error_when_exact_and_a_positive_one_when_sampled() -> None:
    exact = shapley_values(paths(ROWS))
    sampled = shapley_values(paths(ROWS), exact_limit=2, n_permutations=500)
    assert exact["conversions_se"].to_list() == [0.0, 0.0, 0.0]
    assert (sampled["conversions_se"] > 0).all()
    assert sampled["conversions"].sum() == pytest.approx(exact["conversions"].sum())
