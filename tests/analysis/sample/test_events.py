"""The sample generator: deterministic, canonical, and its planted truth is visible in the raw events."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from polars.testing import assert_frame_equal

from analysis import schema as s
from analysis.ingest import load_events
from analysis.sample import (
    CHANNELS,
    FUNNEL_STEPS,
    GERMAN_EXPORT_PATH,
    GERMAN_EXPORT_USERS,
    PERSONA_NAMES,
    SAMPLE_PATH,
    SAMPLE_SEED,
    SAMPLE_USERS,
    STRONGEST_CHANNEL,
    WORST_STEP,
    Sample,
    generate_sample,
    iter_sample_chunks,
    to_german_excel_csv,
)


def test_same_seed_gives_identical_events() -> None:
    assert_frame_equal(generate_sample(300, seed=3).events, generate_sample(300, seed=3).events)


def test_other_seed_gives_other_events() -> None:
    assert not generate_sample(300, seed=3).events.equals(generate_sample(300, seed=4).events)


def test_events_follow_the_canonical_schema(small_sample: Sample) -> None:
    events = s.validate_events(small_sample.events)
    assert events.schema[s.TIMESTAMP] == s.TIMESTAMP_DTYPE
    assert events.select(pl.col(s.ANONYMOUS_ID).null_count(), pl.col(s.EVENT).null_count()).row(0) == (0, 0)
    assert events["event_id"].is_unique().all()


def test_ids_are_strings_with_leading_zeros(small_sample: Sample) -> None:
    assert small_sample.events[s.USER_ID].drop_nulls().str.starts_with("u0").all()


def test_events_are_sorted_by_person_and_time(small_sample: Sample) -> None:
    ev = small_sample.events
    assert ev.select((pl.col(s.TIMESTAMP).diff().over(s.ANONYMOUS_ID) >= 0).fill_null(True).all()).item()


def test_chunks_hold_distinct_users() -> None:
    chunks = list(iter_sample_chunks(250, chunk_users=100, seed=1))
    assert [c.truth.users.height for c in chunks] == [100, 100, 50]
    ids = pl.concat([c.truth.users.select("anonymous_id") for c in chunks])
    assert ids["anonymous_id"].is_unique().all()


def test_generation_is_vectorised_enough_for_large_sizes() -> None:
    # 20k users in well under a few seconds means 100M events stay within minutes, chunked
    sample = generate_sample(20_000, seed=2)
    assert 250_000 < sample.events.height < 450_000


def test_every_persona_and_channel_is_present(small_sample: Sample) -> None:
    assert set(small_sample.truth.users["persona"]) == set(PERSONA_NAMES)
    assert set(small_sample.events[s.CHANNEL]) == set(CHANNELS)


def test_planted_personas_have_distinct_event_mixes(small_sample: Sample) -> None:
    ev = small_sample.events.join(small_sample.truth.users.select("anonymous_id", "persona"), on="anonymous_id")
    share = ev.group_by("persona", s.EVENT).len().with_columns(
        share=pl.col("len") / pl.col("len").sum().over("persona"))
    overall = ev.group_by(s.EVENT).len().with_columns(overall=pl.col("len") / pl.col("len").sum())
    index = share.join(overall.select(s.EVENT, "overall"), on=s.EVENT).with_columns(
        index=pl.col("share") / pl.col("overall"))
    top = index.sort("index", descending=True).group_by("persona").first()
    assert top.height == 4
    assert top[s.EVENT].n_unique() == 4, top  # each persona over-indexes most on a different event
    assert top["index"].min() > 1.5  # type: ignore[operator]


def test_touching_the_strongest_channel_raises_purchase_rate_most() -> None:
    sample = generate_sample(20_000, seed=5)
    touched = sample.events.group_by(s.ANONYMOUS_ID).agg(pl.col(s.CHANNEL).unique().alias("channels"))
    users = sample.truth.users.join(touched, on="anonymous_id")
    lift = {
        c: users.filter(pl.col("channels").list.contains(c))["converted"].mean()
        / users.filter(~pl.col("channels").list.contains(c))["converted"].mean()
        for c in CHANNELS
    }
    assert max(lift, key=lambda c: lift[c]) == STRONGEST_CHANNEL


def test_planted_worst_step_has_the_lowest_step_conversion(small_sample: Sample) -> None:
    reached = [small_sample.events.filter(pl.col(s.EVENT) == e)[s.ANONYMOUS_ID].n_unique() for e in FUNNEL_STEPS]
    rates = {(a, b): nb / na for a, b, na, nb in zip(FUNNEL_STEPS, FUNNEL_STEPS[1:], reached, reached[1:],
                                                       strict=False)}
    assert min(rates, key=lambda k: rates[k]) == WORST_STEP


def test_anonymous_first_users_are_anonymous_before_login(small_sample: Sample) -> None:
    users = small_sample.truth.users.filter(pl.col("identity") == "anonymous_first", pl.col("sessions") > 1)
    ev = small_sample.events.join(users.select("anonymous_id", pl.col("user_id").alias("true_id")),
                                  on="anonymous_id")
    first_login = ev.filter(pl.col(s.EVENT) == "login").group_by(s.ANONYMOUS_ID).agg(
        pl.col(s.TIMESTAMP).min().alias("login"))
    ev = ev.join(first_login, on=s.ANONYMOUS_ID)
    before = ev.filter(pl.col(s.TIMESTAMP) < pl.col("login"))
    after = ev.filter(pl.col(s.TIMESTAMP) >= pl.col("login"))
    assert before.height > 0
    assert before[s.USER_ID].null_count() == before.height
    assert (after[s.USER_ID] == after["true_id"]).all()


def test_revenue_only_on_purchases(small_sample: Sample) -> None:
    ev = small_sample.events
    assert ev.filter(pl.col(s.REVENUE).is_not_null())[s.EVENT].unique().to_list() == ["purchase"]
    assert ev.filter(pl.col(s.EVENT) == "purchase")[s.REVENUE].min() > 0  # type: ignore[operator]


def test_sessions_are_at_least_an_hour_apart_and_events_within_twenty_minutes(small_sample: Sample) -> None:
    gaps = small_sample.events.select(pl.col(s.TIMESTAMP).diff().over(s.ANONYMOUS_ID).drop_nulls())[s.TIMESTAMP]
    assert gaps.filter((gaps > timedelta(minutes=20)) & (gaps < timedelta(hours=1))).len() == 0



def test_shipped_sample_equals_generator_output() -> None:
    shipped = pl.read_parquet(SAMPLE_PATH)
    assert_frame_equal(shipped, generate_sample(SAMPLE_USERS, seed=SAMPLE_SEED).events)


def test_shipped_german_export_equals_generator_output() -> None:
    expected = to_german_excel_csv(generate_sample(GERMAN_EXPORT_USERS, seed=SAMPLE_SEED + 1).events)
    assert GERMAN_EXPORT_PATH.read_bytes() == expected


def test_german_excel_export_loads_back_exactly() -> None:
    events = generate_sample(200, seed=3).events
    loaded = load_events(("export.csv", to_german_excel_csv(events)), timezone="Europe/Berlin")
    back = loaded.events.rename({"Ereignis-ID": "event_id"}).select("event_id", s.TIMESTAMP, s.REVENUE, s.USER_ID)
    expected = events.select("event_id", pl.col(s.TIMESTAMP).dt.truncate("1s"), s.REVENUE, s.USER_ID)
    assert_frame_equal(back.sort("event_id"), expected.sort("event_id"))
    assert loaded.report.summary()["rejected"].sum() == 0
