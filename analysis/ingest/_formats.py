"""Recognise the export a file came from by its column names (GA4, Segment, Mixpanel, Snowplow, generic)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from analysis.errors import IngestError
from analysis.schema import CANONICAL_SCHEMA, EVENT, TIMESTAMP

Format = Literal["canonical", "ga4", "segment", "mixpanel", "amplitude", "snowplow", "adobe", "generic"]

_NORMALISE = re.compile(r"[.\-\s/]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

#: Signature columns per export, after :func:`normalise`; the best score >= 0.6 wins.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "ga4": ("event_date", "event_timestamp", "event_name", "user_pseudo_id", "event_params"),
    "segment": ("anonymous_id", "user_id", "event", "timestamp", "type", "message_id"),
    "mixpanel": ("event", "time", "distinct_id", "$insert_id"),
    "amplitude": ("event_type", "event_time", "device_id", "amplitude_id", "uuid", "$insert_id"),
    "snowplow": ("event_id", "collector_tstamp", "derived_tstamp", "domain_userid", "event_name"),
}
_ADOBE = ("post_visid_high", "post_visid_low", "hit_time_gmt", "post_event_list", "exclude_hit")
_GA4_UI_METRICS = {"sessions", "users", "total_users", "active_users", "new_users", "event_count", "views",
                   "engaged_sessions", "engagement_rate", "conversions", "key_events", "bounce_rate",
                   "sitzungen", "nutzer", "aktive_nutzer", "ereignisanzahl", "aufrufe"}
MIN_SCORE = 0.6


@dataclass(frozen=True)
class Detected:
    """The export style found for a file and how well its signature matched (0..1)."""

    format: Format
    score: float


def normalise(column: str) -> str:
    """Casefold a column name and unify separators, so ``Context.Campaign.Source`` matches aliases.

    Examples
    --------
    >>> normalise("properties.$insert_id"), normalise("anonymousId"), normalise(" Kunden-ID ")
    ('$insert_id', 'anonymous_id', 'kunden_id')
    """
    name = column.replace("\ufeff", "").replace("\xa0", " ").strip()
    name = _CAMEL.sub("_", name)
    name = _NORMALISE.sub("_", name).strip("_").casefold()
    for prefix in ("properties_", "context_"):
        if name.startswith(prefix) and name[len(prefix):] in _PREFIXED_OK:
            name = name[len(prefix):]
    return name


# Keys that exports nest under properties./context. but that mean the same as the bare name.
_PREFIXED_OK = {"time", "distinct_id", "$insert_id", "$user_id", "$device_id", "$referrer", "revenue",
                "utm_source", "utm_medium", "utm_campaign", "$initial_referrer", "value", "amount",
                "order_total", "conversion_value", "purchase_revenue", "value_in_usd"}


def detect_format(columns: Sequence[str], *, name: str = "file", preamble: Sequence[str] = ()) -> Detected:
    """Score ``columns`` against each known export; raise for exports that cannot be mapped as is.

    Examples
    --------
    >>> detect_format(["event", "time", "distinct_id", "$insert_id", "utm_source"]).format
    'mixpanel'
    """
    norm = {normalise(c) for c in columns}
    adobe = sum(c in norm for c in _ADOBE) / len(_ADOBE)
    if adobe >= MIN_SCORE or _headerless_adobe(columns):
        raise IngestError(
            f"{name} looks like an Adobe Analytics data feed (hit_data.tsv) on its own. Its events are numeric "
            "ids that need the feed's lookup files (column_headers.tsv, event.tsv). Load the delivery zip as "
            "Adobe sends it (hit_data.tsv, column_headers.tsv and event.tsv together) and it is read as is."
        )
    if _ga4_ui_report(norm, preamble):
        raise IngestError(
            f"{name} is a GA4 report export (aggregated rows such as Sessions or Users per dimension), "
            "not one row per event, so journeys cannot be rebuilt from it. Export raw events from the "
            "GA4 BigQuery export (events_YYYYMMDD tables) as CSV or Parquet instead."
        )
    exact = set(columns) & set(CANONICAL_SCHEMA)
    if {TIMESTAMP, EVENT} <= exact and len(exact) >= 0.6 * len(CANONICAL_SCHEMA):
        return Detected(format="canonical", score=round(len(exact) / len(CANONICAL_SCHEMA), 3))
    scores = {fmt: sum(c in norm for c in sig) / len(sig) for fmt, sig in SIGNATURES.items()}
    best = max(scores, key=lambda f: scores[f])
    if scores[best] >= MIN_SCORE:
        return Detected(format=best, score=round(scores[best], 3))  # type: ignore[arg-type]
    return Detected(format="generic", score=0.0)


def _headerless_adobe(columns: Sequence[str]) -> bool:
    # hit_data.tsv ships without a header: hundreds of columns whose "names" are values.
    if len(columns) < 100:
        return False
    valuey = sum(bool(re.fullmatch(r"[0-9.:\- ]*", c)) for c in columns)
    return valuey > 0.5 * len(columns)


def _ga4_ui_report(norm: set[str], preamble: Sequence[str]) -> bool:
    metric_cols = norm & _GA4_UI_METRICS
    time_cols = {"timestamp", "event_timestamp", "time", "event_time", "zeitstempel", "created_at"}
    looks_ui = any(re.search(r"(start date|end date|startdatum|enddatum)", p, re.I) for p in preamble)
    return bool(metric_cols) and not (norm & time_cols) and (looks_ui or len(metric_cols) >= 2)
