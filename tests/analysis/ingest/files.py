"""Tiny export files built in memory for the ingest tests (never checked into git)."""

from __future__ import annotations

import gzip
import io
import zipfile

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq


def csv(*lines: str, sep: str = ",", encoding: str = "utf-8") -> bytes:
    """Join ``lines`` (fields separated by ``|`` placeholders are not used: write them literally)."""
    text = "\n".join(lines) + "\n"
    return text.replace(",", sep).encode(encoding) if sep != "," else text.encode(encoding)


def events_csv(n: int = 3) -> bytes:
    """A clean generic CSV with ``n`` events."""
    rows = [f"u{i},2025-03-01T10:{i:02d}:00Z,page_view" for i in range(n)]
    return csv("user_id,timestamp,event", *rows)


def zip_bytes(members: dict[str, bytes], *, infos: list[zipfile.ZipInfo] | None = None) -> bytes:
    """A zip archive with the given members (and optional hand-made ZipInfo entries)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for info in infos or []:
            zf.writestr(info, b"user_id,timestamp,event\nu,2025-01-01T00:00:00Z,x\n")
    return buf.getvalue()


def parquet_bytes(table: pa.Table | pl.DataFrame, **kwargs: object) -> bytes:
    """Parquet bytes written by pyarrow (``use_deprecated_int96_timestamps`` etc. pass through)."""
    if isinstance(table, pl.DataFrame):
        table = table.to_arrow()
    buf = io.BytesIO()
    pq.write_table(table, buf, **kwargs)  # type: ignore[arg-type]
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    """The smallest zip that has the parts of an Excel workbook."""
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                      "_rels/.rels": b"<Relationships/>"})


def gzip_bomb(size: int, *, byte: bytes = b"\0") -> bytes:
    """A gzip stream expanding to ``size`` bytes: one 16 MiB member repeated (readers take concatenated members)."""
    block = 16 * 1024 * 1024
    return gzip.compress(byte * block, compresslevel=9) * max(1, size // block)
