"""Read Parquet safely: metadata checked before loading, GA4 nested records flattened."""

from __future__ import annotations

import io

import polars as pl
import pyarrow.parquet as pq

from analysis.errors import IngestError
from analysis.ingest.limits import DEFAULT_LIMITS, Limits
from analysis.ingest.limits import size_text

#: GA4 ``event_params`` keys lifted into their own ``event_params.<key>`` columns.
GA4_PARAM_KEYS = ("page_location", "page_referrer", "page_title", "ga_session_id", "ga_session_number",
                  "source", "medium", "campaign", "term", "content", "engagement_time_msec", "value",
                  "currency", "transaction_id")
_VALUE_FIELDS = ("string_value", "int_value", "double_value", "float_value")


def read_parquet_raw(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS) -> pl.DataFrame:
    """Read a Parquet payload after checking its declared size; flatten GA4 nesting.

    Examples
    --------
    >>> buf = io.BytesIO(); pl.DataFrame({"a": [1]}).write_parquet(buf)
    >>> read_parquet_raw(buf.getvalue(), "x.parquet").shape
    (1, 1)
    """
    try:
        meta = pq.read_metadata(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for damaged footers
        raise IngestError(f"{name} is a damaged Parquet file ({exc}); export it again.") from exc
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if meta.num_rows > limits.max_rows or size > limits.max_bytes:
        raise IngestError(f"{name} declares {meta.num_rows:,} rows and {size_text(size)} uncompressed, "
                          f"over the limit ({size_text(limits.max_bytes)}); split the export.")
    if meta.num_columns > limits.max_columns:
        raise IngestError(f"{name} has {meta.num_columns:,} columns, more than the limit of "
                          f"{limits.max_columns:,}. Export only the columns you need.")
    if meta.num_rows == 0:
        raise IngestError(f"{name} holds no rows (a Parquet file with 0 rows). Export again with data.")
    frame = pl.read_parquet(io.BytesIO(data))
    return flatten(frame)


def flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Lift GA4 ``event_params`` keys into columns and unnest struct columns as ``parent.child``.

    Examples
    --------
    >>> df = pl.DataFrame({"ecommerce": [{"purchase_revenue": 9.5}]})
    >>> flatten(df).columns
    ['ecommerce.purchase_revenue']
    """
    out = frame
    params = out.schema.get("event_params")
    if isinstance(params, pl.List) and isinstance(params.inner, pl.Struct):
        out = out.with_columns(_param(k, params.inner).alias(f"event_params.{k}") for k in GA4_PARAM_KEYS)
        out = out.drop("event_params")
        present = [f"event_params.{k}" for k in GA4_PARAM_KEYS]
        if out.height:  # keys no event carries are noise; an empty frame (a schema peek) keeps them all
            out = out.drop([c for c in present if out[c].null_count() == out.height])
    for _ in range(3):  # structs inside structs, a few levels deep
        structs = [c for c, t in out.schema.items() if isinstance(t, pl.Struct)]
        if not structs:
            break
        out = out.with_columns(
            pl.col(c).struct.field(f.name).alias(f"{c}.{f.name}")
            for c in structs for f in out.schema[c].fields  # type: ignore[attr-defined]
        ).drop(structs)
    return out


def _param(key: str, inner: pl.Struct) -> pl.Expr:
    value_type = next((f.dtype for f in inner.fields if f.name == "value"), None)
    picked = (pl.col("event_params").list.eval(pl.element().filter(pl.element().struct.field("key") == key))
              .list.first())
    if not isinstance(value_type, pl.Struct):
        return picked.struct.field("value").cast(pl.String)
    names = {f.name for f in value_type.fields}
    value = picked.struct.field("value")
    return pl.coalesce([value.struct.field(f).cast(pl.String) for f in _VALUE_FIELDS if f in names])
