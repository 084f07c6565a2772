"""Snapshots grouped by a people attribute: every group gated like a persona, nothing recoverable by differencing."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from analysis.errors import AnalysisError
from analysis.prepare import prepare
from analysis.sample import generate_sample
from analysis.snapshot import read_snapshot, write_snapshot

K = 10


@pytest.fixture(scope="module")
def tiered() -> pl.DataFrame:
    """200 people: 3 in "Tiny" (fewer than k), 117 "Big", 80 "Mid", as a people attribute on every event."""
    events = prepare(generate_sample(200, seed=1).events)
    users = events["user_id"].unique().sort().to_list()
    tier = pl.DataFrame({"user_id": users,
                         "Segment": ["Tiny" if i < 3 else "Big" if i < 120 else "Mid" for i in range(len(users))]})
    return events.join(tier, on="user_id", how="left")


def _numbers_of(table: pl.DataFrame, group: str) -> list[object]:
    rows = table.filter(pl.col("persona") == group) if "persona" in table.columns else table.clear()
    return [v for row in rows.drop("suppressed", strict=False).iter_rows() for v in row[1:]
            if isinstance(v, int | float)]


def test_a_group_below_k_is_not_recoverable_from_any_table_or_by_differencing(tiered: pl.DataFrame,
                                                                              tmp_path: Path) -> None:
    snap = read_snapshot(write_snapshot(tiered, tmp_path, group_by="Segment", min_group_size=K).path)
    people = snap.tables["personas"]
    published = people.filter(~pl.col("suppressed"))
    assert "Tiny" not in snap.tables["personas"]["persona"].to_list()  # folded into Other, never named
    assert published["persona"].to_list() == ["Big"] and published["users"].to_list() == [117]
    for table in snap.tables.values():  # Other (which holds Tiny) has no number anywhere
        assert _numbers_of(table, "Other") == []
    # differencing: total people minus every published group leaves Tiny together with a withheld big group
    total = snap.metadata["facts"]["people"]
    withheld = people.filter(pl.col("suppressed"))["persona"].to_list()
    assert "Mid" in withheld and "Other" in withheld
    assert total is None or total - int(published["users"].sum()) == 83  # Tiny (3) + Mid (80): not 3
    for table in snap.tables.values():  # Mid's size is published nowhere either, so 83 cannot be split
        assert 80 not in _numbers_of(table, "Mid")
    assert snap.metadata["facts"]["privacy_audit"]["all_protected"]


def test_groups_by_an_attribute_are_named_as_such(tiered: pl.DataFrame, tmp_path: Path) -> None:
    snap = write_snapshot(tiered, tmp_path, group_by="Segment", min_group_size=K, sections=["personas"])
    assert snap.metadata["parameters"]["group_by"] == "Segment"
    assert snap.metadata["definitions"]["personas.persona"].startswith("The people's Segment (a people attribute")


def test_personas_and_an_attribute_at_once_are_refused(tiered: pl.DataFrame, tmp_path: Path) -> None:
    frame = tiered.select("user_id", pl.lit("x").alias("persona")).unique()
    with pytest.raises(AnalysisError, match="choose personas or group_by"):
        write_snapshot(tiered, tmp_path, group_by="Segment", personas=frame)
