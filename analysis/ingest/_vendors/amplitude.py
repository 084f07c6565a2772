"""Amplitude Export API: a zip of (hourly) gzipped JSON files, one event object per line.

Contract: Amplitude's "Export API" documentation (amplitude.com/docs/apis/analytics/export): "The response is a
zipped archive of JSON files ... several files per hour", "one event JSON object per line", timestamps in UTC
(``event_time``, ``server_received_time`` as ``YYYY-MM-DD HH:MM:SS.ffffff``), ``event_type``, ``user_id``,
``device_id``, ``uuid``, ``$insert_id``, ``session_id`` (the session's start in ms; -1 outside a session),
``event_properties`` and ``user_properties``. Revenue follows Amplitude's revenue properties: ``$revenue``, else
``revenue``, else ``$price`` × ``$quantity`` (quantity 1 when absent).
"""

from __future__ import annotations

import polars as pl

from analysis.ingest._vendors.common import Prepared, find, number, text, utc_text

EVENT_KEY = "amplitude.event_key"
SESSION = "amplitude.session"
REVENUE = "amplitude.revenue"


def prepare(raw: pl.DataFrame, *, name: str) -> Prepared:
    """UTC event time, one duplicate key, a per-device session id and revenue as Amplitude defines it.

    Examples
    --------
    >>> raw = pl.DataFrame({"event_time": ["2025-03-01 10:00:00.000000"], "device_id": ["d"],
    ...                     "session_id": [1740823200000], "$insert_id": [None], "uuid": ["x-1"],
    ...                     "event_properties.$price": [2.5], "event_properties.$quantity": [2]})
    >>> out = prepare(raw, name="f").frame
    >>> out["event_time"][0], out[EVENT_KEY][0], out[SESSION][0], out[REVENUE][0]
    ('2025-03-01 10:00:00.000000Z', 'x-1', 'd:1740823200000', 5.0)
    """
    cols = raw.columns
    exprs: list[pl.Expr] = []
    for c in ("event_time", "client_event_time", "server_received_time"):
        marked = utc_text(raw, find(cols, c))
        if marked is not None:
            exprs.append(marked)
    exprs.append(pl.coalesce(text(raw, find(cols, "$insert_id")), text(raw, find(cols, "uuid"))).alias(EVENT_KEY))
    session, device = find(cols, "session_id"), find(cols, "device_id")
    if session is not None:
        start = number(raw, session)
        exprs.append(pl.when(start > 0).then(pl.concat_str(text(raw, device).fill_null(""), pl.lit(":"),
                                                           start.cast(pl.Int64).cast(pl.String)))
                     .alias(SESSION))
    price = number(raw, find(cols, "event_properties_$price", "$price", "price"))
    quantity = number(raw, find(cols, "event_properties_$quantity", "$quantity", "quantity")).fill_null(1.0)
    exprs.append(pl.coalesce(number(raw, find(cols, "event_properties_$revenue", "$revenue")),
                             number(raw, find(cols, "revenue", "event_properties_revenue")),
                             price * quantity).alias(REVENUE))
    return Prepared(raw.with_columns(exprs))
