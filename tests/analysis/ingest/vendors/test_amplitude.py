"""Amplitude Export API zip (hourly .json.gz), built from the response schema of Amplitude's Export API docs."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from analysis.ingest import load_events
from tests.analysis.ingest.files import zip_bytes


def amp(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "server_received_time": "2025-03-01 10:00:01.000000", "app": 187520, "device_carrier": None,
        "city": "Berlin", "user_id": None, "uuid": "u-0", "event_time": "2025-03-01 10:00:00.000000",
        "platform": "Web", "os_version": "122", "amplitude_id": 5001, "processed_time": "2025-03-01 10:00:02.000000",
        "version_name": None, "ip_address": None, "paying": None, "dma": None, "group_properties": {},
        "user_properties": {}, "event_properties": {}, "device_id": "dev-1", "event_type": "Page Viewed",
        "session_id": 1740823200000, "$insert_id": None, "library": "amplitude-ts/2.0.0",
    }
    return base | fields


def export_zip(hours: dict[int, list[dict[str, object]]]) -> bytes:
    members = {f"187520/187520_2025-03-01_{h}#0.json.gz":
               gzip.compress(b"".join(json.dumps(e).encode() + b"\n" for e in events))
               for h, events in hours.items()}
    return zip_bytes(members)


def test_export_zip_loads_as_utc_with_revenue_sessions_and_acquisition() -> None:
    data = export_zip({
        10: [amp(uuid="a-1", **{"$insert_id": "i-1"},
                 user_properties={"utm_source": "google", "utm_medium": "cpc", "referrer": "https://google.com/"}),
             amp(uuid="a-2", event_type="Order Completed", event_time="2025-03-01 10:20:00.000000",
                 user_id="cust-7", event_properties={"$revenue": 30.0})],
        11: [amp(uuid="a-3", event_type="Order Completed", event_time="2025-03-01 11:05:00.000000",
                 user_id="cust-7", session_id=-1, event_properties={"$price": 12.5, "$quantity": 2})],
    })
    result = load_events(("amplitude-export.zip", data), timezone="Europe/Berlin")
    (f,) = result.report.files
    assert (f.format, f.file) == ("amplitude", "amplitude-export.zip (2 JSON files)")
    e = result.events.sort("timestamp")
    assert e["timestamp"].to_list() == [datetime(2025, 3, 1, 10, 0, tzinfo=UTC),
                                        datetime(2025, 3, 1, 10, 20, tzinfo=UTC),
                                        datetime(2025, 3, 1, 11, 5, tzinfo=UTC)]  # UTC, not Berlin time
    assert e.select("user_id", "anonymous_id", "event", "revenue", "session_id", "source", "medium").rows() == [
        (None, "dev-1", "Page Viewed", None, "dev-1:1740823200000", "google", "cpc"),
        ("cust-7", "dev-1", "Order Completed", 30.0, "dev-1:1740823200000", None, None),
        ("cust-7", "dev-1", "Order Completed", 25.0, None, None, None)]


@pytest.mark.parametrize("key", ["$insert_id", "uuid"])
def test_the_same_event_in_two_hourly_files_is_a_duplicate(key: str) -> None:
    event = amp(uuid="same", **{"$insert_id": "same" if key == "$insert_id" else None})
    later = event | {"server_received_time": "2025-03-01 11:00:00.000000"}
    result = load_events(("e.zip", export_zip({10: [event], 11: [later]})))
    assert result.events.height == 1 and result.report.files[0].duplicates == 1
