"""Tiny, realistic export files (bytes) in each supported style: for tests, docs and the Data page."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

#: The moment every timestamp example shows (the day is over 12, so day and month cannot be confused).
EXAMPLE_MOMENT = datetime(2025, 3, 21, 14, 5, 9, 250000)
_EXAMPLE_ZONE = "Europe/Berlin"  # +01:00 on that day: an offset that is visibly not UTC
_EPOCH_UNITS = {"s": ("seconds", 1), "ms": ("milliseconds", 1_000), "us": ("microseconds", 1_000_000),
                "ns": ("nanoseconds", 1_000_000_000)}


def timestamp_example(fmt: str) -> str:
    """How a timestamp in the parse format ``fmt`` looks, shown instead of the format string itself.

    Examples
    --------
    >>> timestamp_example("%Y-%m-%dT%H:%M:%S%.f%#z"), timestamp_example("%d.%m.%Y %H:%M")
    ('2025-03-21T14:05:09.250+01:00', '21.03.2025 14:05')
    """
    moment = pl.Series([EXAMPLE_MOMENT])
    if "%#z" in fmt or "%z" in fmt or "%:z" in fmt:
        moment = moment.dt.replace_time_zone(_EXAMPLE_ZONE)
        fmt = fmt.replace("%#z", "%:z")
    return str(moment.dt.strftime(fmt)[0])


def epoch_example(unit: str) -> str:
    """Epoch numbers in words with an example: what a unit of ``s``, ``ms``, ``us`` or ``ns`` means.

    Examples
    --------
    >>> epoch_example("us")
    'microseconds since 1 Jan 1970, e.g. 1742562309250000 = 2025-03-21 13:05:09 UTC'
    """
    words, per_second = _EPOCH_UNITS[unit]
    moment = EXAMPLE_MOMENT.replace(hour=13, tzinfo=UTC)  # 14:05 in Berlin is 13:05 UTC
    value = int(moment.timestamp() * 1_000_000) * per_second // 1_000_000
    return f"{words} since 1 Jan 1970, e.g. {value} = {moment:%Y-%m-%d %H:%M:%S} UTC"


def timestamp_examples(formats: tuple[str, ...]) -> str:
    """Several parse formats as examples: "like 2025-03-21 14:05:09.250 or 21.03.2025 14:05".

    Examples
    --------
    >>> timestamp_examples(("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"))
    'like 2025-03-21 14:05:09.250 or 2025-03-21 14:05'
    """
    shown = list(dict.fromkeys(timestamp_example(f) for f in formats))
    return "like " + (", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0])


def ga4_csv() -> bytes:
    """A GA4 BigQuery export flattened to CSV (event_timestamp in µs, event_params.* columns)."""
    return (
        b"event_date,event_timestamp,event_name,user_pseudo_id,user_id,event_params.ga_session_id,"
        b"event_params.page_location,collected_traffic_source.manual_source,"
        b"collected_traffic_source.manual_medium,collected_traffic_source.manual_campaign_name,"
        b"ecommerce.purchase_revenue,event_params\n"
        b"20250301,1740823200000000,page_view,111.222,,1740823200,https://shop.example/,google,cpc,spring,,\n"
        b"20250301,1740823260000000,add_to_cart,111.222,,1740823200,https://shop.example/p/1,google,cpc,spring,,\n"
        b"20250301,1740823320000000,purchase,111.222,00042,1740823200,https://shop.example/thanks,"
        b"google,cpc,spring,49.9,\n"
        b"20250302,1740909600000000,page_view,333.444,,1740909600,https://shop.example/,(direct),(none),,,\n"
    )


def segment_csv() -> bytes:
    """A Segment warehouse ``tracks`` table as CSV (camelCase ids, ISO timestamps, messageId)."""
    return (
        b"messageId,type,anonymousId,userId,event,timestamp,context.campaign.source,"
        b"context.campaign.medium,context.campaign.name,context.page.referrer,properties.revenue\n"
        b"m-1,track,a-1,,Page Viewed,2025-03-01T10:00:00.000Z,newsletter,email,march,,\n"
        b"m-2,track,a-1,u-7,Signed Up,2025-03-01T10:05:00+01:00,newsletter,email,march,,\n"
        b"m-3,track,a-1,u-7,Order Completed,2025-03-01T10:09:30.250Z,,,,https://www.google.com/,120.5\n"
    )


def mixpanel_csv() -> bytes:
    """A Mixpanel raw export flattened to CSV (time in epoch seconds, $insert_id)."""
    return (
        b"event,time,distinct_id,$insert_id,$device_id,utm_source,utm_medium,utm_campaign,$referrer\n"
        b"Page View,1740823200,u-1,ins-1,dev-1,facebook,paid_social,spring,https://facebook.com/\n"
        b"Add To Cart,1740823290,u-1,ins-2,dev-1,,,,\n"
        b"Purchase,1740823400,u-1,ins-3,dev-1,,,,\n"
    )


def snowplow_csv() -> bytes:
    """Snowplow atomic events (derived_tstamp, domain_userid, mkt_* fields, tr_total)."""
    return (
        b"event_id,collector_tstamp,derived_tstamp,dvce_created_tstamp,event,event_name,user_id,"
        b"domain_userid,domain_sessionid,mkt_source,mkt_medium,mkt_campaign,page_referrer,tr_total\n"
        b"e-1,2025-03-01 10:00:01.000,2025-03-01 10:00:00.000,2025-03-01 10:00:00.000,page_view,page_view,,"
        b"d-1,s-1,bing,cpc,brand,,\n"
        b"e-2,2025-03-01 10:02:01.000,2025-03-01 10:02:00.000,2025-03-01 10:02:00.000,struct,add_to_cart,,"
        b"d-1,s-1,,,,,\n"
        b"e-3,2025-03-01 10:04:01.000,2025-03-01 10:04:00.000,2025-03-01 10:04:00.000,transaction,"
        b"transaction,c-9,d-1,s-1,,,,,89.00\n"
    )


def german_excel_csv() -> bytes:
    """A German Excel CSV: Windows-1252, ``sep=;`` line, DD.MM.YYYY times, decimal comma and thousands dot."""
    return (
        "sep=;\r\n"
        "Kundennummer;Zeitstempel;Ereignis;Quelle;Kampagne;Umsatz\r\n"
        "00123;01.03.2025 10:00;Seitenaufruf;Newsletter;Frühling €;\r\n"
        "00123;01.03.2025 10:05;Kauf;Newsletter;Frühling €;1.234,56\r\n"
        "00456;02.03.2025 09:30:15;Retoure;;;-0,5\r\n"
    ).encode("cp1252")


def ga4_parquet() -> bytes:
    """A GA4 BigQuery export as Parquet with nested ``event_params`` and traffic source records."""
    value = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()),
                       ("float_value", pa.float64()), ("double_value", pa.float64())])
    param = pa.struct([("key", pa.string()), ("value", value)])
    traffic = pa.struct([("manual_source", pa.string()), ("manual_medium", pa.string()),
                         ("manual_campaign_name", pa.string())])

    def p(key: str, s: str | None = None, i: int | None = None) -> dict[str, object]:
        return {"key": key, "value": {"string_value": s, "int_value": i, "float_value": None,
                                      "double_value": None}}

    table = pa.table({
        "event_date": ["20250301", "20250301", "20250301"],
        "event_timestamp": pa.array([1740823200000000, 1740823260000000, 1740823320000000], pa.int64()),
        "event_name": ["page_view", "add_to_cart", "purchase"],
        "user_pseudo_id": ["111.222", "111.222", "111.222"],
        "user_id": [None, None, "00042"],
        "event_params": pa.array([
            [p("page_location", "https://shop.example/"), p("ga_session_id", i=1740823200),
             p("page_referrer", "https://www.google.com/")],
            [p("page_location", "https://shop.example/p/1"), p("ga_session_id", i=1740823200)],
            [p("page_location", "https://shop.example/thanks"), p("ga_session_id", i=1740823200)],
        ], pa.list_(param)),
        "collected_traffic_source": pa.array([
            {"manual_source": "google", "manual_medium": "cpc", "manual_campaign_name": "spring"},
            None, None], traffic),
        "traffic_source": pa.array([{"source": "google", "medium": "cpc", "name": "spring"}] * 3),
        "ecommerce": pa.array([None, None, {"purchase_revenue": 49.9}],
                              pa.struct([("purchase_revenue", pa.float64())])),
    })
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


#: Example files by display name, e.g. for a "try an example" control.
EXAMPLES = {
    "ga4_export.csv": ga4_csv,
    "segment_tracks.csv": segment_csv,
    "mixpanel_export.csv": mixpanel_csv,
    "snowplow_events.csv": snowplow_csv,
    "kunden_export_excel.csv": german_excel_csv,
    "ga4_events.parquet": ga4_parquet,
}
