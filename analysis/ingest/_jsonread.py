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


@dataclass(frozen=True)
class _Bytes:
    """What one pass over the bytes of a JSON lines text tells: where lines end and how many keys are written."""

    ends: np.ndarray  # byte offsets of the line feeds
    keys: int  # '":' pairs (a key and its colon; also a '\\":' inside a string) plus '"<blanks>:' keys
    nulls: int  # of those, the keys whose value is null ('":null', '": null')
    odd: bool  # blanks of more than 8 bytes before a colon: the key count may be short


def _scan_bytes(data: bytes) -> _Bytes:
    """Line ends and key counts in one pass over the bytes, a cache-sized block at a time (no per-file copies).

    Only the colons (a few percent of the bytes) are looked at closely: the byte before tells a key, the bytes
    after a null.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    n = len(arr)
    ahead = np.concatenate([arr[-_BLOCK:], np.zeros(3, dtype=np.uint8)])  # the last block, read past its end
    ends: list[np.ndarray] = []
    keys = nulls = 0
    odd = False
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        block = arr[start:stop]
        ends.append(np.flatnonzero(block == 10) + start)
        pos = np.flatnonzero(block == _COLON) + start
        pos = pos[pos > 0]
        prev = arr[pos - 1]
        key = pos[prev == _QUOTE]
        keys += key.size
        src, base = (arr, 0) if stop + 3 <= n else (ahead, n - min(_BLOCK, n))
        after = src[key + 1 - base]
        nulls += int(np.count_nonzero(after == _N))
        spaced = key[after == _SPACE]  # Python's json.dumps writes '": null'
        if spaced.size:
            nulls += int(np.count_nonzero(src[spaced + 2 - base] == _N))
        blank = (prev == _SPACE) | (prev == 9)
        if blank.any():  # '"key" : value': rare, counted exactly where it occurs
            found, long = _blank_keys(arr, pos[blank] - 1)
            keys, odd = keys + found, odd or long
    return _Bytes(np.concatenate(ends) if ends else np.empty(0, dtype=np.int64), keys, nulls, odd)


def _blank_keys(arr: np.ndarray, blanks: np.ndarray) -> tuple[int, bool]:
    """Of the blanks before a colon at ``blanks``, how many follow a quote (a key), and whether a run is too long."""
    pos = blanks.copy()
    for _ in range(8):  # step back over the run of blanks, all positions at once
        back = pos - 1
        more = (back >= 0) & np.isin(arr[np.maximum(back, 0)], (9, 32))
        if not more.any():
            break
        pos = np.where(more, back, pos)
    else:
        return 0, True
    before = pos - 1
    return int(np.count_nonzero((before >= 0) & (arr[np.maximum(before, 0)] == _QUOTE))), False


_BLOCK = 1 << 18
_N, _SPACE, _QUOTE, _COLON = ord("n"), ord(" "), ord('"'), ord(":")


def _line_numbers(data: bytes, ends: np.ndarray) -> np.ndarray:
    """1-based numbers of the non-blank lines (the records of a JSON lines text), computed on the bytes."""
    arr = np.frombuffer(data, dtype=np.uint8)
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(arr))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    # a line of only "\r" or one blank counts as blank; longer blank runs are not written by exporters
    first = arr[np.minimum(starts, max(len(arr) - 1, 0))] if len(arr) else np.array([], dtype=np.uint8)
    blank = (lengths == 0) | ((lengths == 1) & np.isin(first, (13, 32, 9)))
    return np.flatnonzero(~blank) + 1


def _read_lines(data: bytes, name: str) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...]]:
    scanned = _scan_bytes(data)
    lines = _line_numbers(data, scanned.ends)
    if len(lines) == 0:
        raise IngestError(f"{name} has no JSON lines (only blank lines). Export again with at least one event.")
    notes: list[str] = []
    if int(lines[-1]) != len(lines):
        notes.append(f"{int(lines[-1]) - len(lines):,} blank line(s) skipped")
    bad = pl.DataFrame(schema={LINE: pl.Int64, TEXT: pl.String})
    try:
        frame = _read_sampled(data, scanned) if len(data) > _SAMPLED_FROM else None
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


def _read_sampled(data: bytes, scanned: _Bytes) -> pl.DataFrame | None:
    """Read with a schema inferred from a spread sample of lines, or None when that schema may miss a field.

    The proof: the keys written in the text with a value other than ``null`` (``":`` pairs, and keys with
    blanks before the colon, minus ``":null`` and ``": null``; counted on the bytes by :func:`_scan_bytes`)
    equal the fields the parsed rows hold (non-null values, objects included). On every line the written count
    is at least the parsed one (each parsed value was written under its own key), so equal totals mean equal
    lines: a key the sample never saw makes the text's count larger. So does a ``":`` inside a string or a
    repeated key, which only costs the full inference; a value the schema cannot hold fails the read, which
    does too. Lists of objects (GA4's event_params) are not counted this way and always get the full inference.
    A key that only unsampled lines have, and only with ``null``, holds nothing and does not become a column.
    """
    ends = scanned.ends
    if len(ends) < 2 * _SAMPLE_LINES or scanned.odd:
        return None
    picks = np.unique(np.concatenate([np.arange(_SAMPLE_LINES),
                                      np.linspace(0, len(ends) - 1, _SAMPLE_LINES).astype(np.int64)]))
    starts = np.concatenate(([0], ends[:-1] + 1))
    sample = b"\n".join(data[int(starts[i]):int(ends[i])] for i in picks)
    try:  # the sample or a later line holds values of kinds the inference of a part cannot join (1.5 after 1)
        schema = pl.read_ndjson(sample, infer_schema_length=None).schema
        if any(_has_list(t) for t in schema.values()):
            return None
        frame = pl.read_ndjson(data, schema=schema)
    except pl.exceptions.PolarsError:
        return None
    parsed = frame.select(pl.sum_horizontal(_present(pl.col(c), t).sum() for c, t in schema.items())).item()
    return frame if scanned.keys - scanned.nulls == parsed else None


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
