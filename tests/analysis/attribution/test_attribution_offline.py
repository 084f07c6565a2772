"""Offline conversions (orders and lifecycle changes from people files) in attribution: never a touch, credited to
the person's real touches in the lookback, else counted as conversions without a touch (decision 0014)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis import load_people, prepare
from analysis.attribution import attribute, attribution_intervals, conversion_paths, journey_paths
from analysis.journeys import journeys
from analysis.prepare.channels import OFFLINE

RESULT = {"channel": pl.String, "conversions": pl.Float64, "value": pl.Float64, "share": pl.Float64}
PATHS = {"path": pl.List(pl.String), "conversions": pl.Int64, "nulls": pl.Int64, "value": pl.Float64}


def _t(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _web(rows: list[tuple[str, datetime, str, str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"user_id": pl.String, "timestamp": pl.Datetime("us", "UTC"),
                                      "event": pl.String, "source": pl.String, "medium": pl.String}, orient="row")


def _orders(lines: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A shop order export (account, e-mail, time, total) through load_people: its people and its events."""
    loaded = load_people(("orders.csv", ("Order ID,Customer Account,Email,Created at,Total\n" + lines).encode()),
                         key=b"k" * 32)
    assert loaded.people is not None
    return loaded.people, loaded.events


def _prepared(web: pl.DataFrame, orders: str) -> pl.DataFrame:
    people, offline = _orders(orders)
    return prepare(pl.concat([web, offline], how="diagonal_relaxed"), people=people)


def test_an_offline_order_three_days_after_a_paid_search_visit_credits_paid_search() -> None:
    web = _web([("anna", _t(1), "page_view", "google", "cpc")])
    prepared = _prepared(web, "#1,anna,anna@example.de,2026-03-04T10:00:00Z,80.00\n")
    paths = conversion_paths(prepared, conversion_events=["purchase"])
    assert_frame_equal(paths, pl.DataFrame({"path": [["Paid Search"]], "conversions": [1], "nulls": [0],
                                            "value": [80.0]}, schema=PATHS))
    assert_frame_equal(attribute(paths, model="last_touch"), pl.DataFrame(
        {"channel": ["Paid Search"], "conversions": [1.0], "value": [80.0], "share": [1.0]}, schema=RESULT))


def test_an_offline_order_without_any_visit_credits_no_channel_and_is_reported_as_no_touch() -> None:
    prepared = _prepared(_web([("bert", _t(1), "page_view", "google", "cpc")]),
                         "#2,carla,carla@example.de,2026-03-04T10:00:00Z,50.00\n")
    paths = conversion_paths(prepared, conversion_events=["purchase"])
    assert_frame_equal(paths, pl.DataFrame({"path": [[], ["Paid Search"]], "conversions": [1, 0], "nulls": [0, 1],
                                            "value": [50.0, 0.0]}, schema=PATHS))
    expected = pl.DataFrame({"channel": ["(no touch)"], "conversions": [1.0], "value": [50.0], "share": [1.0]},
                            schema=RESULT)
    for model in ("last_touch", "first_touch", "linear", "markov", "shapley"):
        assert_frame_equal(attribute(paths, model=model), expected)


def test_a_visit_outside_the_lookback_gets_no_credit_for_an_offline_order() -> None:
    web = _web([("anna", _t(1), "page_view", "google", "cpc")])
    prepared = _prepared(web, "#1,anna,anna@example.de,2026-03-30T10:00:00Z,80.00\n")  # 29 days later
    within = conversion_paths(prepared, conversion_events=["purchase"], lookback=timedelta(days=30))
    outside = conversion_paths(prepared, conversion_events=["purchase"], lookback=timedelta(days=28))
    assert (within["path"].to_list(), outside["path"].to_list()) == ([["Paid Search"]], [[]])


def test_an_offline_order_during_a_visit_is_credited_to_that_visit_once() -> None:
    # a visit 10:00-10:20 with an e-mail landing; the store order at 10:10 splits nothing and adds no touch
    web = _web([("anna", _t(2, 10), "page_view", "newsletter", "email"),
                ("anna", _t(2, 10, 20), "page_view", None, None)])
    prepared = _prepared(web, "#1,anna,anna@example.de,2026-03-02T10:10:00Z,80.00\n")
    assert prepared["session_id"].to_list() == ["anna-1"] * 3
    paths = conversion_paths(prepared, conversion_events=["purchase"])
    assert paths.rows() == [(["Email"], 1, 0, 80.0)]


def test_journeys_still_show_the_offline_order() -> None:
    web = _web([("anna", _t(1), "page_view", "google", "cpc")])
    prepared = _prepared(web, "#1,anna,anna@example.de,2026-03-04T10:00:00Z,80.00\n")
    j = journeys(prepared, conversion_events=["purchase"])
    assert j.select("touchpoints", "channels", "converted", "value").rows() == [
        (["page_view", "purchase"], ["Paid Search", OFFLINE], True, 80.0)]
    assert journey_paths(prepared, conversion_events=["purchase"])["path"].to_list() == [["Paid Search"]]


def test_intervals_give_the_no_touch_row_bounds_and_the_credits_sum_to_all_conversions() -> None:
    paths = pl.DataFrame({"path": [[], ["A"], ["A", "B"]], "conversions": [4, 3, 3], "nulls": [0, 2, 2],
                          "value": [40.0, 30.0, 30.0]}, schema=PATHS)
    r = attribution_intervals(paths, model="markov", n_boot=40, seed=1)
    row = r.filter(pl.col("channel") == "(no touch)").row(0, named=True)
    assert (row["conversions"], row["share"]) == (4.0, 0.4)
    assert row["conversions_low"] <= 4.0 <= row["conversions_high"]
    assert abs(r["conversions"].sum() - 10.0) < 1e-9


