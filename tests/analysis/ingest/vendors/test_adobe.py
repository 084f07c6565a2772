"""Adobe Analytics data feed zip, built from Adobe's "Data feed contents", "Data column reference" and
"Use data feeds to calculate common metrics" pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analysis.errors import IngestError
from analysis.ingest import load_events
from tests.analysis.ingest.files import zip_bytes

HEADERS = ["accept_language", "date_time", "exclude_hit", "hit_source", "hit_time_gmt", "post_campaign",
           "post_event_list", "post_page_event", "post_pagename", "post_product_list", "post_referrer",
           "post_visid_high", "post_visid_low", "visit_num", "ip"]
# event.tsv as Adobe ships it: numeric id, tab, name
EVENT_TSV = b"1\tPurchase\n2\tProduct View\n10\tCart Open\n12\tCart Add\n100\tInstance of eVar1\n200\tSign Up\n"


def hit(**fields: str) -> str:
    row = dict.fromkeys(HEADERS, "") | {"exclude_hit": "0", "hit_source": "1", "post_page_event": "0",
                                        "post_visid_high": "3027264578953041920",
                                        "post_visid_low": "4611686018427387904", "visit_num": "1",
                                        "ip": "203.0.113.9"} | fields
    return "\t".join(row[h] for h in HEADERS)


HITS = [
    hit(hit_time_gmt="1740823200", date_time="2025-03-01 11:00:00", post_pagename="Home",
        post_campaign="spring_sale", post_referrer="https://www.google.com/", post_event_list="100"),
    hit(hit_time_gmt="1740823260", post_pagename="Shoe", post_event_list="2,12"),
    hit(hit_time_gmt="1740823290", post_page_event="100", post_event_list="200"),
    hit(hit_time_gmt="1740823320", post_pagename="Thank you", post_event_list="1,200=1",
        post_product_list="Shoes;Runner;1;89.90;;,Socks;Wool;2;10.10;;"),
    hit(hit_time_gmt="1740823330", post_pagename="Home", exclude_hit="3"),  # excluded (e.g. bot rule)
    hit(hit_time_gmt="1740823340", post_event_list="1", hit_source="5",
        post_product_list=";Import;1;1000.00"),  # a data-source hit, not behaviour
]


def feed(hits: list[str] = HITS, *, lookups: bool = True) -> bytes:
    members = {"column_headers.tsv": "\t".join(HEADERS).encode() + b"\n",
               "hit_data.tsv": ("\n".join(hits) + "\n").encode(),
               "browser.tsv": b"1\tGoogle Chrome 122\n"}
    if lookups:
        members["event.tsv"] = EVENT_TSV
    return zip_bytes(members)


def test_the_delivery_zip_loads_with_visitors_events_and_revenue() -> None:
    result = load_events(("report-suite_2025-03-01.zip", feed()))
    f = result.report.files[0]
    assert (f.format, f.container) == ("adobe", "adobe")
    e = result.events.sort("timestamp", "event")
    visitor = "3027264578953041920_4611686018427387904"
    assert e["anonymous_id"].unique().to_list() == [visitor]
    assert e["session_id"].unique().to_list() == [f"{visitor}:1"]
    assert e.select("event", "revenue", "campaign").rows() == [
        ("Page View", None, "spring_sale"),
        ("Cart Add", None, None), ("Page View", None, None), ("Product View", None, None),
        ("Custom Link", None, None), ("Sign Up", None, None),
        ("Page View", None, None), ("Purchase", pytest.approx(100.0), None), ("Sign Up", None, None)]
    assert e["timestamp"][0] == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    notes = " | ".join(f.notes)
    assert "6 hits" in notes and "1 hits with exclude_hit > 0" in notes and "1 hits with hit_source 5" in notes
    assert "9 events from 4 hits" in notes and "1 'Instance of eVar' counters left out" in notes
    assert "ip" in result.report.dropped_columns


def test_without_event_tsv_events_keep_their_ids_and_the_report_warns() -> None:
    result = load_events(("feed.zip", feed(lookups=False)))
    assert "event 200" in result.events["event"].to_list()
    assert any("no event.tsv" in w for w in result.report.warnings)


def test_a_lone_hit_data_file_is_explained() -> None:
    lone = ("\t".join(HEADERS) + "\n" + "\n".join(HITS) + "\n").encode()
    with pytest.raises(IngestError, match="Load the delivery zip as Adobe sends it"):
        load_events(("hit_data.tsv", lone))


def test_hits_that_do_not_match_the_headers_are_named() -> None:
    with pytest.raises(IngestError, match=r"the 15 tab-separated fields that column_headers.tsv names"):
        load_events(("feed.zip", feed([h + "\textra" for h in HITS])))


def test_without_hit_time_gmt_date_time_is_read_in_the_report_suites_time_zone() -> None:
    headers = [h for h in HEADERS if h != "hit_time_gmt"]
    hits = ["\t".join(v for h, v in zip(HEADERS, line.split("\t"), strict=True) if h != "hit_time_gmt")
            for line in HITS[:1]]
    data = zip_bytes({"column_headers.tsv": "\t".join(headers).encode() + b"\n",
                      "hit_data.tsv": ("\n".join(hits) + "\n").encode(), "event.tsv": EVENT_TSV})
    result = load_events(("feed.zip", data), timezone="America/New_York")
    assert result.report.files[0].mapping["timestamp"] == "date_time"
    # 11:00 in New York (EST) is 16:00 UTC
    assert result.events["timestamp"].to_list() == [datetime(2025, 3, 1, 16, 0, tzinfo=UTC)]
