"""Read JSON lines (NDJSON) and JSON arrays into a raw frame with Polars' own JSON readers.

Nested objects become dotted columns (``properties.time``, ``context.campaign.source``) through the same
:func:`~analysis.ingest._parquet.flatten` as nested Parquet; lines that are not valid JSON are rejected one by
one with their line number, like rows with the wrong number of fields in a CSV.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from analysis.errors import IngestError
from analysis.ingest._csvread import LINE, SLOW_PATH_BYTES
from analysis.ingest._limits import DEFAULT_LIMITS, Limits
from analysis.ingest._parquet import flatten, unread_params
from analysis.ingest._sniff import looks_json

__all__ = ["TEXT", "RawJson", "looks_json", "read_json_raw"]

#: Column of the rejected-lines frame holding the start of a line that is not valid JSON.
TEXT = "text"
_WS = b" \t\r\n\xef\xbb\xbf"


@dataclass(frozen=True)
class RawJson:
    """Columns of a JSON file (native types, nested objects flattened) plus the line of each record."""

    frame: pl.DataFrame
    bad: pl.DataFrame  # LINE, TEXT: lines that are not valid JSON objects
    notes: tuple[str, ...]


def read_json_raw(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS) -> RawJson:
    """Read NDJSON or a JSON array; every column keeps its JSON type, objects become ``parent.child`` columns.

    Examples
    --------
    >>> raw = read_json_raw(b'{"event": "a", "properties": {"time": 1}}\\n', "x.json")
    >>> raw.frame.columns
    ['__jl_line', 'event', 'properties.time']
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.lstrip(_WS)[:1] == b"[":
        frame = _read_array(data, name)
        notes: tuple[str, ...] = ("JSON array: line numbers count array elements",)
        bad = pl.DataFrame(schema={LINE: pl.Int64, TEXT: pl.String})
    else:
        frame, bad, notes = _read_lines(data, name)
    if frame.width > limits.max_columns:
        raise IngestError(f"{name}: {frame.width:,} fields, more than the limit of {limits.max_columns:,}. "
                          "Export only the fields you need.")
    left = unread_params(frame)  # GA4: the keys the lift into columns leaves out are named, not dropped silently
    notes = (*notes, left) if left else notes
    flat = flatten(frame.drop(LINE))
    if flat.width > limits.max_columns:
        raise IngestError(f"{name}: {flat.width:,} fields once nested objects are opened, more than the limit "
                          f"of {limits.max_columns:,}. Export only the properties you need.")
    return RawJson(frame=pl.concat([frame.select(LINE), flat], how="horizontal"), bad=bad, notes=notes)


def _read_array(data: bytes, name: str) -> pl.DataFrame:
    try:
        frame = pl.read_json(data, infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise IngestError(f"{name}: {_json_problem(data, exc)}") from None
    if frame.height == 0:
        raise IngestError(f"{name} is an empty JSON array. Export again with at least one event.")
    return frame.with_row_index(LINE, offset=1).with_columns(pl.col(LINE).cast(pl.Int64))


def _json_problem(data: bytes, exc: Exception) -> str:
    """Where a JSON text breaks, found with the standard parser (only on the error path)."""
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError as err:
        return (f"line {err.lineno}, column {err.colno}: not valid JSON ({err.msg}). "
                "Export the events again as JSON lines or a JSON array of objects.")
    except (UnicodeDecodeError, RecursionError):
        return "not valid UTF-8 JSON text. Export it again as UTF-8."
    if isinstance(parsed, list) and not all(isinstance(v, dict) for v in parsed):
        first = next(i for i, v in enumerate(parsed, start=1) if not isinstance(v, dict))
        return (f"element {first} of the JSON array is not an object ({{...}}); each event must be an "
                "object with named fields.")
    return f"the JSON cannot be read as a table of events ({exc}). Export one object per event."


def _newlines(data: bytes) -> np.ndarray:
    """Byte offsets of the line feeds."""
    return np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)


def _line_numbers(data: bytes, ends: np.ndarray | None = None) -> np.ndarray:
    """1-based numbers of the non-blank lines (the records of a JSON lines text), computed on the bytes."""
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = _newlines(data) if ends is None else ends
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(arr))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    # a line of only "\r" or one blank counts as blank; longer blank runs are not written by exporters
    first = arr[np.minimum(starts, max(len(arr) - 1, 0))] if len(arr) else np.array([], dtype=np.uint8)
    blank = (lengths == 0) | ((lengths == 1) & np.isin(first, (13, 32, 9)))
    return np.flatnonzero(~blank) + 1


def _read_lines(data: bytes, name: str) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...]]:
    ends = _newlines(data)
    lines = _line_numbers(data, ends)
    if len(lines) == 0:
        raise IngestError(f"{name} has no JSON lines (only blank lines). Export again with at least one event.")
    notes: list[str] = []
    if int(lines[-1]) != len(lines):
        notes.append(f"{int(lines[-1]) - len(lines):,} blank line(s) skipped")
    bad = pl.DataFrame(schema={LINE: pl.Int64, TEXT: pl.String})
    try:
        frame = _read_sampled(data, ends) if len(data) > _SAMPLED_FROM else None
        if frame is None:
            frame = pl.read_ndjson(data, infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        frame, lines, bad = _read_lines_slow(data, name, exc)
    if frame.height != len(lines):
        raise IngestError(f"{name}: {len(lines):,} lines but {frame.height:,} JSON records; some records span "
                          "several lines. Export one JSON object per line (JSON lines / NDJSON).")
    if frame.width == 0:
        raise IngestError(f"{name}: the JSON lines hold no fields. Export events as objects with named fields.")
    return frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64)).select(LINE, pl.exclude(LINE)), bad, \
        tuple(notes)


