"""Read a sniffed CSV into an all-String frame: Polars' fast reader, a strict fallback for broken rows."""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass

import polars as pl

from analysis.errors import IngestError
from analysis.ingest.sniff import Dialect

LINE = "__jl_line"
#: Files up to this size get a vectorised field-count check per line (short rows are padded silently
#: by the fast reader); larger files rely on the reader's own error for long rows.
FIELD_CHECK_BYTES = 256 * 1024**2
#: The exact fallback parser runs on files up to this size; beyond it, broken rows fail the file.
SLOW_PATH_BYTES = 512 * 1024**2


@dataclass(frozen=True)
class RawCsv:
    """All-String columns (named by the cleaned header) plus the source line of each row."""

    frame: pl.DataFrame
    ragged: pl.DataFrame  # LINE, "fields": rows with the wrong number of fields
    blank_lines: int
    exact_lines: bool


def unique_names(header: list[str]) -> list[str]:
    """Make header names unique (``a``, ``a (2)``) and name blank ones ``column_N``."""
    seen: dict[str, int] = {}
    out = []
    for i, given in enumerate(header, start=1):
        h = given or f"column_{i}"
        n = seen.get(h, 0) + 1
        seen[h] = n
        out.append(h if n == 1 else f"{h} ({n})")
    return out


def read_raw(d: Dialect, name: str) -> RawCsv:
    """Read ``d.data`` with every column as String; rows with a wrong field count go to ``ragged``."""
    names = unique_names(d.header)
    first_data_line = d.skip_lines + 2
    try:
        frame = pl.read_csv(
            d.data, separator=d.delimiter, skip_lines=d.skip_lines, has_header=True, new_columns=names,
            infer_schema=False, quote_char='"', raise_if_empty=False,
        )
    except pl.exceptions.ComputeError as exc:
        if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower():
            raise
        return _read_slow(d, name, names)
    # Short rows come back padded with nulls: possible only where the last column has a null, so the
    # per-line field count runs just then.
    if frame.width and frame[names[-1]].null_count() and not _fields_consistent(d):
        return _read_slow(d, name, names)
    frame = frame.with_row_index(LINE, offset=first_data_line).with_columns(pl.col(LINE).cast(pl.Int64))
    blank = pl.all_horizontal(pl.exclude(LINE).is_null())
    n_blank = int(frame.select(blank.sum()).item()) if frame.width > 1 else 0
    if n_blank:
        frame = frame.filter(~blank)
    empty = pl.DataFrame(schema={LINE: pl.Int64, "fields": pl.Int64})
    # one physical line per row (header and preamble included) means row numbers are line numbers
    lines = d.data.count(b"\n") + (0 if d.data.endswith(b"\n") else 1)
    exact = lines == d.skip_lines + 1 + frame.height + n_blank
    return RawCsv(frame=frame, ragged=empty, blank_lines=n_blank, exact_lines=exact)


def _fields_consistent(d: Dialect) -> bool:
    if len(d.data) > FIELD_CHECK_BYTES:
        return True
    sep = next((s for s in ("\x1f", "\x1e", "\x1d") if s.encode() not in d.data), None)
    if sep is None:
        return True
    lines = pl.read_csv(d.data, has_header=False, separator=sep, quote_char=None, skip_lines=d.skip_lines,
                        new_columns=["l"], infer_schema=False, raise_if_empty=False)["l"].drop_nulls()
    lines = lines.str.strip_chars_end("\r").filter(lines.str.strip_chars() != "")
    if lines.len() == 0:
        return True
    if lines.str.contains('"', literal=True).any():
        if (lines.str.count_matches('"', literal=True) % 2 == 1).any():
            return len(d.data) > SLOW_PATH_BYTES  # a quoted field spans lines: count exactly
        lines = lines.str.replace_all(r'"[^"]*"', "")
    counts = lines.str.count_matches(d.delimiter, literal=True)
    return bool((counts == counts[0]).all())


def _read_slow(d: Dialect, name: str, names: list[str]) -> RawCsv:
    if len(d.data) > SLOW_PATH_BYTES:
        raise IngestError(f"{name}: some rows have the wrong number of fields or broken quotes, and the "
                          "file is too large for the exact line-by-line check. Fix the export.")
    text = d.data.decode("utf-8-sig")
    stream = io.StringIO(text, newline="")
    for _ in range(d.skip_lines):
        stream.readline()
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(stream, delimiter=d.delimiter, strict=True)
    line_offset = d.skip_lines
    try:
        next(reader)
    except (StopIteration, csv.Error):
        raise IngestError(f"{name}: the header line {line_offset + 1} cannot be read as CSV.") from None
    rows: list[list[str]] = []
    lines: list[int] = []
    ragged_lines: list[int] = []
    ragged_fields: list[int] = []
    blank = 0
    width = len(names)
    # The exact parser is the fallback for broken files: it walks records to give true line numbers.
    while True:
        start = reader.line_num + 1 + line_offset
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise IngestError(
                f"{name}, line {start}: a quoted field is broken ({exc}); a quote opened at line {start} "
                "is never closed or is followed by text. Fix the quoting in the export."
            ) from None
        if not row or (len(row) == 1 and row[0] == ""):
            blank += 1
            continue
        if len(row) != width:
            ragged_lines.append(start)
            ragged_fields.append(len(row))
            continue
        rows.append(row)
        lines.append(start)
    frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row") if rows else \
        pl.DataFrame(schema=dict.fromkeys(names, pl.String))
    frame = frame.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in names)
    frame = frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64)).select(LINE, *names)
    ragged = pl.DataFrame({LINE: ragged_lines, "fields": ragged_fields}, schema={LINE: pl.Int64, "fields": pl.Int64})
    return RawCsv(frame=frame, ragged=ragged, blank_lines=blank, exact_lines=True)
