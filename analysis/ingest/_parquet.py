"""Read Parquet safely: rows and decoded size judged from metadata before loading, GA4 nested records flattened."""

from __future__ import annotations

import io

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.errors import IngestError
from analysis.ingest._boundary import known_zones as _zones
from analysis.ingest._csvread import CELL_BYTES
from analysis.ingest._limits import DEFAULT_LIMITS, Limits, check_decoded, check_rows

#: GA4 ``event_params`` keys lifted into their own ``event_params.<key>`` columns.
GA4_PARAM_KEYS = ("page_location", "page_referrer", "page_title", "ga_session_id", "ga_session_number",
                  "source", "medium", "campaign", "term", "content", "engagement_time_msec", "value",
                  "currency", "transaction_id")
_VALUE_FIELDS = ("string_value", "int_value", "double_value", "float_value")


def read_parquet_raw(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS,
                     notes: list[str] | None = None) -> pl.DataFrame:
    """Read a Parquet payload after checking rows and decoded size from its metadata; flatten GA4 nesting.

    Types the pipeline cannot use directly are made plain (Categorical and Enum to String, Binary to
    String when it is UTF-8 text, timestamps with a fixed UTC offset to UTC); what cannot be made plain is
    refused with the column's name. GA4 ``event_params`` keys that are not lifted into columns are named in
    ``notes`` (the file's report notes) rather than dropped silently.

    Examples
    --------
    >>> buf = io.BytesIO(); pl.DataFrame({"a": [1]}).write_parquet(buf)
    >>> read_parquet_raw(buf.getvalue(), "x.parquet").shape
    (1, 1)
    """
    meta = _metadata(data, name)
    check_rows(meta.num_rows, name=name, limits=limits, what="declares")
    if meta.num_columns > limits.max_columns:
        raise IngestError(f"{name} has {meta.num_columns:,} columns, more than the limit of "
                          f"{limits.max_columns:,}. Export only the columns you need.")
    estimate = decoded_estimate(meta)
    check_decoded(estimate, name=name, limits=limits, what="declares data that decodes to about")
    arrow_schema = _arrow_schema(meta, name)
    if meta.num_rows == 0:
        raise IngestError(f"{name} holds no rows (a Parquet file with 0 rows). Export again with data.")
    offset_zones = [f.name for f in arrow_schema
                    if pa.types.is_timestamp(f.type) and f.type.tz is not None and f.type.tz not in _zones()]
    if offset_zones:
        # an Arrow timestamp stores UTC instants whatever its zone: naming the zone UTC changes no value
        table = pq.read_table(io.BytesIO(data))
        table = table.cast(pa.schema([f.with_type(pa.timestamp(f.type.unit, "UTC")) if f.name in offset_zones
                                      else f for f in table.schema]))
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
    else:
        frame = pl.read_parquet(io.BytesIO(data))
    if estimate > limits.max_bytes // 4 or not _text_statistics_complete(meta):
        # statistics can be missing or understate: the exact size costs a pass over the text lengths (~30 ms
        # per 1M rows), so it runs when the estimate is unsure or near the ceiling
        check_decoded(decoded_size(frame), name=name, limits=limits)
    if notes is not None and (left := unread_params(frame)):
        notes.append(left)
    return flatten(_plain_types(frame, name))


