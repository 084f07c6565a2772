"""Splitting events by person: every event exactly once, every stitched person whole in one partition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.engine import identity_routes, partition_by_user, prepare_events, write_partitions
from analysis.engine.embedded import Partitions
from analysis.errors import AnalysisError
from analysis.prepare import prepare
from analysis.prepare.identity import stitch_identities

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _events(rows: list[tuple[str | None, str | None]], *, step: int = 1) -> pl.DataFrame:
    """One event per row, ``step`` rows per minute (ties in time when > 1)."""
    return pl.DataFrame(
        {
            "user_id": [u for u, _ in rows],
            "anonymous_id": [a for _, a in rows],
            "timestamp": [T0 + timedelta(minutes=i // step) for i in range(len(rows))],
            "event": [f"e{i}" for i in range(len(rows))],
        },
        schema={"user_id": pl.String, "anonymous_id": pl.String, "timestamp": pl.Datetime("us", "UTC"),
                "event": pl.String},
    )


ids = st.one_of(st.none(), st.sampled_from(["u1", "u2", "u3", "u4"]))
anons = st.one_of(st.none(), st.sampled_from(["a1", "a2", "a3", "a4", "a5"]))
rows = st.lists(st.tuples(ids, anons).filter(lambda r: r != (None, None)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(rows=rows, n=st.integers(1, 5))
def test_every_event_lands_in_exactly_one_partition(rows: list[tuple[str | None, str | None]], n: int) -> None:
    events = _events(rows)
    parts = partition_by_user(events, n)
    assert len(parts) == n
    assert_frame_equal(pl.concat(parts).sort("event"), events.sort("event"))


@settings(max_examples=60, deadline=None)
@given(rows=rows, n=st.integers(2, 5))
def test_every_stitched_person_is_whole_in_one_partition(rows: list[tuple[str | None, str | None]], n: int) -> None:
    events = _events(rows)
    labelled = pl.concat([p.with_columns(pl.lit(i).alias("part")) for i, p in enumerate(partition_by_user(events, n))])
    people = stitch_identities(labelled).group_by("user_id").agg(pl.col("part").n_unique().alias("parts"))
    assert people["parts"].max() == 1


def test_partitions_keep_the_input_order() -> None:
    events = _events([("u1", "a1"), (None, "a2"), ("u1", None), (None, "a1")])
    (part,) = partition_by_user(events, 1)
    assert part["event"].to_list() == ["e0", "e1", "e2", "e3"]


def test_a_shared_device_joins_its_users_in_one_component() -> None:
    devices, users = identity_routes(_events([("u2", "a1"), (None, "a1"), ("u1", "a1"), ("u3", "a2")]))
    assert devices.rows() == [("a1", "u1"), ("a2", "u3")]
    assert users.rows() == [("u2", "u1")]


def test_components_chain_across_devices() -> None:
    # u3 -a2- u2 -a1- u1: all one component labelled u1
    _, users = identity_routes(_events([("u3", "a2"), ("u2", "a2"), ("u2", "a1"), ("u1", "a1")]))
    assert users.rows() == [("u2", "u1"), ("u3", "u1")]


def test_partition_count_must_be_positive() -> None:
    with pytest.raises(AnalysisError, match="partitions must be at least 1"):
        partition_by_user(_events([("u1", None)]), 0)


def test_written_partitions_hold_every_event_once_in_input_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    events = _events([("u1", "a1"), (None, "a1"), ("u2", None), (None, "a9"), ("u1", None)])
    events.write_parquet(tmp_path / "events.parquet")
    parts = Partitions(paths=write_partitions(tmp_path / "events.parquet", tmp_path / "parts", partitions=3))
    frames = [p for p in parts if p.height]
    assert_frame_equal(pl.concat(frames).sort("event"), events.sort("event"))
    in_memory = [p for p in partition_by_user(events, 3) if p.height]
    assert sorted(f["event"].to_list() for f in frames) == sorted(f["event"].to_list() for f in in_memory)


@settings(max_examples=40, deadline=None)
@given(rows=rows, n=st.integers(1, 4), step=st.sampled_from([1, 3]))
def test_partitioned_prepare_equals_in_memory_for_any_id_layout(rows: list[tuple[str | None, str | None]], n: int,
                                                                step: int) -> None:
    events = _events(rows, step=step)  # step 3: ties in time must keep the input order, as in memory
    assert_frame_equal(prepare_events(events, partitions=n), prepare(events))
