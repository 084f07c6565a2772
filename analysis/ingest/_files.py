"""Inputs as files: a source (path, folder, bytes, upload) expanded into named readers, and one file read into raw
columns with its report. Shared by the event loader (``_load``) and the people loader (``_people``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeAlias

import polars as pl

from analysis.errors import IngestError
from analysis.ingest._csvread import LINE, check_text_size, read_raw, unique_names
from analysis.ingest._jsonread import read_json_raw
from analysis.ingest._limits import Limits, check_line_lengths
from analysis.ingest._names import display_name
from analysis.ingest._parquet import read_parquet_raw
from analysis.ingest._parse import has_control_chars
from analysis.ingest._report import FileReport
from analysis.ingest._sniff import sniff_csv, unwrap
from analysis.ingest._vendors import adobe, snowplow

#: One input: a path, raw bytes, a (name, bytes) pair, or a binary file-like with ``name`` (an upload).
SourceItem: TypeAlias = "str | os.PathLike[str] | bytes | tuple[str, bytes] | IO[bytes]"
Source: TypeAlias = "SourceItem | Sequence[SourceItem]"
_DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".gz", ".zip", ".parquet", ".pq", ".json", ".jsonl", ".ndjson")


def expand_source(source: Source) -> list[tuple[str, Callable[[], bytes]]]:
    """(display name, reader) per input file; paths are read only when their turn comes."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                           and p.name.lower().endswith(_DATA_SUFFIXES))
            return [(display_name(str(p.relative_to(path))), p.read_bytes) for p in files]
        if not path.is_file():
            raise IngestError(f"{display_name(str(source))} does not exist or is not a file.")
        return [(display_name(path.name), path.read_bytes)]
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return [("upload", lambda: data)]
    if isinstance(source, tuple) and len(source) == 2 and isinstance(source[1], (bytes, bytearray)):
        pair = bytes(source[1])
        return [(display_name(str(source[0])), lambda: pair)]
    if hasattr(source, "read"):
        getvalue = getattr(source, "getvalue", None)
        value = bytes(getvalue() if callable(getvalue) else source.read())
        return [(display_name(getattr(source, "name", None)), lambda: value)]
    if isinstance(source, Sequence):
        return [item for s in source for item in expand_source(s)]  # type: ignore[arg-type]
    raise IngestError(f"cannot read a source of type {type(source).__name__}; pass a path, bytes, "
                      "(name, bytes) or an uploaded file.")


@dataclass
class RawFile:
    """One file read into raw columns; its bytes are no longer referenced."""

    report: FileReport
    raw: pl.DataFrame
    ragged: pl.DataFrame
    header: list[str]
    exported_header: list[str]
    preamble: list[str]
    control_columns: tuple[str, ...] | None
    first_line: int


def read_file(name: str, data: bytes, *, member: str | None, limits: Limits) -> RawFile:
    """Read one file (a container is unwrapped first) into raw string columns and its file report."""
    payload = unwrap(data, name, limits=limits, member=member)
    name = payload.name
    report = FileReport(file=name, container=payload.kind, notes=list(payload.notes))
    if payload.kind in ("json", "snowplow", "adobe"):
        return _read_vendor_file(payload.kind, payload.data, report, limits=limits)
    if payload.kind == "parquet":
        raw = read_parquet_raw(payload.data, name, limits=limits, notes=report.notes)
        raw = raw.with_row_index(LINE, offset=1).with_columns(pl.col(LINE).cast(pl.Int64))
        header = [c for c in raw.columns if c != LINE]
        return RawFile(report, raw, pl.DataFrame(schema={LINE: pl.Int64, "fields": pl.Int64}), header, header,
                        [], None, 1)
    # decide before parsing: line lengths as they are, then rows and decoded size of the UTF-8 text
    check_line_lengths(payload.data, name=name, limits=limits)
    dialect = sniff_csv(payload.data, name, limits=limits)
    lines = check_text_size(dialect, name, limits=limits)
    try:
        csv = read_raw(dialect, name, lines=lines)
    except pl.exceptions.ComputeError:  # invalid UTF-8 after the sniffed window
        dialect = sniff_csv(payload.data, name, limits=limits, full_check=True)
        csv = read_raw(dialect, name, lines=check_text_size(dialect, name, limits=limits))
    raw = csv.frame
    report.encoding, report.delimiter = dialect.encoding, dialect.delimiter
    report.notes += list(dialect.notes)
    if csv.blank_lines:
        report.notes.append(f"{csv.blank_lines} blank line(s) skipped")
    if not csv.exact_lines:
        report.notes.append("some quoted fields span lines: line numbers count rows after the header")
    # Excel pads rows with ";;;": unnamed columns without a single value are dropped, and said so
    unnamed = [c for c, given in zip(raw.columns[1:], dialect.header, strict=False)
               if not given and raw[c].null_count() == raw.height]
    if unnamed:
        raw = raw.drop(unnamed)
        report.notes.append(f"{len(unnamed)} empty unnamed column(s) dropped (Excel padding)")
    header = [c for c in raw.columns if c != LINE]
    # one byte-level scan of the file tells whether any column needs the per-column control check
    controls = None if has_control_chars(dialect.data) else ()
    return RawFile(report, raw, csv.ragged, header, _original_header(header, dialect.header), dialect.preamble,
                    controls, dialect.skip_lines + 2)


def _read_vendor_file(kind: str, data: bytes, report: FileReport, *, limits: Limits) -> RawFile:
    name = report.file
    bad = pl.DataFrame(schema={LINE: pl.Int64, "fields": pl.Int64})
    if kind == "json":
        parsed = read_json_raw(data, name, limits=limits)
        raw, bad = parsed.frame, parsed.bad
        report.notes += list(parsed.notes)
        report.encoding = "utf-8"
        if name.endswith(" JSON files)"):  # a zip of JSON-lines files, read as one text
            report.notes.append("the zip's files are read as one table, in name order; line numbers count lines "
                                "across them")
    elif kind == "snowplow":
        raw, bad = snowplow.read_enriched(data, name)
        empty = len(snowplow.COLUMNS) - (raw.width - 1)
        if empty:
            report.notes.append(f"{empty} of the 131 enriched-event fields are empty on every line and left out")
        report.encoding, report.delimiter = "utf-8", "\t"
    else:
        feed = adobe.read_feed(data, name, limits=limits)
        raw = feed.frame
        report.notes += feed.notes
        report.delimiter = "\t"
    header = [c for c in raw.columns if c != LINE]
    return RawFile(report, raw, bad, header, header, [], None, 1)


def _original_header(unique: list[str], original: list[str]) -> list[str]:
    # conflicts ("User ID" vs "user_id", or a repeated name) are judged on the names as exported
    by_unique = dict(zip(unique_names(original), original, strict=True))
    return [by_unique.get(c) or c for c in unique] if set(unique) <= set(by_unique) else unique
