"""Snowplow enriched TSV (no header), built in the column order of Snowplow's "Enriched stream TSV file format"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analysis.errors import IngestError
from analysis.ingest import load_events
from analysis.ingest._vendors.snowplow import COLUMNS


def enriched(**fields: str) -> str:
    row = dict.fromkeys(COLUMNS, "") | {"app_id": "shop", "platform": "web", "v_collector": "ssc-2.0.0",
                                        "v_etl": "snowplow-enrich-3.0.0", "domain_userid": "d-1",
                                        "domain_sessionid": "s-1", "user_ipaddress": "203.0.113.9"} | fields
    return "\t".join(row[c] for c in COLUMNS)


LINES = [
    enriched(event="page_view", event_id="e-1", collector_tstamp="2025-03-01 10:00:01.000",
             derived_tstamp="2025-03-01 10:00:00.000", event_name="page_view", mkt_source="bing", mkt_medium="cpc",
             mkt_campaign="brand", page_referrer="https://www.bing.com/"),
    enriched(event="struct", event_id="e-2", collector_tstamp="2025-03-01 10:02:01.000",
             derived_tstamp="2025-03-01 10:02:00.000", event_name="event", se_category="shop",
             se_action="add_to_cart"),
    enriched(event="transaction", event_id="e-3", collector_tstamp="2025-03-01 10:04:01.000",
             derived_tstamp="2025-03-01 10:04:00.000", event_name="transaction", user_id="c-9", tr_total="89.00"),
    enriched(event="transaction", event_id="e-3", collector_tstamp="2025-03-01 10:04:02.000",
             derived_tstamp="2025-03-01 10:04:00.000", event_name="transaction", user_id="c-9", tr_total="89.00"),
]


def test_enriched_tsv_loads_in_the_documented_order_with_no_mapping() -> None:
    result = load_events(("enriched/part-0001", ("\n".join(LINES) + "\n").encode()), timezone="Europe/Berlin")
    f = result.report.files[0]
    assert (f.format, f.container, f.duplicates) == ("snowplow", "snowplow", 1)
    e = result.events.sort("timestamp")
    assert e.select("user_id", "anonymous_id", "event", "session_id", "source", "medium", "revenue").rows() == [
        (None, "d-1", "page_view", "s-1", "bing", "cpc", None),
        (None, "d-1", "add_to_cart", "s-1", None, None, None),
        ("c-9", "d-1", "transaction", "s-1", None, None, 89.0)]
    # Snowplow timestamps are UTC by definition: the Berlin option does not shift them
    assert e["timestamp"][0] == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert "user_ipaddress" in result.report.dropped_columns


def test_a_line_with_a_missing_field_is_named() -> None:
    broken = LINES[0] + "\n" + "\t".join(LINES[1].split("\t")[:100]) + "\n"
    with pytest.raises(IngestError, match=r"wrong number of fields .first: line 2, .*'100 fields, expected 131'"):
        load_events(("e.tsv", broken.encode()))
    loaded = load_events(("e.tsv", broken.encode()), max_rejected_share=0.6)
    assert loaded.report.rejected_rows.select("line", "reason", "detail").rows() == [
        (2, "wrong number of fields", "100 fields, expected 131")]
