"""Snowplow enriched events as the enrich step writes them: tab-separated, no header, a fixed column order.

Contract: Snowplow's "Enriched stream TSV file format" page (docs.snowplow.io, docs/pipeline/enriched-tsv-format),
which lists the 131 fields by index (0 ``app_id`` … 130 ``true_tstamp``), and the "Canonical event model", which
defines every ``*_tstamp`` as UTC. Structured events (``event = struct``) are named by ``se_action``; every other
event by ``event_name`` (``page_view``, ``page_ping``, ``link_click``, self-describing event names).
"""

from __future__ import annotations

import io

import polars as pl

from analysis.errors import IngestError
from analysis.ingest._csvread import LINE
from analysis.ingest._vendors.common import Prepared, find, text, utc_text

#: The enriched TSV columns in the documented order (indexes 0..130).
COLUMNS: tuple[str, ...] = (
    "app_id", "platform", "etl_tstamp", "collector_tstamp", "dvce_created_tstamp", "event", "event_id", "txn_id",
    "name_tracker", "v_tracker", "v_collector", "v_etl", "user_id", "user_ipaddress", "user_fingerprint",
    "domain_userid", "domain_sessionidx", "network_userid", "geo_country", "geo_region", "geo_city", "geo_zipcode",
    "geo_latitude", "geo_longitude", "geo_region_name", "ip_isp", "ip_organization", "ip_domain", "ip_netspeed",
    "page_url", "page_title", "page_referrer", "page_urlscheme", "page_urlhost", "page_urlport", "page_urlpath",
    "page_urlquery", "page_urlfragment", "refr_urlscheme", "refr_urlhost", "refr_urlport", "refr_urlpath",
    "refr_urlquery", "refr_urlfragment", "refr_medium", "refr_source", "refr_term", "mkt_medium", "mkt_source",
    "mkt_term", "mkt_content", "mkt_campaign", "contexts", "se_category", "se_action", "se_label", "se_property",
    "se_value", "unstruct_event", "tr_orderid", "tr_affiliation", "tr_total", "tr_tax", "tr_shipping", "tr_city",
    "tr_state", "tr_country", "ti_orderid", "ti_sku", "ti_name", "ti_category", "ti_price", "ti_quantity",
    "pp_xoffset_min", "pp_xoffset_max", "pp_yoffset_min", "pp_yoffset_max", "useragent", "br_name", "br_family",
    "br_version", "br_type", "br_renderengine", "br_lang", "br_features_pdf", "br_features_flash",
    "br_features_java", "br_features_director", "br_features_quicktime", "br_features_realplayer",
    "br_features_windowsmedia", "br_features_gears", "br_features_silverlight", "br_cookies", "br_colordepth",
    "br_viewwidth", "br_viewheight", "os_name", "os_family", "os_manufacturer", "os_timezone", "dvce_type",
    "dvce_ismobile", "dvce_screenwidth", "dvce_screenheight", "doc_charset", "doc_width", "doc_height",
    "tr_currency", "tr_total_base", "tr_tax_base", "tr_shipping_base", "ti_currency", "ti_price_base",
    "base_currency", "geo_timezone", "mkt_clickid", "mkt_network", "etl_tags", "dvce_sent_tstamp",
    "refr_domain_userid", "refr_device_tstamp", "derived_contexts", "domain_sessionid", "derived_tstamp",
    "event_vendor", "event_name", "event_format", "event_version", "event_fingerprint", "true_tstamp"
)
#: Event types the ``event`` field (index 5) takes.
EVENT_TYPES = frozenset({"page_view", "page_ping", "struct", "unstruct", "transaction", "transaction_item",
                         "ad_impression"})
EVENT = "snowplow.event"
_TIMESTAMPS = ("derived_tstamp", "dvce_created_tstamp", "collector_tstamp", "etl_tstamp", "dvce_sent_tstamp",
               "true_tstamp")