#: Files above this size infer their schema from a sample of lines and prove it covers every line (below, the
#: whole file is inferred: that costs about 1.5x the parse itself).
_SAMPLED_FROM = 8 * 1024**2
_SAMPLE_LINES = 2000


def _read_sampled(data: bytes, ends: np.ndarray) -> pl.DataFrame | None:
    """Read with a schema inferred from a spread sample of lines, or None when that schema may miss a field.

    The proof, per line: the keys written in the text with a value other than ``null`` (counted as ``":``
    occurrences minus ``": null``) equal the fields the parsed row holds (non-null values, objects included).
    A key the sample never saw, or a value the schema could not hold, breaks the equality; so can a ``":``
    inside a string, which only costs the full inference. Lists of objects (GA4's event_params) are not
    counted this way and always get the full inference.
    """
    if len(ends) < 2 * _SAMPLE_LINES or b"\x1f" in data:
        return None
    picks = np.unique(np.concatenate([np.arange(_SAMPLE_LINES),
                                      np.linspace(0, len(ends) - 1, _SAMPLE_LINES).astype(np.int64)]))
    starts = np.concatenate(([0], ends[:-1] + 1))
    sample = b"\n".join(data[int(starts[i]):int(ends[i])] for i in picks)
    schema = pl.read_ndjson(sample, infer_schema_length=None).schema
    if any(_has_list(t) for t in schema.values()):
        return None
    frame = pl.read_ndjson(data, schema=schema)
    lines = pl.read_csv(data, has_header=False, separator="\x1f", quote_char=None, new_columns=["l"],
                        infer_schema=False, raise_if_empty=False)["l"]
    if lines.null_count():
        lines = lines.drop_nulls()
    if lines.len() != frame.height:  # blank lines of spaces: the full inference handles them
        return None
    written = lines.str.count_matches('":', literal=True) - lines.str.count_matches('":null', literal=True)
    if b'": null' in data or b'":  null' in data:  # pretty-printed values: count those nulls too (rare)
        written = written - lines.str.count_matches(r'":\s+null', literal=False)
    parsed = frame.select(pl.sum_horizontal(_present(pl.col(c), t) for c, t in schema.items())).to_series()
    return frame if bool((written.cast(pl.Int64) == parsed.cast(pl.Int64)).all()) else None


def _has_list(dtype: Any) -> bool:
    if isinstance(dtype, (pl.List, pl.Array)):
        return True
    return isinstance(dtype, pl.Struct) and any(_has_list(f.dtype) for f in dtype.fields)


def _present(expr: pl.Expr, dtype: Any) -> pl.Expr:
    """How many fields of one value are there: 1 if not null, plus its object's fields, recursively."""
    own = expr.is_not_null().cast(pl.Int64)
    if isinstance(dtype, pl.Struct):
        return pl.sum_horizontal(own, *(_present(expr.struct.field(f.name), f.dtype) for f in dtype.fields))
    return own


def _read_lines_slow(data: bytes, name: str,
                     exc: Exception) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame]:
    """Find the lines that are not JSON objects (Python's parser, error path only) and read the others."""
    if len(data) > SLOW_PATH_BYTES:
        raise IngestError(f"{name}: some lines are not valid JSON ({exc}) and the file is too large for the "
                          "line-by-line check. Fix the export.") from None
    good: list[bytes] = []
    good_lines: list[int] = []
    bad_lines: list[int] = []
    bad_text: list[str] = []
    # the exact check walks lines only when Polars refused the file, to name every broken line
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            ok = isinstance(json.loads(line), dict)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            ok = False
        if ok:
            good.append(line)
            good_lines.append(number)
        else:
            bad_lines.append(number)
            bad_text.append(line[:200].decode("utf-8", errors="replace"))
    if not bad_lines:
        raise IngestError(f"{name}: the JSON lines cannot be read as one table ({exc}). A field probably holds "
                          "different kinds of values on different lines; export it with one type.") from None
    if not good:
        raise IngestError(f"{name}, line {bad_lines[0]}: not a JSON object ({bad_text[0][:80]!r}); no line of the "
                          "file is. Export the events as JSON lines (one object per line) or CSV.") from None
    try:
        frame = pl.read_ndjson(b"\n".join(good), infer_schema_length=None)
    except pl.exceptions.PolarsError as again:
        raise IngestError(f"{name}: the JSON lines cannot be read as one table ({again}). A field probably holds "
                          "different kinds of values on different lines; export it with one type.") from None
    bad = pl.DataFrame({LINE: bad_lines, TEXT: bad_text}, schema={LINE: pl.Int64, TEXT: pl.String})
    return frame, np.asarray(good_lines, dtype=np.int64), bad
