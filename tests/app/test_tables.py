"""ui.tables: the shared display of result tables (headings, kinds, dashes, the pinned first column)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from ui.tables import Col, table_view


def test_listed_columns_come_first_with_their_headings_and_the_first_is_pinned() -> None:
    frame = pl.DataFrame({"a_count": [1], "name": ["x"], "conversion_rate": [0.5]})
    shown, config = table_view(frame, {"name": "Step", "conversion_rate": Col("Conversion", "percent")})
    assert shown.columns == ["name", "conversion_rate", "a_count"]
    assert [c["label"] for c in config.values()] == ["Step", "Conversion", "A count"]
    assert [c["pinned"] for c in config.values()] == [True, False, False]


def test_numbers_without_gaps_stay_sortable_numbers_with_a_display_format() -> None:
    frame = pl.DataFrame({"n": [1234, 5], "rate": [0.25, 0.5], "share": [0.1, 0.9]})
    shown, config = table_view(frame, {"n": Col("N", "count"), "rate": Col("Rate", "percent"),
                                       "share": Col("Share", "share")})
    assert shown.to_dict(as_series=False) == {"n": [1234, 5], "rate": [25.0, 50.0], "share": [10.0, 90.0]}
    assert [c["type_config"]["format"] for c in config.values()] == ["localized", "%.1f%%", "%.1f%%"]
    assert config["share"]["type_config"]["type"] == "progress"


def test_gaps_become_dashes_and_kinds_are_formatted_as_text() -> None:
    frame = pl.DataFrame({"n": [1234, None], "rate": [None, 0.2075], "secs": [8040.0, None],
                          "money": [1222.8738, None], "txt": [None, "a"], "flag": [True, None]})
    shown, config = table_view(frame, {"n": Col("N", "count"), "rate": Col("Rate", "percent"),
                                       "secs": Col("Time", "duration"), "money": Col("Revenue", "money"),
                                       "flag": Col("Flag", "flag")}, currency="EUR")
    assert shown.rows() == [("1,234", "–", "2 h 14 min", "€1,222.87", "yes", "–"),
                            ("–", "20.8%", "–", "–", "–", "a")]
    assert config["secs"]["alignment"] == "right"


def test_lists_are_joined_records_are_left_as_they_are_and_times_are_datetimes() -> None:
    frame = pl.DataFrame({"path": [["a", "b"], None], "items": [[{"id": 1}], None],
                          "t": [datetime(2025, 1, 1, tzinfo=UTC), None]})
    shown, config = table_view(frame)
    assert shown["path"].to_list() == ["a → b", "–"]
    assert shown.schema["items"] == frame.schema["items"]
    assert config["t"]["type_config"]["type"] == "datetime"


def test_a_column_the_frame_lacks_is_a_page_bug_and_named() -> None:
    with pytest.raises(KeyError, match="no column"):
        table_view(pl.DataFrame({"a": [1]}), {"b": "B"})