def parquet_columns(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Column names of a Parquet payload as ``read_parquet_raw`` would give them, from the metadata only.

    Examples
    --------
    >>> buf = io.BytesIO(); pl.DataFrame({"a": [1], "b": [{"c": 2}]}).write_parquet(buf)
    >>> parquet_columns(buf.getvalue(), "x.parquet")
    ['a', 'b.c']
    """
    schema = _arrow_schema(_metadata(data, name), name)
    empty = pl.from_arrow(schema.empty_table().cast(pa.schema(
        [f.with_type(pa.timestamp(f.type.unit, "UTC")) if pa.types.is_timestamp(f.type) and f.type.tz else f
         for f in schema])))
    assert isinstance(empty, pl.DataFrame)
    return flatten(empty).columns


#: Bytes per value of Parquet's fixed-width physical types, as decoded in memory.
_WIDTHS = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "INT96": 8, "FLOAT": 4, "DOUBLE": 8}


def decoded_estimate(meta: pq.FileMetaData) -> int:
    """Decoded bytes a Parquet file declares, from row counts and per-column statistics.

    Fixed-width columns take their width per value; text and binary columns the mean length of their
    min/max statistics (the encoded size per value without statistics) plus ``CELL_BYTES`` per value.
    ``total_byte_size`` is not used: it measures encoded pages, so a dictionary of one long text repeated
    ten million times looks small there.

    Examples
    --------
    >>> buf = io.BytesIO(); pq.write_table(pa.table({"a": ["x" * 100] * 1000}), buf)
    >>> decoded_estimate(pq.read_metadata(io.BytesIO(buf.getvalue())))
    116000
    """
    total = 0
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            chunk = group.column(j)
            kind = chunk.physical_type
            n = chunk.num_values
            if kind in _WIDTHS:
                total += n * _WIDTHS[kind]
            elif kind == "FIXED_LEN_BYTE_ARRAY":
                total += n * max(meta.schema.column(j).length, 1)
            else:
                stats = chunk.statistics if chunk.is_stats_set else None
                if stats is not None and stats.has_min_max:
                    mean = (_length(stats.min) + _length(stats.max)) / 2
                else:
                    mean = chunk.total_uncompressed_size / max(n, 1)
                total += int(n * (mean + CELL_BYTES))
    return total


def decoded_size(frame: pl.DataFrame) -> int:
    """Bytes of a frame's values as decoded: text lengths plus ``CELL_BYTES`` per text value, other columns' size.

    Text columns read from Parquet can share one dictionary buffer, so their memory says nothing of what
    later steps will copy; their lengths do (and cost no copy to sum).

    Examples
    --------
    >>> decoded_size(pl.DataFrame({"s": ["ab", None, "c"], "i": [1, 2, 3]}))
    59
    """
    strings = [c for c, t in frame.schema.items() if t in (pl.String, pl.Binary)]
    text = 0
    if strings:
        row = frame.select(
            (pl.col(c).cast(pl.Binary).bin.size() if frame.schema[c] == pl.String else pl.col(c).bin.size()).sum()
            + pl.col(c).count() * CELL_BYTES for c in strings).row(0)
        text = sum(int(v or 0) for v in row)
    return text + int(frame.drop(strings).estimated_size())


def _first_non_utf8(values: pl.Series) -> int | None:
    """Row of the first value that is not UTF-8 (one decode of the column's bytes), or None."""
    try:
        values.cast(pl.String)
        return None
    except pl.exceptions.ComputeError:
        pass
    arrow = values.rechunk().to_arrow().cast(pa.large_binary())
    _, offsets_buf, data_buf = arrow.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arrow.offset:arrow.offset + len(arrow) + 1]
    data = bytes(np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]:offsets[-1]]) if data_buf else b""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return int(np.searchsorted(offsets - offsets[0], exc.start, side="right")) - 1
    return 0  # each value is cut inside a character, though the bytes together are text


def _text_statistics_complete(meta: pq.FileMetaData) -> bool:
    """True when every text/binary column chunk carries min/max statistics (the estimate's basis)."""
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            chunk = group.column(j)
            stats = chunk.statistics if chunk.is_stats_set else None
            if chunk.physical_type == "BYTE_ARRAY" and not (
                    stats is not None and (stats.has_min_max or stats.null_count == chunk.num_values)):
                return False
    return True


def _length(value: object) -> int:
    return len(value) if isinstance(value, bytes) else len(str(value).encode())


def _metadata(data: bytes, name: str) -> pq.FileMetaData:
    try:
        return pq.read_metadata(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for damaged footers
        raise IngestError(f"{name} is a damaged Parquet file ({type(exc).__name__}); export it again.") from exc


def _arrow_schema(meta: pq.FileMetaData, name: str) -> pa.Schema:
    try:
        schema = meta.schema.to_arrow_schema()
    except Exception as exc:
        raise IngestError(f"{name} is a damaged Parquet file (its schema cannot be read); export it again.") from exc
    seen: set[str] = set()
    repeated = [n for n in schema.names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if repeated:
        raise IngestError(f"{name} has the column {repeated[0]!r} more than once; a Parquet file needs unique "
                          "column names. Rename or drop the repeated column in the export.")
    return schema


def _plain_types(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Categorical/Enum as String, UTF-8 Binary as String; Binary that is not text is refused by column and row."""
    cats = [c for c, t in frame.schema.items() if isinstance(t, (pl.Categorical, pl.Enum))]
    binary = [c for c, t in frame.schema.items() if t == pl.Binary]
    for c in binary:
        row = _first_non_utf8(frame[c])
        if row is not None:
            raise IngestError(f"{name}, row {row + 1:,}, column {c!r}: bytes that are not UTF-8 text. Export this "
                              "column as text (UTF-8) or leave it out.")
    if not cats and not binary:
        return frame
    return frame.with_columns(pl.col(c).cast(pl.String) for c in (*cats, *binary))


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


def unread_params(frame: pl.DataFrame) -> str | None:
    """A report note naming the ``event_params`` keys that the lift into columns leaves out, or None.

    Examples
    --------
    >>> params = [[{"key": "source", "value": {"string_value": "g"}}, {"key": "percent_scrolled",
    ...             "value": {"string_value": "90"}}]]
    >>> unread_params(pl.DataFrame({"event_params": params}))
    'event_params keys not lifted into columns (not used by the analyses): percent_scrolled'
    """
    params = frame.schema.get("event_params")
    if not (isinstance(params, pl.List) and isinstance(params.inner, pl.Struct)):
        return None
    keys = (frame.select(pl.col("event_params").list.eval(pl.element().struct.field("key")).explode().unique())
            .to_series().drop_nulls())
    left = sorted(k for k in keys.to_list() if k not in GA4_PARAM_KEYS)
    if not left:
        return None
    shown = ", ".join(left[:20]) + (f" and {len(left) - 20} more" if len(left) > 20 else "")
    return f"event_params keys not lifted into columns (not used by the analyses): {shown}"
