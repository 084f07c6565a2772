"""Segment track/page/screen/identify messages, built from the fields and examples of Segment's Spec."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

from analysis.ingest import load_events
from analysis.prepare.identity import stitch_identities


def message(kind: str, message_id: str, ts: str, **fields: object) -> dict[str, object]:
    return {"type": kind, "messageId": message_id, "timestamp": ts, "anonymousId": "507f191e810c19729de860ea",
            "context": {"ip": "8.8.8.8", "library": {"name": "analytics.js", "version": "2.11.1"}},
            "receivedAt": ts, "sentAt": ts, "version": 2} | fields


MESSAGES = [
    message("page", "ajs-1", "2015-02-23T22:28:55.111Z", name="Pricing", properties={"path": "/pricing"},
            context={"campaign": {"name": "TPS Innovation Newsletter", "source": "Newsletter", "medium": "email"},
                     "page": {"referrer": "https://mail.example/", "path": "/pricing"}}),
    message("track", "ajs-2", "2015-02-23T22:30:00.000Z", event="Signed Up", properties={"plan": "Enterprise"}),
    message("screen", "ajs-3", "2015-02-23T22:31:00.000Z", name=None),
    # the person logs in: identify links the anonymous device to the user id; no other event has that userId
    message("identify", "ajs-4", "2015-02-23T22:32:00.000Z", userId="97980cfea0067",
            traits={"email": "peter@example.com", "name": "Peter Gibbons", "plan": "premium"}),
    message("track", "ajs-2", "2015-02-23T22:30:00.000Z", event="Signed Up", properties={"plan": "Enterprise"}),
]


def segment_file() -> bytes:
    return gzip.compress(b"".join(json.dumps(m).encode() + b"\n" for m in MESSAGES))


def test_messages_load_with_names_ids_and_campaign() -> None:
    result = load_events(("segment/2015-02-23/events.json.gz", segment_file()))
    f = result.report.files[0]
    assert f.format == "segment" and f.duplicates == 1  # messageId ajs-2 twice
    e = result.events.sort("timestamp")
    assert e.select("user_id", "event", "source", "medium", "campaign", "referrer").rows() == [
        (None, "Viewed Pricing Page", "Newsletter", "email", "TPS Innovation Newsletter", "https://mail.example/"),
        (None, "Signed Up", None, None, None, None),
        (None, "Loaded a Screen", None, None, None, None),
        ("97980cfea0067", "identify", None, None, None, None)]
    assert e["timestamp"][0] == datetime(2015, 2, 23, 22, 28, 55, 111000, tzinfo=UTC)
    assert any("identify call(s) kept" in n for n in f.notes)


def test_identify_links_the_device_to_the_person_for_stitching() -> None:
    events = load_events(("s.json.gz", segment_file())).events
    stitched = stitch_identities(events)
    assert stitched["user_id"].unique().to_list() == ["97980cfea0067"]


def test_traits_with_personal_data_are_left_out_and_reported() -> None:
    result = load_events(("s.json.gz", segment_file()))
    assert {"traits.email", "traits.name", "context.ip"} <= set(result.report.dropped_columns)
    assert "traits.email" not in result.events.columns and "traits.plan" in result.events.columns
    # a page's name is not a person's: kept as page_name, not flagged
    assert "page_name" not in result.report.personal_columns
    assert result.events.sort("timestamp")["page_name"].to_list()[0] == "Pricing"
