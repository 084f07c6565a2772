"""The benchmark's sample events written as each vendor exports them (JSON lines, zips, TSV), with Polars only."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import polars as pl

from analysis.ingest import SNOWPLOW_COLUMNS

_ISO = "%Y-%m-%dT%H:%M:%S%.6fZ"


def _ndjson(frame: pl.DataFrame, path: Path) -> Path:
    frame.write_ndjson(path)
    return path


def plain_ndjson(events: pl.DataFrame, path: Path) -> Path:
    """The canonical columns as JSON lines (ISO timestamps), the JSON twin of the CSV file."""
    return _ndjson(events.with_columns(pl.col("timestamp").dt.strftime(_ISO)), path)


def mixpanel(events: pl.DataFrame, path: Path) -> Path:
    """Mixpanel's raw export: event plus a properties object (time in seconds, $insert_id, utm_*)."""
    distinct = pl.coalesce("user_id", pl.lit("$device:") + pl.col("anonymous_id"))
    props = pl.struct(time=pl.col("timestamp").dt.epoch("s"), distinct_id=distinct,
                      **{"$device_id": pl.col("anonymous_id"), "$user_id": pl.col("user_id"),
                         "$insert_id": pl.col("event_id"), "$referrer": pl.col("referrer"), "$os": pl.col("device")},
                      utm_source=pl.col("source"), utm_medium=pl.col("medium"), utm_campaign=pl.col("campaign"),
                      Amount=pl.col("revenue"), mp_country_code=pl.col("country"))
    return _ndjson(events.select("event", props.alias("properties")), path)


def segment(events: pl.DataFrame, path: Path) -> Path:
    """Segment messages: page calls for page views, track calls for the rest, context.campaign and page."""
    page = pl.col("event") == "page_view"
    frame = events.select(
        pl.when(page).then(pl.lit("page")).otherwise(pl.lit("track")).alias("type"),
        pl.col("event_id").alias("messageId"), pl.col("anonymous_id").alias("anonymousId"),
        pl.col("user_id").alias("userId"), pl.col("timestamp").dt.strftime(_ISO).alias("timestamp"),
        pl.when(~page).then(pl.col("event")).alias("event"), pl.when(page).then(pl.lit("Home")).alias("name"),
        pl.struct(campaign=pl.struct(source="source", medium="medium", name="campaign"),
                  page=pl.struct(referrer="referrer")).alias("context"),
        pl.struct(revenue="revenue", device="device").alias("properties"),
    )
    return _ndjson(frame, path)


def ga4_json(events: pl.DataFrame, path: Path) -> Path:
    """GA4's BigQuery JSON export: event_params as key/value records, INT64 as strings, ecommerce revenue."""
    def param(key: str, value: pl.Expr) -> pl.Expr:
        return pl.struct(key=pl.lit(key), value=pl.struct(string_value=value, int_value=pl.lit(None, pl.String)))

    frame = events.select(
        pl.col("timestamp").dt.strftime("%Y%m%d").alias("event_date"),
        pl.col("timestamp").dt.epoch("us").cast(pl.String).alias("event_timestamp"),
        pl.col("event").alias("event_name"), pl.col("anonymous_id").alias("user_pseudo_id"), "user_id",
        pl.concat_list(param("source", pl.col("source")), param("medium", pl.col("medium")),
                       param("campaign", pl.col("campaign")), param("page_referrer", pl.col("referrer")))
        .alias("event_params"),
        pl.struct(purchase_revenue="revenue").alias("ecommerce"), pl.struct(category="device").alias("device"),
    )
    return _ndjson(frame, path)


