from __future__ import annotations

import pytest

from analysis.errors import IngestError
from analysis.ingest._formats import detect_format, normalise


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Context.Campaign.Source", "context_campaign_source"), ("anonymousId", "anonymous_id"),
     ("properties.revenue", "revenue"), ("properties.$insert_id", "$insert_id"), ("\ufeffKunden-ID ", "kunden_id"),
     ("event_params.page_location", "event_params_page_location"), ("USER ID", "user_id")],
)
def test_normalise(name: str, expected: str) -> None:
    assert normalise(name) == expected


@pytest.mark.parametrize(
    ("columns", "fmt"),
    [
        (["event_date", "event_timestamp", "event_name", "user_pseudo_id", "event_params.page_location"], "ga4"),
        (["messageId", "type", "anonymousId", "userId", "event", "timestamp"], "segment"),
        (["event", "properties.time", "properties.distinct_id", "properties.$insert_id"], "mixpanel"),
        (["event_id", "collector_tstamp", "derived_tstamp", "domain_userid", "event_name"], "snowplow"),
        (["Kundennummer", "Zeitstempel", "Ereignis", "Umsatz"], "generic"),
    ],
)
def test_detect_format_by_signature(columns: list[str], fmt: str) -> None:
    assert detect_format(columns).format == fmt


def test_detect_format_scores_the_share_of_signature_columns() -> None:
    detected = detect_format(["event_id", "collector_tstamp", "derived_tstamp", "event_name", "x"])
    assert (detected.format, detected.score) == ("snowplow", 0.8)


def test_adobe_data_feed_is_explained_not_mapped() -> None:
    cols = ["post_visid_high", "post_visid_low", "hit_time_gmt", "post_event_list", "exclude_hit", "post_pagename"]
    with pytest.raises(IngestError, match=r"hit_data\.tsv looks like an Adobe Analytics data feed .*lookup files"):
        detect_format(cols, name="hit_data.tsv")


def test_headerless_adobe_feed_is_explained() -> None:
    values = ["2989461532", "6142521455", "1740823200", "", "0"] * 40
    with pytest.raises(IngestError, match="Adobe Analytics data feed"):
        detect_format(values, name="hit_data.tsv")


def test_ga4_ui_report_is_explained_not_mapped() -> None:
    with pytest.raises(IngestError, match=r"r\.csv is a GA4 report export \(aggregated rows.*BigQuery export"):
        detect_format(["Session default channel group", "Sessions", "Engaged sessions"], name="r.csv",
                      preamble=["# All Users", "# Start date: 20250101", "# End date: 20250131"])


def test_a_shop_export_with_a_value_column_is_not_a_ga4_report() -> None:
    assert detect_format(["order_id", "customer_id", "created_at", "event", "value"]).format == "generic"
