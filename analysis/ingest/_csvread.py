"""Read a sniffed CSV into an all-String frame: Polars' fast reader, a strict fallback for broken rows."""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass

import polars as pl

from analysis.errors import IngestError
from analysis.ingest._limits import DEFAULT_LIMITS, Limits, check_decoded, check_rows
from analysis.ingest._sniff import Dialect

LINE = "__jl_line"
#: Files up to this size get a vectorised field-count check per line (short rows are padded silently
#: by the fast reader); larger files rely on the reader's own error for long rows.
FIELD_CHECK_BYTES = 256 * 1024**2
#: The exact fallback parser runs on files up to this size; beyond it, broken rows fail the file.
SLOW_PATH_BYTES = 512 * 1024**2
#: Bytes a cell costs in memory besides its text (a Polars string view), counted in the decoded size.
CELL_BYTES = 16
_LINE_SEPARATORS = tuple(chr(b) for b in (0x1F, 0x1E, 0x1D, *range(1, 9), *range(14, 29)))


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


def check_text_size(d: Dialect, name: str, *, limits: Limits = DEFAULT_LIMITS) -> int:
    """Refuse a CSV text over the row or decoded-size ceiling before it is parsed; return its line count.

    The decoded size is what the text becomes in memory: its UTF-8 bytes plus :data:`CELL_BYTES` per cell.

    Examples
    --------
    >>> from analysis.ingest._sniff import sniff_csv
    >>> check_text_size(sniff_csv(b"a,b\\n1,2\\n", "x.csv"), "x.csv")
    2
    """
    lines = d.data.count(b"\n") + (0 if d.data.endswith(b"\n") else 1)
    check_rows(lines - d.skip_lines - 1, name=name, limits=limits)
    check_decoded(len(d.data) + CELL_BYTES * max(lines - d.skip_lines - 1, 0) * len(d.header), name=name,
                  limits=limits, what="decodes to")
    return lines


def read_raw(d: Dialect, name: str, *, lines: int | None = None) -> RawCsv:
    """Read ``d.data`` with every column as String; rows with a wrong field count go to ``ragged``.

    ``lines`` is the text's line count when the caller has it (:func:`check_text_size`).
    """
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
    if lines is None:
        lines = d.data.count(b"\n") + (0 if d.data.endswith(b"\n") else 1)
    exact = lines == d.skip_lines + 1 + frame.height + n_blank
    return RawCsv(frame=frame, ragged=empty, blank_lines=n_blank, exact_lines=exact)


def _fields_consistent(d: Dialect) -> bool:
    if len(d.data) > FIELD_CHECK_BYTES:
        return True
    # a byte the text does not hold splits it into whole lines; a text holding every candidate is counted exactly
    sep = next((s for s in _LINE_SEPARATORS if s.encode() not in d.data), None)
    if sep is None:
        return False
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
