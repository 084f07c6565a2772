"""Mixpanel raw export, built from the fields of Mixpanel's Import Events / Raw Event Export references."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from analysis.ingest import load_events


def mixpanel(*events: dict[str, object]) -> bytes:
    return b"\n".join(json.dumps(e).encode() for e in events) + b"\n"


# The two events of Mixpanel's own Import Events example (time in ms), unchanged.
DOC_EXAMPLE = mixpanel(
    {"event": "Signup", "properties": {"time": 1618716477000, "distinct_id": "91304156-cafc-4673-a237-623d1129c801",
                                       "$insert_id": "29fc2962-6d9c-455d-95ad-95b84f09b9e4",
                                       "Referred by": "Friend", "URL": "mixpanel.com/signup"}},
    {"event": "Purchase", "properties": {"time": 1618716477000, "distinct_id": "91304156-cafc-4673-a237-623d1129c801",
                                         "$insert_id": "935d87b1-00cd-41b7-be34-b9d98dd08b42", "Item": "Coffee",
                                         "Amount": 5.0}},
)


def test_the_documented_example_loads_with_no_mapping() -> None:
    result = load_events(("export.json", DOC_EXAMPLE))
    f = result.report.files[0]
    assert f.format == "mixpanel"
    assert f.mapping["event_id"] == "properties.$insert_id" and f.mapping["revenue"] == "properties.Amount"
    e = result.events.sort("event")
    assert e.select("user_id", "event", "revenue").rows() == [
        ("91304156-cafc-4673-a237-623d1129c801", "Purchase", 5.0),
        ("91304156-cafc-4673-a237-623d1129c801", "Signup", None)]
    assert e["timestamp"].unique().to_list() == [datetime(2021, 4, 18, 3, 27, 57, tzinfo=UTC)]
    assert e["properties.Referred by"].to_list() == [None, "Friend"]


def test_seconds_and_milliseconds_in_one_export_are_both_read() -> None:
    data = mixpanel({"event": "a", "properties": {"time": 1740823200, "distinct_id": "u", "$insert_id": "1"}},
                    {"event": "b", "properties": {"time": 1740823260500, "distinct_id": "u", "$insert_id": "2"}})
    ts = load_events(("m.json", data)).events.sort("event")["timestamp"].to_list()
    assert ts == [datetime(2025, 3, 1, 10, 0, tzinfo=UTC), datetime(2025, 3, 1, 10, 1, 0, 500000, tzinfo=UTC)]


def test_simplified_id_merge_gives_device_and_user() -> None:
    data = mixpanel(
        {"event": "View", "properties": {"time": 1740823200, "distinct_id": "$device:d-1", "$device_id": "d-1",
                                         "$insert_id": "1", "utm_source": "newsletter", "utm_medium": "email",
                                         "$referrer": "https://mail.example/"}},
        {"event": "Login", "properties": {"time": 1740823260, "distinct_id": "u-9", "$device_id": "d-1",
                                          "$user_id": "u-9", "$insert_id": "2", "$initial_referrer": "$direct"}},
    )
    e = load_events(("m.json", data)).events.sort("timestamp")
    assert e.select("user_id", "anonymous_id", "source", "medium", "referrer").rows() == [
        (None, "d-1", "newsletter", "email", "https://mail.example/"), ("u-9", "d-1", None, None, None)]


def test_insert_id_repeats_are_dropped_as_duplicates() -> None:
    one = {"event": "a", "properties": {"time": 1740823200, "distinct_id": "u", "$insert_id": "same"}}
    again = {"event": "a", "properties": {"time": 1740823201, "distinct_id": "u", "$insert_id": "same"}}
    f = load_events(("m.json", mixpanel(one, again))).report.files[0]
    assert (f.kept, f.duplicates) == (1, 1)
