"""Look at raw bytes before any parser does: magic bytes, archives, encoding, preamble and delimiter."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Literal

from analysis.errors import IngestError
from analysis.ingest._encoding import SNIFF_BYTES, looks_utf16, looks_utf32, to_utf8
from analysis.ingest._limits import DEFAULT_LIMITS, CountingReader, ExpansionBudget, Limits, check_decoded, read_bounded

Kind = Literal["csv", "parquet", "json", "adobe", "snowplow"]

_DELIMITERS = (",", ";", "\t", "|")
_SEP_LINE = re.compile(r'^"?sep=(.)"?\s*$', re.IGNORECASE)
_ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz")


@dataclass(frozen=True)
class Payload:
    """The data bytes of one file after unwrapping gzip/zip, with what was found on the way."""

    data: bytes
    kind: Kind
    name: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dialect:
    """How to read one CSV text: UTF-8 bytes plus the options the Polars reader needs."""

    data: bytes
    encoding: str
    delimiter: str
    skip_lines: int
    header: list[str]
    preamble: list[str] = field(default_factory=list)
    notes: tuple[str, ...] = ()


def _is_parquet(data: bytes) -> bool:
    return len(data) >= 8 and data[:4] == b"PAR1" and data[-4:] == b"PAR1"


def magic(data: bytes) -> str:
    """Name the container from the first bytes: parquet, gzip, zip, xlsx, xls, pdf, binary or text.

    Examples
    --------
    >>> magic(b"\\x1f\\x8b\\x08\\x00")
    'gzip'
    """
    head = data[:8192]
    if _is_parquet(data):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return "zip"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or looks_utf16(head) or looks_utf32(head):
        return "text"
    if head.count(0) > max(2, len(head) // 100):  # a stray NUL in a value is repaired later, not binary
        return "binary"
    return "text"


_NOT_DATA = {
    "xlsx": "an Excel workbook, not CSV. In Excel use File → Save As → 'CSV UTF-8' and upload that file.",
    "xls": "a legacy Excel (.xls) workbook, not CSV. In Excel use File → Save As → 'CSV UTF-8'.",
    "pdf": "a PDF document, not event data. Export the events as CSV or Parquet instead.",
    "binary": "a binary file, not CSV or Parquet. Export the events as CSV (UTF-8) or Parquet.",
}


def unwrap(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS, member: str | None = None) -> Payload:
    """Return the CSV or Parquet bytes inside ``data``, decompressing gzip/zip with bounded memory.

    Raises :class:`IngestError` for empty, non-data, nested, encrypted or oversized input.

    Examples
    --------
    >>> unwrap(gzip.compress(b"a,b\\n1,2\\n"), "x.csv.gz").data
    b'a,b\\n1,2\\n'
    """
    notes: list[str] = []
    if not data:
        raise IngestError(f"{name} is empty (0 bytes). Export again with at least a header and one row.")
    kind = magic(data)
    if kind == "gzip":
        data = _gunzip(data, name, limits)
        notes.append("gzip-compressed")
        kind = magic(data) if data else "text"
        if kind in {"gzip", "zip"}:
            raise IngestError(f"{name} is an archive inside an archive; unpack it and upload the data file.")
    elif kind == "zip" and member is None and is_adobe_feed(zip_names(data)):
        return Payload(data=data, kind="adobe", name=name, notes=("Adobe Analytics data feed (zip)",))
    elif kind == "zip":
        data, inner = _unzip(data, name, limits, member)
        notes.append(f"zip member {inner!r}")
        name = f"{name}:{inner}"
        kind = magic(data) if data else "text"
        if kind in {"gzip", "zip"}:
            raise IngestError(f"{name} is an archive inside an archive; unpack it and upload the data file.")
    if kind in _NOT_DATA:
        raise IngestError(f"{name} is {_NOT_DATA[kind]}")
    if not data:
        raise IngestError(f"{name} is empty (0 bytes). Export again with at least a header and one row.")
    if kind == "parquet":
        return Payload(data=data, kind="parquet", name=name, notes=tuple(notes))
    if looks_json(data):
        return Payload(data=data, kind="json", name=name, notes=tuple(notes))
    from analysis.ingest._vendors.snowplow import looks_enriched  # noqa: PLC0415 (it imports csvread, which imports us)

    if looks_enriched(data):
        return Payload(data=data, kind="snowplow", name=name,
                       notes=(*notes, "Snowplow enriched events (TSV without a header, documented column order)"))
    return Payload(data=data, kind="csv", name=name, notes=tuple(notes))


def looks_json(data: bytes) -> bool:
    """True if the text starts (after a BOM and blanks) with ``{`` or ``[``: JSON lines or a JSON array.

    Examples
    --------
    >>> looks_json(b'\\n{"event": "x"}\\n'), looks_json(b"user_id,event\\n")
    (True, False)
    """
    head = data[:4096].lstrip(b" \t\r\n\xef\xbb\xbf")
    return head[:1] in (b"{", b"[")


def zip_names(data: bytes) -> list[str]:
    """Member names of a zip archive (empty if it cannot be opened)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except zipfile.BadZipFile:
        return []


def is_adobe_feed(names: list[str]) -> bool:
    """True for an Adobe Analytics data feed delivery: ``hit_data.tsv`` with ``column_headers.tsv`` beside it.

    Examples
    --------
    >>> is_adobe_feed(["hit_data.tsv", "column_headers.tsv", "event.tsv"]), is_adobe_feed(["a.csv"])
    (True, False)
    """
    base = {n.replace("\\", "/").rsplit("/", 1)[-1].lower() for n in names}
    return "hit_data.tsv" in base and "column_headers.tsv" in base


def _gunzip(data: bytes, name: str, limits: Limits) -> bytes:
    source = CountingReader(data)
    try:
        with gzip.GzipFile(fileobj=source) as stream:
            return read_bounded(stream, ExpansionBudget(name, limits), lambda: source.consumed)
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(f"{name} is a damaged gzip file ({exc}); export or download it again.") from exc


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    path = info.filename.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path) or ".." in path.split("/"):
        return "its path leaves the archive"
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        return "it is a symbolic link"
    if info.flag_bits & 0x1:
        return "it is encrypted"
    return None


def _unzip(data: bytes, name: str, limits: Limits, member: str | None) -> tuple[bytes, str]:
    source = CountingReader(data)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise IngestError(f"{name} is a damaged zip file ({exc}); download it again.") from exc
    with archive:
        infos = archive.infolist()
        for info in infos:
            reason = _unsafe_member(info)
            if reason:
                raise IngestError(f"{name}: member {info.filename!r} is rejected because {reason}.")
        members = [
            i for i in infos
            if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            and not i.filename.rsplit("/", 1)[-1].startswith(".")
        ]
        nested = [i.filename for i in members if i.filename.lower().endswith(_ARCHIVE_SUFFIXES)]
        if nested:
            raise IngestError(f"{name} contains the archive {nested[0]!r}; nested archives are not read. "
                              "Unpack it and upload the data file.")
        if member is not None:
            members = [i for i in members if i.filename == member]
        if not members:
            raise IngestError(f"{name} holds no data file. Zip exactly one CSV or Parquet file.")
        if len(members) > 1:
            listed = ", ".join(repr(i.filename) for i in members[:10])
            raise IngestError(f"{name} holds {len(members)} files ({listed}); choose one with member=... "
                              "or upload the files separately.")
        info = members[0]
        budget = ExpansionBudget(f"{name}:{info.filename}", limits)
        budget.charge(decoded=info.file_size, consumed=info.compress_size)  # as declared; checked again as read
        start = source.consumed
        try:
            with archive.open(info) as stream:
                return read_bounded(stream, budget, lambda: source.consumed - start), info.filename
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise IngestError(f"{name}:{info.filename} cannot be unpacked ({exc}); zip it again with "
                              "standard (deflate) compression.") from exc


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: Limits,
                source: CountingReader) -> bytes:
    """One member's bytes, after the same safety checks and expansion budget as a single-file zip."""
    reason = _unsafe_member(info)
    if reason:
        raise IngestError(f"{name}: member {info.filename!r} is rejected because {reason}.")
    budget = ExpansionBudget(f"{name}:{info.filename}", limits)
    budget.charge(decoded=info.file_size, consumed=info.compress_size)  # as declared; checked again as read
    start = source.consumed
    try:
        with archive.open(info) as stream:
            return read_bounded(stream, budget, lambda: source.consumed - start)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise IngestError(f"{name}:{info.filename} cannot be unpacked ({exc}); zip it again with "
                          "standard (deflate) compression.") from exc