def test_the_engine_counts_conversions_without_a_touch_like_the_frame() -> None:
    web = _web([("anna", _t(1), "page_view", "google", "cpc"), ("bert", _t(2), "page_view", "newsletter", "email")])
    prepared = _prepared(web, "#1,anna,anna@example.de,2026-03-04T10:00:00Z,80.00\n"
                              "#2,carla,carla@example.de,2026-03-04T10:00:00Z,50.00\n")
    in_memory = conversion_paths(prepared, conversion_events=["purchase"])
    assert in_memory.rows() == [([], 1, 0, 50.0), (["Email"], 0, 1, 0.0), (["Paid Search"], 1, 0, 80.0)]
    assert_frame_equal(conversion_paths(prepared, conversion_events=["purchase"], engine="polars"), in_memory)


def test_paths_without_offline_events_are_unchanged_by_the_rule() -> None:
    web = _web([("anna", _t(1), "page_view", "google", "cpc"), ("anna", _t(1, 10, 5), "purchase", None, None)])
    assert conversion_paths(prepare(web), conversion_events=["purchase"]).rows() == [(["Paid Search"], 1, 0, 0.0)]


# --- property: offline events that are not conversions change no conversion path -------------------------------

_WEB_EVENT = st.tuples(st.sampled_from(["u1", "u2"]), st.integers(0, 5 * 24 * 60),
                       st.sampled_from(["page_view", "purchase"]), st.sampled_from([None, "google", "newsletter"]))
_OFFLINE_EVENT = st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.integers(0, 5 * 24 * 60))


@settings(max_examples=50)
@given(st.lists(_WEB_EVENT, min_size=1, max_size=25).filter(lambda rows: any(r[2] == "purchase" for r in rows)),
       st.lists(_OFFLINE_EVENT, max_size=10))
def test_offline_events_never_make_split_or_bridge_a_touch(web_rows: list[tuple[str, int, str, str | None]],
                                                           offline_rows: list[tuple[str, int]]) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    medium = {None: None, "google": "cpc", "newsletter": "email"}
    web = pl.DataFrame(
        [(u, start + timedelta(minutes=m), e, src, medium[src]) for u, m, e, src in web_rows],
        schema={"user_id": pl.String, "timestamp": pl.Datetime("us", "UTC"), "event": pl.String,
                "source": pl.String, "medium": pl.String}, orient="row")
    offline = pl.DataFrame(
        [(u, start + timedelta(minutes=m), "became_customer", OFFLINE) for u, m in offline_rows],
        schema={"user_id": pl.String, "timestamp": pl.Datetime("us", "UTC"), "event": pl.String,
                "channel": pl.String}, orient="row")
    both = prepare(pl.concat([web, offline], how="diagonal_relaxed"))
    alone = prepare(web)
    for lookback in (None, timedelta(days=1)):
        assert_frame_equal(conversion_paths(both.filter(pl.col("channel") != OFFLINE), lookback=lookback),
                           conversion_paths(alone, lookback=lookback))
        assert_frame_equal(conversion_paths(both, lookback=lookback), conversion_paths(alone, lookback=lookback))
    web_sessions = both.filter(pl.col("channel") != OFFLINE).select("user_id", "timestamp", "session_id")
    assert_frame_equal(web_sessions, alone.select("user_id", "timestamp", "session_id"))


def test_on_the_sample_silos_no_store_order_without_a_visit_is_credited_to_a_channel() -> None:
    from analysis.sample import generate_sample, generate_silos  # noqa: PLC0415 (only this test needs the silos)

    web = generate_sample(400, seed=3)
    silos = generate_silos(web)
    crm = load_people(("crm.csv", silos.crm_csv), key=b"k" * 32)
    shop = load_people(("shop.csv", silos.shop_csv), key=b"k" * 32)
    assert crm.people is not None and shop.people is not None
    prepared = prepare(pl.concat([web.events, crm.events, shop.events], how="diagonal_relaxed"),
                       people=pl.concat([crm.people, shop.people], how="diagonal_relaxed"))
    orders = prepared.filter((pl.col("event") == "purchase") & (pl.col("channel") == OFFLINE))
    assert orders.height == shop.events.height
    # store orders of people with no web event at all in the 30 days before: at least these have no touch
    visits = prepared.filter(pl.col("channel") != OFFLINE).select("user_id", pl.col("timestamp").alias("visit"))
    last_visit = orders.sort("timestamp").join_asof(visits.sort("visit"), left_on="timestamp", right_on="visit",
                                                    by="user_id", strategy="backward")
    alone = last_visit.filter(pl.col("visit").is_null()
                              | (pl.col("timestamp") - pl.col("visit") > timedelta(days=30))).height
    paths = conversion_paths(prepared, conversion_events=["purchase"], lookback=timedelta(days=30))
    credit = attribute(paths, model="last_touch")
    untouched = credit.filter(pl.col("channel") == "(no touch)")["conversions"].sum()
    assert alone > 0
    assert alone <= untouched <= orders.height
    assert credit["conversions"].sum() == prepared.filter(pl.col("event") == "purchase").height
    assert OFFLINE not in credit["channel"].to_list()
