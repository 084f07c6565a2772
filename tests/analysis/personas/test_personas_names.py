"""Every word of a persona's name is true of its profile: each claim re-checked from the data, on random data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.personas import Personas
from analysis.personas.naming import archetype, neutral_name, times
from analysis.prepare import prepare
from analysis.sample import generate_sample


def _values(model: Personas, kind: str, item: str) -> np.ndarray:
    """The feature as the profile compares it: events as each person's share of their events."""
    f = model.features_
    if kind == "event":
        counts = f.select(pl.col(c) for c in f.columns if c.startswith(("event:", "pair:")))
        total = counts.sum_horizontal().to_numpy()
        col = f[f"event:{item}"].to_numpy()
        return np.divide(col, total, out=np.zeros_like(col, dtype=np.float64), where=total > 0)
    return f[f"{kind}:{item}"].to_numpy().astype(np.float64)


def check_names(model: Personas, events: pl.DataFrame) -> int:
    """Assert every name equals its claims and every claim holds in the data; returns the number of claims."""
    p = len(model.features_.columns) - 1
    k = model.k_
    labels = model.labels_
    people = model.assignments()
    conv = (events.filter(pl.col("event").is_in(list(model.conversion_events)))["user_id"].unique())
    converted = people["user_id"].is_in(conv.implode()).to_numpy()
    for pid, name in model.names_.items():
        mine = model.claims_.filter(pl.col("persona_id") == pid)
        head = name.split(": ", 1)[0]
        texts = mine["text"].to_list()
        assert name == (f"{head}: {', '.join(texts)}" if texts else head)
        events_claimed = mine.filter(pl.col("kind") == "event")["item"].to_list()
        assert head in ({archetype(events_claimed[0]), neutral_name(pid)} if events_claimed else {neutral_name(pid)})
        inside = labels == pid
        for kind, item, text in mine.select("kind", "item", "text").iter_rows():
            if kind == "conversion":
                a, b = converted[inside].mean(), converted[~inside].mean()
                ratio = times(a / b)
                assert text == (f"convert {ratio} as often" if a >= b else f"convert less often ({ratio} the rate)")
                h = abs(2 * np.arcsin(np.sqrt(a)) - 2 * np.arcsin(np.sqrt(b)))
                assert h >= 0.2
                x1, n1, x2, n2 = converted[inside].sum(), inside.sum(), converted[~inside].sum(), (~inside).sum()
                p1, p2 = (x1 + 1) / (n1 + 2), (x2 + 1) / (n2 + 2)
                se = np.sqrt(p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2))
                assert abs(p1 - p2) > stats.norm.ppf(1 - 0.05 / (2 * k)) * se
                continue
            v = _values(model, kind, item)
            a, b = v[inside], v[~inside]
            assert a.mean() > b.mean()  # "as often" claims are over-indexed
            words = f"arrive via {item}" if kind == "channel" else text.rsplit(" ", 3)[0]
            assert text == f"{words} {times(a.mean() / b.mean()) if b.mean() > 0 else '>10x'} as often"
            pooled = np.sqrt((((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()) / (len(v) - 2))
            assert (a.mean() - b.mean()) / pooled >= 0.5  # material
            assert stats.ttest_ind(a, b, equal_var=False).pvalue < 0.05 / (p * k)  # clear, Bonferroni
    return model.claims_.height


@settings(max_examples=3, deadline=None, derandomize=True)
@given(st.integers(0, 10_000), st.integers(800, 1_600))
def test_names_are_true_of_the_profiles_on_random_samples(seed: int, users: int) -> None:
    events = prepare(generate_sample(users, seed=seed).events)
    model = Personas(stability_runs=0, seed=seed).fit(events)
    assert model.distinct_
    assert check_names(model, events) > 0


def test_a_named_channel_is_over_indexed_not_merely_the_first_channel() -> None:
    events = prepare(generate_sample(1_200, seed=5).events)
    model = Personas(k=4, stability_runs=0).fit(events)
    check_names(model, events)
    channel = model.claims_.filter(pl.col("kind") == "channel")
    assert (channel["persona_value"] > channel["rest_value"]).all()
    assert all(" as often" in t for t in channel["text"].to_list())


@pytest.mark.parametrize("seed", [0, 1])
def test_no_distinct_personas_carry_no_claims(seed: int) -> None:
    from tests.analysis.personas.conftest import noise_events  # noqa: PLC0415

    model = Personas(stability_runs=0, seed=seed).fit(noise_events(300, seed=seed))
    assert not model.distinct_ and model.claims_.is_empty() and model.names_ == {0: "Everyone"}
