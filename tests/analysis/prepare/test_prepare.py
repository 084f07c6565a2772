"""prepare: stitching, channels and sessions in one pass, sorted by user and time."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis import schema as s
from analysis.prepare import prepare
from analysis.prepare.channels import assign_channels, load_channel_rules
from analysis.prepare.identity import resolve_identities, stitch_identities
from analysis.prepare.sessions import sessionize
from analysis.sample import Sample
from tests.analysis._events import frame


def test_prepare_stitches_groups_and_sessionizes() -> None:
    events = frame(
        user_id=[None, "u1", None], anonymous_id=["a1", "a1", "a2"], timestamp=[0, 10, 5],
        event=["page_view", "login", "page_view"], source=["google", None, None], medium=["organic", None, None],
    )
    expected = frame(
        user_id=["a2", "u1", "u1"], anonymous_id=["a2", "a1", "a1"], timestamp=[5, 0, 10],
        event=["page_view", "page_view", "login"], source=[None, "google", None], medium=[None, "organic", None],
        channel=["Direct", "Organic Search", "Organic Search"], session_id=["a2-1", "u1-1", "u1-1"],
    )
    assert_frame_equal(prepare(events), expected)


def test_prepare_equals_the_three_steps_chained(small_sample: Sample) -> None:
    raw = small_sample.events.drop(s.CHANNEL)
    chained = assign_channels(sessionize(stitch_identities(raw), gap=timedelta(minutes=45)))
    assert_frame_equal(prepare(raw, session_gap=timedelta(minutes=45)), chained, check_column_order=False)


def test_prepare_keeps_given_channels_and_extra_columns(small_sample: Sample) -> None:
    prepared = prepare(small_sample.events)
    assert prepared.columns == [*small_sample.events.columns, s.SESSION_ID]
    by_id = prepared.join(small_sample.events.select("event_id", pl.col(s.CHANNEL).alias("given")), on="event_id")
    assert (by_id[s.CHANNEL] == by_id["given"]).all()


def test_prepare_output_is_sorted_by_user_and_time(small_sample: Sample) -> None:
    prepared = prepare(small_sample.events)
    assert_frame_equal(prepared, prepared.sort(s.USER_ID, s.TIMESTAMP, maintain_order=True))


def test_prepare_does_not_mutate_input(small_sample: Sample) -> None:
    before = small_sample.events.clone()
    prepare(small_sample.events.drop(s.CHANNEL))
    assert_frame_equal(small_sample.events, before)


def test_prepare_handles_empty_events() -> None:
    out = prepare(s.empty_events())
    assert out.height == 0
    assert out.columns == list(s.CANONICAL_SCHEMA)


def test_prepare_recovers_planted_sessions_and_people(small_sample: Sample) -> None:
    prepared = prepare(small_sample.events)
    truth = small_sample.truth.users
    assert prepared[s.USER_ID].n_unique() == truth.height
    assert prepared[s.SESSION_ID].n_unique() == truth["sessions"].sum()


def test_prepare_can_split_sessions_on_campaign_change() -> None:
    events = frame(
        user_id=["u1"] * 4, timestamp=[0, 1, 2, 3], event=["a", "b", "c", "d"],
        source=["google", None, "newsletter", None], medium=["cpc", None, "email", None],
    )
    out = prepare(events, new_session_on_campaign=True)
    assert out[s.SESSION_ID].to_list() == ["u1-1", "u1-1", "u1-2", "u1-2"]
    assert out[s.CHANNEL].to_list() == ["Paid Search", "Paid Search", "Email", "Email"]


def test_prepare_uses_given_rules() -> None:
    events = frame(user_id=["u1"], timestamp=[0], event=["a"], source=["google"], medium=["cpc"])
    only_direct = load_channel_rules().filter(pl.col("channel") == "Direct")
    assert prepare(events, channel_rules=only_direct)[s.CHANNEL].item() == "Unassigned"


@st.composite
def _raw_events(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 40))
    devices = draw(st.lists(st.sampled_from(["a1", "a2", "a3", None]), min_size=n, max_size=n))
    users = draw(st.lists(st.sampled_from(["u1", "u2", None, None]), min_size=n, max_size=n))
    users = [u if u is not None or d is not None else "u9" for u, d in zip(users, devices, strict=True)]
    minutes = draw(st.lists(st.integers(0, 500), min_size=n, max_size=n))
    sources = draw(st.lists(st.sampled_from(["google", "newsletter", None]), min_size=n, max_size=n))
    return frame(user_id=users, anonymous_id=devices, timestamp=minutes, event=["e"] * n,
                 source=sources, medium=[{"google": "cpc", "newsletter": "email"}.get(x) for x in sources],
                 event_id=[str(i) for i in range(n)])


@settings(max_examples=60, deadline=None)
@given(events=_raw_events())
def test_prepare_invariants(events: pl.DataFrame) -> None:
    out = prepare(events)
    # every event kept once, with a person, a channel and exactly one session that never spans people
    assert sorted(out["event_id"].to_list()) == sorted(events["event_id"].to_list())
    assert out.select(pl.col(s.USER_ID, s.SESSION_ID, s.CHANNEL).null_count()).row(0) == (0, 0, 0)
    assert (out.group_by(s.SESSION_ID).agg(pl.col(s.USER_ID).n_unique())[s.USER_ID] == 1).all()
    # given user ids are never changed; anonymous events of an identified device go to one of its user ids
    joined = out.join(events.select("event_id", pl.col(s.USER_ID).alias("given")), on="event_id")
    assert joined.filter(pl.col("given").is_not_null(), pl.col("given") != pl.col(s.USER_ID)).height == 0
    ids = events.drop_nulls(s.USER_ID).group_by(s.ANONYMOUS_ID).agg(pl.col(s.USER_ID).unique().alias("ids"))
    anon = joined.filter(pl.col("given").is_null()).join(ids, on=s.ANONYMOUS_ID, how="left")
    assert anon.filter(pl.col("ids").is_null(), pl.col(s.USER_ID) != pl.col(s.ANONYMOUS_ID)).height == 0
    assert anon.filter(pl.col("ids").is_not_null(), ~pl.col("ids").list.contains(pl.col(s.USER_ID))).height == 0
    # output sorted by user and time
    assert_frame_equal(out, out.sort(s.USER_ID, s.TIMESTAMP, maintain_order=True))


def test_empty_identifier_columns_link_no_one_and_give_the_graphs_answer() -> None:
    # a loader fills absent canonical columns with nulls: an all-null anonymous_id must not change who is who
    ev = frame(user_id=["u2", "u1", "u2", "u1"], anonymous_id=[None] * 4, timestamp=[50, 0, 0, 10],
               event=["a", "b", "c", "d"], channel=["Email"] * 4)
    graph = resolve_identities(ev).events
    assert_frame_equal(graph, ev)
    expected = sessionize(graph, gap=timedelta(minutes=30))
    assert_frame_equal(prepare(ev), expected.select([*ev.columns, s.SESSION_ID]))
    assert prepare(ev)[s.SESSION_ID].to_list() == ["u1-1", "u1-1", "u2-1", "u2-2"]