def amplitude_zip(events: pl.DataFrame, path: Path) -> Path:
    """Amplitude's Export API zip: one gzipped JSON-lines file per hour."""
    frame = events.select(
        pl.col("event").alias("event_type"),
        pl.col("timestamp").dt.strftime("%Y-%m-%d %H:%M:%S%.6f").alias("event_time"),
        "user_id", pl.col("anonymous_id").alias("device_id"), pl.col("event_id").alias("uuid"),
        pl.col("event_id").alias("$insert_id"), pl.lit(-1).alias("session_id"), pl.lit(187520).alias("app"),
        pl.struct(**{"$revenue": pl.col("revenue")}).alias("event_properties"),
        pl.struct(utm_source="source", utm_medium="medium", utm_campaign="campaign", referrer="referrer")
        .alias("user_properties"),
        pl.col("timestamp").dt.strftime("%Y-%m-%d_%-H").alias("__hour"),
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for part in frame.partition_by("__hour", maintain_order=True):
            buf = io.BytesIO()
            part.drop("__hour").write_ndjson(buf)
            archive.writestr(f"187520/187520_{part['__hour'][0]}#0.json.gz", gzip.compress(buf.getvalue(), 1))
    return path


def snowplow_tsv(events: pl.DataFrame, path: Path) -> Path:
    """Snowplow's enriched TSV: the 131 documented fields, no header."""
    ts = pl.col("timestamp").dt.strftime("%Y-%m-%d %H:%M:%S%.3f")
    given = {"app_id": pl.lit("shop"), "platform": pl.lit("web"), "collector_tstamp": ts, "derived_tstamp": ts,
             "dvce_created_tstamp": ts, "event": pl.lit("unstruct"), "event_id": pl.col("event_id"),
             "user_id": pl.col("user_id"), "domain_userid": pl.col("anonymous_id"), "mkt_source": pl.col("source"),
             "mkt_medium": pl.col("medium"), "mkt_campaign": pl.col("campaign"),
             "page_referrer": pl.col("referrer"), "tr_total": pl.col("revenue").cast(pl.String),
             "event_name": pl.col("event"), "v_collector": pl.lit("ssc-2.0.0"), "v_etl": pl.lit("enrich-3.0.0")}
    frame = events.select(given.get(c, pl.lit(None, pl.String)).alias(c) for c in SNOWPLOW_COLUMNS)
    frame.write_csv(path, separator="\t", include_header=False, quote_style="never")
    return path


def adobe_zip(events: pl.DataFrame, path: Path) -> Path:
    """An Adobe data feed delivery: hit_data.tsv (no header), column_headers.tsv and event.tsv."""
    names = sorted(events["event"].unique().to_list())
    ids = {name: str(200 + i) for i, name in enumerate(n for n in names if n not in ("page_view", "purchase"))}
    ids["purchase"] = "1"
    headers = ["hit_time_gmt", "post_visid_high", "post_visid_low", "visit_num", "post_pagename", "post_page_event",
               "post_event_list", "post_product_list", "post_campaign", "post_referrer", "exclude_hit", "hit_source",
               "hitid_high", "hitid_low"]
    page = pl.col("event") == "page_view"
    values = [
        pl.col("timestamp").dt.epoch("s").cast(pl.String), pl.lit("1000"), pl.col("anonymous_id"), pl.lit("1"),
        pl.when(page).then(pl.lit("Home")), pl.lit("0"),
        pl.when(~page).then(pl.col("event").replace_strict(ids, default=None)),
        pl.when(pl.col("event") == "purchase").then(pl.format(";Item;1;{}", pl.col("revenue"))),
        pl.col("campaign"), pl.col("referrer"), pl.lit("0"), pl.lit("1"), pl.lit("77"),
        pl.col("event_id"),
    ]
    hits = events.select(v.alias(h) for v, h in zip(values, headers, strict=True))
    buf = io.BytesIO()
    hits.write_csv(buf, separator="\t", include_header=False, quote_style="never")
    lookup = "".join(f"{i}\t{n}\n" for n, i in ids.items())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("hit_data.tsv", buf.getvalue())
        archive.writestr("column_headers.tsv", "\t".join(headers) + "\n")
        archive.writestr("event.tsv", lookup)
    return path


WRITERS = {
    "NDJSON": ("ingest-{n}.ndjson", plain_ndjson), "Mixpanel JSON": ("mixpanel-{n}.json", mixpanel),
    "Segment JSON": ("segment-{n}.json", segment), "GA4 BigQuery JSON": ("ga4-{n}.json", ga4_json),
    "Amplitude zip (hourly gz)": ("amplitude-{n}.zip", amplitude_zip),
    "Snowplow enriched TSV": ("snowplow-{n}.tsv", snowplow_tsv), "Adobe data feed zip": ("adobe-{n}.zip", adobe_zip),
}