def looks_enriched(data: bytes) -> bool:
    """True if the first line is an enriched event: 131 tab-separated fields, a known ``event`` type at index 5.

    Examples
    --------
    >>> line = ["app", "web", "", "2025-03-01 10:00:00.000", "", "page_view"] + [""] * 125
    >>> looks_enriched("\\t".join(line).encode()), looks_enriched(b"a\\tb\\n")
    (True, False)
    """
    first = data[:65536].split(b"\n", 1)[0].rstrip(b"\r")
    fields = first.split(b"\t")
    return len(fields) == len(COLUMNS) and fields[5].decode("utf-8", "replace") in EVENT_TYPES


_KEEP = ("event", "event_id", "event_name", "user_id", "domain_userid", "se_action", "collector_tstamp",
         "derived_tstamp")


def read_enriched(data: bytes, name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read enriched TSV with the documented column names, every field as text, and the line of each row.

    Lines without exactly 131 fields come back apart (line and field count), to be rejected like ragged CSV rows;
    fields empty on every line are left out (the caller's report says how many).

    Examples
    --------
    >>> line = ["app", "web", "", "2025-03-01 10:00:00.000", "", "page_view"] + [""] * 125
    >>> rows, ragged = read_enriched(("\\t".join(line) + "\\nshort\\tline\\n").encode(), "e.tsv")
    >>> rows["collector_tstamp"].to_list(), ragged.rows()
    (['2025-03-01 10:00:00.000'], [(2, 2, 131)])
    """
    try:
        frame = pl.read_csv(io.BytesIO(data), has_header=False, separator="\t", quote_char=None,
                            new_columns=list(COLUMNS), infer_schema=False, raise_if_empty=False,
                            truncate_ragged_lines=True)
        lines = pl.read_csv(io.BytesIO(data), has_header=False, separator="\x1f", quote_char=None,
                            new_columns=["line"], infer_schema=False, raise_if_empty=False)["line"]
    except pl.exceptions.PolarsError as exc:
        raise IngestError(f"{name} cannot be read as Snowplow enriched events ({exc}). Export the enriched stream "
                          "unchanged, or the warehouse table as CSV.") from None
    if lines.len() != frame.height:
        raise IngestError(f"{name}: blank or broken lines between the enriched events; each line must hold one "
                          "event with 131 tab-separated fields. Export the enriched stream unchanged.")
    fields = lines.fill_null("").str.count_matches("\t", literal=True) + 1
    frame = frame.with_row_index(LINE, offset=1).with_columns(pl.col(LINE).cast(pl.Int64))
    good = fields == len(COLUMNS)
    # most of the 131 fields are empty in a given pipeline; they hold no value to keep and widen every later pass
    empty = [c for c in COLUMNS if frame[c].null_count() == frame.height and c not in _KEEP]
    frame = frame.drop(empty)
    ragged = frame.select(LINE).filter(~good).with_columns(fields.filter(~good).cast(pl.Int64).alias("fields"),
                                                           pl.lit(len(COLUMNS), dtype=pl.Int64).alias("expected"))
    return (frame if good.all() else frame.filter(good)), ragged


def prepare(raw: pl.DataFrame, *, name: str) -> Prepared:
    """Name events (``se_action`` for structured events) and mark the UTC timestamps as UTC.

    Examples
    --------
    >>> raw = pl.DataFrame({"event": ["struct"], "event_name": ["event"], "se_action": ["add_to_cart"]})
    >>> prepare(raw, name="f").frame[EVENT].to_list()
    ['add_to_cart']
    """
    cols = raw.columns
    kind, named, action = find(cols, "event"), find(cols, "event_name"), find(cols, "se_action")
    derived = pl.coalesce(pl.when(text(raw, kind) == "struct").then(text(raw, action)), text(raw, named),
                          text(raw, kind)).alias(EVENT)
    marks = [e for c in _TIMESTAMPS if (e := utc_text(raw, find(cols, c))) is not None]
    return Prepared(raw.with_columns(derived, *marks))
