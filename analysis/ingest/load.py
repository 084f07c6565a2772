"""``load_events``: any supported file(s) in, canonical events and a load report out."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeAlias

import polars as pl

from analysis import schema
from analysis.errors import IngestError
from analysis.ingest.canonical import REASON, REPAIR, Typed, to_canonical
from analysis.ingest.csvread import LINE, read_raw, unique_names
from analysis.ingest.formats import detect_format
from analysis.ingest.limits import DEFAULT_LIMITS, Limits
from analysis.ingest.mapping import EVENT_ID, apply_overrides, check_required, detect_mapping
from analysis.ingest.names import display_name
from analysis.ingest.parquet import flatten, read_parquet_raw
from analysis.ingest.parse import DateOrder, Decimal, has_control_chars
from analysis.ingest.report import (
    EXAMPLES_PER_REASON,
    REJECT_REASONS,
    REPAIR_REASONS,
    Example,
    FileReport,
    LoadReport,
    RejectedShareError,
    share_message,
)
from analysis.ingest.sniff import sniff_csv, unwrap

#: One input: a path, raw bytes, a (name, bytes) pair, or a binary file-like with ``name`` (an upload).
SourceItem: TypeAlias = "str | os.PathLike[str] | bytes | tuple[str, bytes] | IO[bytes]"
Source: TypeAlias = "SourceItem | Sequence[SourceItem]"
FILE = "__jl_file"
_DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".gz", ".zip", ".parquet", ".pq")


@dataclass(frozen=True)
class LoadResult:
    """Canonical events (``events``) and the accounting of every input row (``report``)."""

    events: pl.DataFrame
    report: LoadReport


def load_events(
    source: Source,
    *,
    mapping: Mapping[str, str | None] | None = None,
    timezone: str = "UTC",
    date_order: DateOrder | None = None,
    decimal: Decimal | None = None,
    max_rejected_share: float = 0.05,
    member: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    sort: bool = True,
) -> LoadResult:
    """Read CSV (plain, gzip, zip) or Parquet exports into canonical events with a load report.

    Parameters
    ----------
    source
        A path (file or folder), bytes, ``(name, bytes)``, an uploaded file, or a list of these;
        many files become one table with a report per file.
    mapping
        ``{target: source column}`` overriding the detected mapping; ``None`` as value unmaps.
    timezone
        Zone in which naive timestamps are read (IANA name).
    date_order
        ``"DMY"`` or ``"MDY"`` for slashed dates where every day is 12 or less.
    decimal
        Decimal mark of money columns when the file does not make it clear.
    max_rejected_share
        A file with a larger share of unreadable rows (duplicates excluded) fails.
    member
        The member to read from a zip holding several files.
    limits
        Size caps (decompressed bytes, columns, cell length).
    sort
        Group rows by person (a hash of the id) and order them by time; ``False`` keeps file order,
        which is faster when a later step sorts anyway.

    Examples
    --------
    >>> csv = b"user_id,timestamp,event\\n007,2026-01-01T10:00:00Z,page_view\\n"
    >>> result = load_events(("web.csv", csv))
    >>> result.events["user_id"].to_list(), result.report.kept
    (['007'], 1)
    """
    items = _expand(source)
    if not items:
        raise IngestError("no input files given (an empty folder or list). Choose at least one file.")
    reports: list[FileReport] = []
    kept: list[pl.DataFrame] = []
    rejected: list[pl.DataFrame] = []
    for index, (name, data) in enumerate(items):
        report, frame, rej = _load_one(name, data, mapping=mapping, timezone=timezone, date_order=date_order,
                                       decimal=decimal, member=member, limits=limits)
        reports.append(report)
        kept.append(frame.with_columns(pl.lit(index, dtype=pl.Int32).alias(FILE)))
        rejected.append(rej)
    events = pl.concat(kept, how="diagonal_relaxed") if len(kept) > 1 else kept[0]
    events, dupes = _dedupe(events, reports)
    rejected.append(dupes)
    # grouped by a hash of the person (a numeric sort key is ~5x faster than sorting strings), then time
    if sort:
        person = pl.coalesce(schema.USER_ID, schema.ANONYMOUS_ID)
        events = events.sort([person.hash(), person, schema.TIMESTAMP, FILE, LINE])
    events = events.drop(FILE, LINE, REPAIR)
    rejected_rows = pl.concat([r for r in rejected if r.height], how="diagonal_relaxed") if any(
        r.height for r in rejected) else LoadReport(files=[]).rejected_rows
    load_report = LoadReport(files=reports, rejected_rows=rejected_rows)
    for f in reports:
        f.check()
        if f.rows_read and (f.rejected - f.duplicates) / f.rows_read > max_rejected_share:
            raise RejectedShareError(share_message(f, max_rejected_share), load_report)
    return LoadResult(events=schema.validate_events(events), report=load_report)


def peek_columns(source: Source, *, member: str | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> dict[str, list[str]]:
    """Column names per file without loading the rows (for a mapping editor).

    Examples
    --------
    >>> peek_columns(("a.csv", b"Kunde;Zeit\\n1;2\\n"))
    {'a.csv': ['Kunde', 'Zeit']}
    """
    out: dict[str, list[str]] = {}
    for name, data in _expand(source):
        payload = unwrap(data, name, limits=limits, member=member)
        if payload.kind == "parquet":
            schema_ = pl.read_parquet_schema(io.BytesIO(payload.data))
            out[payload.name] = flatten(pl.DataFrame(schema=schema_)).columns
        else:
            dialect = sniff_csv(payload.data, payload.name, limits=limits)
            out[payload.name] = unique_names(dialect.header)
    return out


def _expand(source: Source) -> list[tuple[str, bytes]]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                           and p.name.lower().endswith(_DATA_SUFFIXES))
            return [(display_name(str(p.relative_to(path))), p.read_bytes()) for p in files]
        if not path.is_file():
            raise IngestError(f"{display_name(str(source))} does not exist or is not a file.")
        return [(display_name(path.name), path.read_bytes())]
    if isinstance(source, (bytes, bytearray, memoryview)):
        return [("upload", bytes(source))]
    if isinstance(source, tuple) and len(source) == 2 and isinstance(source[1], (bytes, bytearray)):
        return [(display_name(str(source[0])), bytes(source[1]))]
    if hasattr(source, "read"):
        getvalue = getattr(source, "getvalue", None)
        data = getvalue() if callable(getvalue) else source.read()
        return [(display_name(getattr(source, "name", None)), bytes(data))]
    if isinstance(source, Sequence):
        return [item for s in source for item in _expand(s)]  # type: ignore[arg-type]
    raise IngestError(f"cannot read a source of type {type(source).__name__}; pass a path, bytes, "
                      "(name, bytes) or an uploaded file.")


def _load_one(name: str, data: bytes, *, mapping: Mapping[str, str | None] | None, timezone: str,
              date_order: DateOrder | None, decimal: Decimal | None, member: str | None,
              limits: Limits) -> tuple[FileReport, pl.DataFrame, pl.DataFrame]:
    payload = unwrap(data, name, limits=limits, member=member)
    name = payload.name
    report = FileReport(file=name, container=payload.kind, notes=list(payload.notes))
    ragged = pl.DataFrame(schema={LINE: pl.Int64, "fields": pl.Int64})
    preamble: list[str] = []
    if payload.kind == "parquet":
        raw = read_parquet_raw(payload.data, name, limits=limits)
        raw = raw.with_row_index(LINE, offset=1).with_columns(pl.col(LINE).cast(pl.Int64))
        header = [c for c in raw.columns if c != LINE]
        first_line = 1
    else:
        dialect = sniff_csv(payload.data, name, limits=limits)
        try:
            csv = read_raw(dialect, name)
        except pl.exceptions.ComputeError:  # invalid UTF-8 after the sniffed window
            dialect = sniff_csv(payload.data, name, limits=limits, full_check=True)
            csv = read_raw(dialect, name)
        raw, ragged, header = csv.frame, csv.ragged, dialect.header
        preamble = dialect.preamble
        report.encoding, report.delimiter = dialect.encoding, dialect.delimiter
        report.notes += list(dialect.notes)
        if csv.blank_lines:
            report.notes.append(f"{csv.blank_lines} blank line(s) skipped")
        first_line = dialect.skip_lines + 2
        # Excel pads rows with ";;;": unnamed columns without a single value are dropped, and said so
        unnamed = [c for c, given in zip(raw.columns[1:], dialect.header, strict=False)
                   if not given and raw[c].null_count() == raw.height]
        if unnamed:
            raw = raw.drop(unnamed)
            report.notes.append(f"{len(unnamed)} empty unnamed column(s) dropped (Excel padding)")
        header = [c for c in raw.columns if c != LINE]
    if raw.height == 0 and ragged.height == 0:
        raise IngestError(f"{name} has no data rows after the header (line {first_line - 1}). "
                          "Export again with at least one event.")
    detected = detect_format(header, name=name, preamble=preamble)
    report.format = detected.format
    cols = header if payload.kind == "parquet" else _original_header(header, dialect.header)
    found = detect_mapping(cols, detected.format, name=name, fixed=mapping)
    found = {t: header[cols.index(c)] for t, c in found.items()}
    final = apply_overrides(found, mapping, header, name=name)
    check_required(final, header, name=name)
    report.mapping = final
    # CSV: one byte-level scan of the file tells whether any column needs the per-column check
    controls = None if payload.kind == "parquet" or has_control_chars(dialect.data) else ()
    typed = to_canonical(raw, final, name=name, fmt=detected.format, timezone=timezone, date_order=date_order,
                         decimal=decimal, limits=limits, keep=(LINE,), control_columns=controls)
    report.timestamp, report.decimal = typed.plan.description, typed.decimal
    if typed.decimal == ",":
        report.notes.append(f"{final[schema.REVENUE]} read with decimal comma (1.234,56 → 1234.56)")
    return _account(report, raw, typed, ragged)


def _original_header(unique: list[str], original: list[str]) -> list[str]:
    # conflicts ("User ID" vs "user_id", or a repeated name) are judged on the names as exported
    by_unique = dict(zip(unique_names(original), original, strict=True))
    return [by_unique.get(c) or c for c in unique] if set(unique) <= set(by_unique) else unique


def _account(report: FileReport, raw: pl.DataFrame, typed: Typed,
             ragged: pl.DataFrame) -> tuple[FileReport, pl.DataFrame, pl.DataFrame]:
    frame = typed.frame
    reason = frame[REASON]
    bad = reason.is_not_null()
    report.rows_read = raw.height + ragged.height
    counts = reason.drop_nulls().value_counts()
    report.rejected_by_reason = dict(zip(counts[REASON].to_list(), counts["count"].to_list(), strict=True))
    if ragged.height:
        report.rejected_by_reason = {"ragged": ragged.height, **report.rejected_by_reason}
        report.examples["ragged"] = [
            Example(report.file, line, None, f"{n} fields, expected {raw.width - 1}")
            for line, n in ragged.head(EXAMPLES_PER_REASON).iter_rows()
        ]
    good = frame.filter(~bad) if report.rows_read - ragged.height and bad.any() else frame
    fixes = good[REPAIR].drop_nulls().value_counts()
    report.repaired_by_reason = dict(zip(fixes[REPAIR].to_list(), fixes["count"].to_list(), strict=True))
    report.repaired = int(good[REPAIR].is_not_null().sum())
    report.rejected = sum(report.rejected_by_reason.values())
    report.kept = good.height - report.repaired
    rej_raw = (raw.filter(bad) if bad.any() else raw.clear()).with_columns(reason.filter(bad).alias(REASON))
    for code in REJECT_REASONS:
        rows = rej_raw.filter(pl.col(REASON) == code).head(EXAMPLES_PER_REASON)
        if rows.height:
            report.examples[code] = [_example(report.file, r, typed.reason_columns.get(code), code)
                                     for r in rows.iter_rows(named=True)]
    repaired_raw = raw.filter(~bad).with_columns(good[REPAIR].alias(REPAIR)) if report.repaired else raw.clear()
    for code in REPAIR_REASONS if report.repaired else ():
        rows = repaired_raw.filter(pl.col(REPAIR) == code).head(EXAMPLES_PER_REASON)
        if rows.height:
            col = report.mapping[schema.TIMESTAMP] if code.startswith("dst") else None
            report.examples[code] = [_example(report.file, r, col, code) for r in rows.iter_rows(named=True)]
    rejected = _rejected_rows(report.file, rej_raw, ragged, raw.width - 1)
    return report, good.drop(REASON), rejected


def _example(file: str, row: dict[str, object], column: str | None, code: str) -> Example:
    if column is None:
        # the reason names no single column: show the first cell that explains it
        for col, value in row.items():
            if col in (LINE, REASON, REPAIR) or not isinstance(value, str):
                continue
            if code == "control_chars" and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
                column = col
                break
            if code == "too_long" and len(value.encode()) > 4096:
                column = col
                break
    value = row.get(column) if column else None
    shown = None if value is None else str(value)
    if shown is not None and len(shown) > 200:
        shown = shown[:200] + f"… ({len(shown):,} characters)"
    line = row.get(LINE)
    return Example(file=file, line=int(line) if isinstance(line, int) else None, column=column, value=shown)


def _rejected_rows(file: str, rej_raw: pl.DataFrame, ragged: pl.DataFrame, width: int) -> pl.DataFrame:
    labels = pl.col(REASON).replace_strict(REJECT_REASONS, default=pl.col(REASON))
    flat = [c for c, t in rej_raw.schema.items() if not t.is_nested() and c not in (LINE, REASON)]
    typed = rej_raw.select(
        pl.lit(file).alias("file"), pl.col(LINE).alias("line"), labels.alias("reason"),
        *(pl.col(c).cast(pl.String) for c in flat),
    )
    if not ragged.height:
        return typed
    rag = ragged.select(pl.lit(file).alias("file"), pl.col(LINE).alias("line"),
                        pl.lit(REJECT_REASONS["ragged"]).alias("reason"),
                        pl.format("{} fields, expected {}", pl.col("fields"), pl.lit(width)).alias("detail"))
    return pl.concat([rag, typed], how="diagonal_relaxed").sort("line")


def _dedupe(events: pl.DataFrame, reports: list[FileReport]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Drop repeated events: same source event id when mapped, else identical rows; count per file."""
    id_cols = {r.mapping.get(EVENT_ID) for r in reports} - {None}
    id_col = next((c for c in id_cols if c in events.columns), None) if len(id_cols) == 1 else None
    data_cols = [c for c in events.columns if c not in (FILE, LINE, REPAIR)]
    mask = _exact_duplicates(events, data_cols)
    if id_col is not None:
        mask = mask | events.select(~pl.col(id_col).is_first_distinct() & pl.col(id_col).is_not_null()).to_series()
    if not mask.any():
        return events, pl.DataFrame()
    dropped = events.filter(mask)
    per_file = dropped[FILE].value_counts()
    for index, n in per_file.iter_rows():
        f = reports[index]
        f.rejected_by_reason["duplicate"] = int(n)
        f.rejected += int(n)
        first_rows = dropped.filter(pl.col(FILE) == index).head(EXAMPLES_PER_REASON)
        f.examples["duplicate"] = [
            Example(f.file, int(r[LINE]), id_col, None if id_col is None else r[id_col])
            for r in first_rows.iter_rows(named=True)
        ]
    # repaired rows that turn out to be duplicates leave the repaired count, others the kept count
    for index, f in enumerate(reports):
        gone = dropped.filter(pl.col(FILE) == index)
        fixed = int(gone[REPAIR].is_not_null().sum())
        f.repaired -= fixed
        f.kept -= gone.height - fixed
    rows = dropped.select(
        pl.col(FILE).replace_strict({i: r.file for i, r in enumerate(reports)}, return_dtype=pl.String)
        .alias("file"),
        pl.col(LINE).alias("line"), pl.lit(REJECT_REASONS["duplicate"]).alias("reason"),
    )
    return events.filter(~mask), rows


def _exact_duplicates(frame: pl.DataFrame, cols: list[str]) -> pl.Series:
    """True for rows identical (over ``cols``) to an earlier row; hashing first keeps it fast."""
    if frame.height == 0:
        return pl.Series(dtype=pl.Boolean)
    hashed = frame.select(cols).hash_rows()
    candidates = hashed.is_duplicated()
    out = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
    if not candidates.any():
        return out
    sub = frame.filter(candidates).select(cols)
    exact = ~sub.select(pl.struct(pl.all()).is_first_distinct()).to_series()
    return out.scatter(candidates.arg_true(), exact)
