"""Mixpanel raw event export: one JSON object per line, ``{"event": ..., "properties": {...}}``.

Contract: Mixpanel's "Raw Event Export API" reference (developer.mixpanel.com, ``GET /api/2.0/export``: "every data
point ... stored as JSON ... complete with all event properties (including distinct_id) and the exact timestamp")
and its "Import Events" reference for the event shape: ``properties.time`` in seconds or milliseconds since the
epoch, ``properties.distinct_id``, ``properties.$insert_id`` (the de-duplication key), ``$device_id`` and
``$user_id`` (simplified ID merge: ``distinct_id`` is ``$device:<id>`` until the person is identified),
``utm_*``, ``$referrer`` and ``$initial_referrer``.
"""

from __future__ import annotations

import polars as pl

from analysis.ingest._vendors.common import Prepared, find, number, text

TIME_MS = "mixpanel.time_ms"
USER = "mixpanel.user_id"
DEVICE = "mixpanel.device_id"
_DEVICE_PREFIX = "$device:"


def prepare(raw: pl.DataFrame, *, name: str) -> Prepared:
    """Time in one unit (ms), and the person split into user id and device id as simplified ID merge writes them.

    Examples
    --------
    >>> raw = pl.DataFrame({"event": ["a", "b"], "properties.time": [1740823200, 1740823200500],
    ...                     "properties.distinct_id": ["$device:d1", "u1"]})
    >>> out = prepare(raw, name="f").frame
    >>> out[TIME_MS].to_list(), out[USER].to_list(), out[DEVICE].to_list()
    ([1740823200000, 1740823200500], [None, 'u1'], ['d1', None])
    """
    cols = raw.columns
    time, distinct = find(cols, "time"), find(cols, "distinct_id")
    exprs: list[pl.Expr] = []
    if time is not None:
        seconds = number(raw, time)
        # the export mixes seconds (older SDKs) and milliseconds: both become ms
        exprs.append(pl.when(seconds.abs() < 1e11).then(seconds * 1000).otherwise(seconds)
                     .round(0).cast(pl.Int64, strict=False).alias(TIME_MS))
    d = text(raw, distinct)
    is_device = d.str.starts_with(_DEVICE_PREFIX)
    exprs.append(pl.coalesce(text(raw, find(cols, "$user_id")), pl.when(~is_device).then(d)).alias(USER))
    exprs.append(pl.coalesce(text(raw, find(cols, "$device_id")),
                             pl.when(is_device).then(d.str.strip_prefix(_DEVICE_PREFIX))).alias(DEVICE))
    return Prepared(raw.with_columns(exprs))