_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")


def json_members(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS) -> tuple[str, bytes] | None:
    """A zip of JSON-lines files (Amplitude's export: one ``.json.gz`` per hour) as one JSON-lines text.

    Returns the display name (``export.zip (24 JSON files)``) and the members' decompressed lines, in name order,
    joined; None when ``data`` is not such a zip. One text instead of one file per hour: a month is 720 files, and
    each would otherwise pay the full per-file cost.

    Examples
    --------
    >>> import io
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("1/1_2025-03-01_10#0.json.gz", gzip.compress(b'{"a": 1}')); z.writestr("1/x.json", b'{"a": 2}')
    >>> json_members(buf.getvalue(), "export.zip")
    ('export.zip (2 JSON files)', b'{"a": 1}\\n{"a": 2}\\n')
    """
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return None
    source = CountingReader(data)
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        return None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                 and not i.filename.rsplit("/", 1)[-1].startswith(".")]
        if not infos or not all(i.filename.lower().endswith(_JSON_SUFFIXES) for i in infos):
            return None
        if len(infos) == 1 and not infos[0].filename.lower().endswith(".gz"):
            return None  # one plain JSON member: the ordinary zip path reads it
        parts: list[bytes] = []
        total = 0
        for info in sorted(infos, key=lambda i: i.filename):
            raw = read_member(archive, info, name, limits, source)
            text = _gunzip(raw, f"{name}:{info.filename}", limits) if raw.startswith(b"\x1f\x8b") else raw
            total += len(text) + 1
            check_decoded(total, name=name, limits=limits)
            parts.append(text if text.endswith(b"\n") else text + b"\n")
    return f"{name} ({len(infos):,} JSON files)", b"".join(parts)


