"""Drop-off analysis: cohorts at a step, where drop-offs went, ranked drivers with intervals and FDR control."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError
from analysis.funnels import funnel_spec, funnel_units
from analysis.funnels.dropoff import (
    _benjamini_hochberg,
    _round2,
    _thousands,
    dropoff_destinations,
    dropoff_drivers,
    step_cohort,
)
from analysis.sample import FUNNEL_STEPS, STRONGEST_CHANNEL, WORST_STEP

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def events(rows: list[tuple[str, float, str]], **extra: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"user_id": [r[0] for r in rows], "timestamp": [T0 + timedelta(minutes=r[1]) for r in rows],
         "event": [r[2] for r in rows], **extra},
        schema_overrides={"timestamp": pl.Datetime("us", "UTC"), **{k: pl.String for k in extra}},
    )


ROWS = [("u1", 0, "A"), ("u1", 1, "B"), ("u1", 2, "C"),
        ("u2", 0, "A"), ("u2", 1, "B"), ("u2", 2, "X"), ("u2", 3, "Y"),
        ("u3", 0, "A"), ("u3", 1, "B"),
        ("u4", 0, "A")]
SPEC = funnel_spec(["A", "B", "C"])


def _units(rows: list[tuple[str, float, str]] = ROWS) -> pl.DataFrame:
    return funnel_units(events(rows), SPEC)


@pytest.mark.parametrize(("who", "users"), [("reached", ["u1", "u2", "u3"]), ("dropped", ["u2", "u3"]),
                                            ("continued", ["u1"])])
def test_step_cohort(who: str, users: list[str]) -> None:
    assert step_cohort(_units(), SPEC, step=2, who=who)["user_id"].to_list() == users  # type: ignore[arg-type]


def test_nobody_drops_after_the_last_step() -> None:
    with pytest.raises(AnalysisError, match="it is the last step"):
        step_cohort(_units(), SPEC, step=3, who="dropped")


def test_next_event_after_dropping() -> None:
    got = dropoff_destinations(events(ROWS), _units(), SPEC, step=2)
    expected = pl.DataFrame({"value": ["(no further event)", "X"], "units": [1, 1], "share": [0.5, 0.5]})
    assert_frame_equal(got, expected)


def test_where_drop_offs_ended() -> None:
    got = dropoff_destinations(events(ROWS), _units(), SPEC, step=2, position="last")
    assert dict(zip(got["value"], got["units"], strict=True)) == {"(no further event)": 1, "Y": 1}


def test_destinations_fold_rare_values_into_other() -> None:
    rows = [(f"u{i}", 0, "A") for i in range(4)] + [(f"u{i}", 1, f"N{i % 3}") for i in range(4)]
    spec = funnel_spec(["A", "B"])
    units = funnel_units(events(rows), spec, check_events=False)
    got = dropoff_destinations(events(rows), units, spec, step=1, top_n=1)
    assert got.to_dict(as_series=False) == {"value": ["N0", "Other"], "units": [2, 2], "share": [0.5, 0.5]}


def _channel_study() -> pl.DataFrame:
    """60 Paid Social users (45 drop before B) and 60 Email users (15 drop)."""
    n = 120
    channel = ["Paid Social"] * 60 + ["Email"] * 60
    drops = [i < 45 or 60 <= i < 75 for i in range(n)]
    a = events([(f"p{i:03d}", 0, "A") for i in range(n)], channel=channel)
    b = events([(f"p{i:03d}", 5, "B") for i in range(n) if not drops[i]],
               channel=[None] * (n - 60))
    return pl.concat([a, b])


def test_driver_relative_risk_interval_and_sentence() -> None:
    ev = _channel_study()
    spec = funnel_spec(["A", "B"])
    drivers = dropoff_drivers(ev, funnel_units(ev, spec), spec, step=1)
    row = drivers.filter(pl.col("trait") == "came from Paid Social").row(0, named=True)
    # by hand: RR = (45/60)/(15/60) = 3; SE(log RR) = sqrt(1/45 - 1/60 + 1/15 - 1/60)
    se = math.sqrt(1 / 45 - 1 / 60 + 1 / 15 - 1 / 60)
    assert row["relative_risk"] == pytest.approx(3.0)
    assert row["rr_low"] == pytest.approx(3 * math.exp(-1.959964 * se), rel=1e-5)
    assert row["rr_high"] == pytest.approx(3 * math.exp(1.959964 * se), rel=1e-5)
    assert row["odds_ratio"] == pytest.approx((45 * 45) / (15 * 15))
    assert (row["n_with"], row["dropped_with"], row["n_without"], row["dropped_without"]) == (60, 45, 60, 15)
    assert row["significant"] and not row["small"]
    assert row["sentence"] == ("Users who came from Paid Social were 3.00x as likely to drop between A and B "
                               "(95% CI 1.89-4.76, n=60)")


def test_small_groups_are_flagged_not_exact() -> None:
    ev = _channel_study().with_columns(
        pl.when(pl.col("user_id").is_in(["p000", "p001", "p002", "p003", "p004", "p005"]))
        .then(pl.lit("Display")).otherwise(pl.col("channel")).alias("channel"))
    spec = funnel_spec(["A", "B"])
    row = dropoff_drivers(ev, funnel_units(ev, spec), spec, step=1).filter(
        pl.col("trait") == "came from Display").row(0, named=True)
    assert row["small"]
    assert "n<30, small group" in row["sentence"] and "n=6" not in row["sentence"]


def test_benjamini_hochberg_by_hand() -> None:
    q = _benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.005]))
    assert q.tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_persona_traits_from_a_persona_table() -> None:
    ev = _channel_study()
    personas = pl.DataFrame({"user_id": [f"p{i:03d}" for i in range(120)],
                             "persona": ["Hunters"] * 60 + ["Regulars"] * 60})
    spec = funnel_spec(["A", "B"])
    drivers = dropoff_drivers(ev, funnel_units(ev, spec), spec, step=1, personas=personas)
    row = drivers.filter(pl.col("trait") == "are in persona Hunters").row(0, named=True)
    assert row["relative_risk"] == pytest.approx(3.0)


def test_loops_and_slow_steps_are_traits() -> None:
    rows = ([(f"l{i}", 0, "A") for i in range(10)] + [(f"l{i}", 1, "A") for i in range(10)]
            + [(f"l{i}", 2, "B") for i in range(10)]
            + [(f"s{i}", 0, "A") for i in range(10)] + [(f"s{i}", 30, "B") for i in range(10)]
            + [(f"s{i}", 31, "C") for i in range(5)])
    ev = events(rows, channel=[None] * len(rows))
    drivers = dropoff_drivers(ev, funnel_units(ev, SPEC), SPEC, step=2)
    assert set(drivers["kind"]) >= {"loop", "slow"}
    loop = drivers.filter(pl.col("kind") == "loop").row(0, named=True)
    assert (loop["n_with"], loop["dropped_with"]) == (10, 10)


def test_sample_strongest_channel_lowers_drop_at_the_worst_step(small_sample) -> None:  # type: ignore[no-untyped-def]
    spec = funnel_spec(FUNNEL_STEPS, window=timedelta(days=60))
    units = funnel_units(small_sample.events, spec)
    step = FUNNEL_STEPS.index(WORST_STEP[0]) + 1
    drivers = dropoff_drivers(small_sample.events, units, spec, step=step)
    row = drivers.filter(pl.col("trait") == f"came from {STRONGEST_CHANNEL}").row(0, named=True)
    assert row["significant"] and row["rr_high"] < 1


def test_numbers_in_sentences_are_readable() -> None:
    frame = pl.DataFrame({"n": [7, 1240, 1234567], "x": [0.5, 2.126, 12.6]})
    out = frame.select(_thousands(pl.col("n")).alias("n"), _round2(pl.col("x")).alias("x"))
    assert out.to_dict(as_series=False) == {"n": ["7", "1,240", "1,234,567"], "x": ["0.50", "2.13", "13"]}
