"""GA4's BigQuery export, as JSON (BigQuery's own JSON export) or as CSV with the nested fields as JSON text.

Contract: Google's "[GA4] BigQuery Export schema" (support.google.com/analytics/answer/7029846): one row per event
with ``event_date``, ``event_timestamp`` (µs, UTC), ``event_name``, ``user_pseudo_id``, ``user_id``, the repeated
record ``event_params`` (``key`` and ``value.{string_value, int_value, float_value, double_value}``; keys
``ga_session_id``, ``source``, ``medium``, ``campaign``, ``page_referrer`` …), the records ``traffic_source``
(the user's *first* acquisition), ``collected_traffic_source`` (this event's), ``ecommerce.purchase_revenue``,
``device``, ``geo`` and ``items``. BigQuery's JSON export writes INT64 values as strings; its CSV export refuses
nested columns, so a CSV with nested fields comes from a notebook (``to_csv`` of the query result), where each
nested cell is JSON text: those cells are parsed here and lifted like the Parquet export's records.
"""

from __future__ import annotations

import polars as pl

from analysis.ingest._parquet import flatten, unread_params
from analysis.ingest._vendors.common import Prepared

#: Nested fields of the export schema that a CSV may carry as JSON text.
NESTED = ("event_params", "user_properties", "traffic_source", "collected_traffic_source",
          "session_traffic_source_last_click", "ecommerce", "device", "geo", "app_info", "privacy_info",
          "user_ltv", "event_dimensions", "items")
_SAMPLE = 1000


def prepare(raw: pl.DataFrame, *, name: str) -> Prepared:
    """Parse nested fields written as JSON text and lift them into columns (``event_params.source`` …).

    A column whose cells are Python text (single quotes, ``None``) rather than JSON cannot be read safely: it is
    kept as text and the report says so, with how to export it instead.

    Examples
    --------
    >>> raw = pl.DataFrame({"event_params": ['[{"key": "source", "value": {"string_value": "google"}}]'],
    ...                     "ecommerce": ['{"purchase_revenue": 9.5}']})
    >>> out = prepare(raw, name="f").frame
    >>> out["event_params.source"].to_list(), out["ecommerce.purchase_revenue"].to_list()
    (['google'], [9.5])
    """
    notes: list[str] = []
    decoded: dict[str, pl.Series] = {}
    for col in (c for c in NESTED if c in raw.columns and raw.schema[c] == pl.String):
        values = raw[col].str.strip_chars()
        values = pl.select(pl.when(values.is_in(["", "null", "None"])).then(None).otherwise(values)).to_series()
        present = values.drop_nulls().filter(values.drop_nulls() != "")
        if present.len() == 0:
            continue
        sample = present.head(_SAMPLE)
        if not sample.str.contains(r"^[\[{]").all():
            continue  # plain text, e.g. a flattened value: nothing nested to read
        if sample.str.contains(r"^[\[{]\s*'|\bNone\b").any() and not sample.str.contains('"').any():
            notes.append(f"WARNING: {col} holds Python text (single quotes, None), not JSON, so its nested fields "
                         "cannot be read and stay as text. Write the table with to_json(orient='records', "
                         "lines=True) or to_parquet() instead of to_csv(), or export it from BigQuery as JSON.")
            continue
        looks = values.str.contains(r"^[\[{]")
        try:
            parsed = pl.select(pl.when(looks).then(values).otherwise(None).alias(col)).to_series() \
                .str.json_decode(infer_schema_length=None)
        except pl.exceptions.PolarsError:
            notes.append(f"WARNING: {col} holds text that is not valid JSON, so its nested fields cannot be read "
                         "and stay as text. Export the table as JSON lines or Parquet.")
            continue
        unread = int((values.is_not_null() & ~looks).sum())
        if unread:
            notes.append(f"WARNING: {unread:,} cell(s) of {col} are not JSON and were left empty")
        decoded[col] = parsed
    if not decoded:
        return Prepared(raw, notes)
    notes.append(f"nested JSON text read from {', '.join(decoded)}")
    out = raw.with_columns(decoded.values())
    left = unread_params(out)
    return Prepared(flatten(out), [*notes, *([left] if left else [])])