def _split_fields(lines: list[str], delimiter: str) -> list[int]:
    try:
        return [len(row) for row in csv.reader(lines, delimiter=delimiter)]
    except csv.Error:
        return []


def sniff_csv(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS, delimiter: str | None = None,
              full_check: bool = False) -> Dialect:
    """Find encoding, ``sep=`` line, ``#`` preamble, delimiter and header of a CSV payload.

    Examples
    --------
    >>> d = sniff_csv(b"sep=;\\nDatum;Umsatz\\n01.02.2025;1,5\\n", "de.csv")
    >>> (d.delimiter, d.skip_lines, d.header)
    (';', 1, ['Datum', 'Umsatz'])
    """
    data, encoding, notes_t = to_utf8(data, name, full=full_check)
    notes = list(notes_t)
    window = SNIFF_BYTES
    # a header longer than the window is read whole (up to its cap), never cut at the window
    while window < len(data) and data.count(b"\n", 0, window) < 2 and window < 4 * limits.max_header_chars + 8:
        window *= 4
    if b"\n" not in data[:window] and b"\r" in data[:window] and b"\n" not in data:
        data = data.replace(b"\r", b"\n")
        notes.append("line breaks are CR only (old Mac): read as line ends")
    head = data[:window].decode("utf-8", errors="ignore").lstrip("\ufeff")
    # only LF (and CR LF) end a line, as for the CSV reader: str.splitlines would also split at FF, VT, NEL...
    lines = [line.removesuffix("\r") for line in head.split("\n")]
    if lines and not lines[-1]:
        lines.pop()
    if len(data) > window and len(lines) > 1:
        lines = lines[:-1]  # the last line of the window may be cut
    skip = 0
    preamble: list[str] = []
    if lines and (m := _SEP_LINE.match(lines[0])):
        delimiter = delimiter or m.group(1)
        notes.append(f"Excel 'sep={m.group(1)}' line skipped")
        skip = 1
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        if lines[skip].strip():
            preamble.append(lines[skip])
        skip += 1
    if preamble:
        notes.append(f"{len(preamble)} '#' preamble line(s) skipped")
    body = lines[skip:skip + 200]
    if not body:
        raise IngestError(f"{name} has no header line (only {skip} preamble/blank lines). "
                          "Export again with a header and data rows.")
    if len(body[0]) > limits.max_header_chars:
        raise IngestError(f"{name}, line {skip + 1}: the header is longer than "
                          f"{limits.max_header_chars:,} characters; this is not an event export.")
    if delimiter is None:
        delimiter = _guess_delimiter(body, default="\t" if encoding == "utf-16" else ",")
    if len(body) == 1 and len(data) > window:
        raise IngestError(f"{name}, line {skip + 1}: the header is longer than "
                          f"{limits.max_header_chars:,} characters; this is not an event export.")
    _check_header_text(body[0], name, skip + 1)
    try:
        header = next(csv.reader([body[0]], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise IngestError(f"{name}, line {skip + 1}: the header cannot be read as CSV ({exc}). Fix the quotes "
                          "in the column names.") from None
    if len(header) > limits.max_columns:
        raise IngestError(f"{name}, line {skip + 1}: {len(header):,} columns, more than the limit of "
                          f"{limits.max_columns:,}. Export only the columns you need.")
    return Dialect(data=data, encoding=encoding, delimiter=delimiter, skip_lines=skip,
                   header=[h.replace("\ufeff", "").replace("\xa0", " ").strip() for h in header],
                   preamble=preamble, notes=tuple(notes))


_HEADER_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # a CR not ending the line too


def _check_header_text(line: str, name: str, number: int) -> None:
    """Refuse control characters and quoted line breaks in the header, naming the column."""
    found = _HEADER_CONTROL.search(line)
    if found:
        column = line.count(",", 0, found.start()) + line.count(";", 0, found.start()) + \
            line.count("\t", 0, found.start()) + line.count("|", 0, found.start()) + 1
        raise IngestError(f"{name}, line {number}: the header holds the control character "
                          f"U+{ord(found.group()):04X} (near column {column}). Column names must be plain text: "
                          "remove it in the export.")
    if line.count('"') % 2:
        raise IngestError(f"{name}, line {number}: a quoted column name in the header spans lines (a line break "
                          "inside a name). Column names must be on one line: remove the line break in the export.")


def _guess_delimiter(lines: list[str], *, default: str) -> str:
    best: tuple[float, int, int] = (0.0, 1, 0)
    choice = default
    for rank, cand in enumerate(_DELIMITERS):
        counts = _split_fields(lines, cand)
        if not counts or counts[0] <= 1:
            continue
        consistency = sum(c == counts[0] for c in counts) / len(counts)
        score = (consistency, counts[0], -rank)
        if score > best:
            best, choice = score, cand
    return choice
