from __future__ import annotations

import gzip
import tracemalloc
import zipfile

import polars as pl
import pytest

from analysis.errors import IngestError
from analysis.ingest._limits import Limits
from analysis.ingest._sniff import magic, sniff_csv, unwrap
from tests.analysis.ingest.files import events_csv, gzip_bomb, parquet_bytes, xlsx_bytes, zip_bytes


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x1f\x8b\x08\x00rest", "gzip"),
        (b"%PDF-1.7\n", "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, "binary"),
        (b"a,b\n1,x\x00y\n", "text"),
        (b"a,b\n1,2\n", "text"),
        ("a\tb\n".encode("utf-16"), "text"),
    ],
)
def test_magic_names_the_container(data: bytes, kind: str) -> None:
    assert magic(data) == kind


def test_magic_tells_a_workbook_from_a_zip() -> None:
    assert magic(xlsx_bytes()) == "xlsx"
    assert magic(zip_bytes({"events.csv": events_csv()})) == "zip"


def test_magic_needs_par1_at_both_ends_for_parquet() -> None:
    data = parquet_bytes(pl.DataFrame({"a": [1]}))
    assert magic(data) == "parquet"
    assert magic(data[:-1]) != "parquet"


def test_unwrap_empty_file_says_export_again() -> None:
    with pytest.raises(IngestError, match=r"^events\.csv is empty \(0 bytes\)\. Export again"):
        unwrap(b"", "events.csv")


def test_unwrap_xlsx_named_csv_says_save_as_csv() -> None:
    with pytest.raises(IngestError, match=r"events\.csv is an Excel workbook, not CSV\. In Excel use File"):
        unwrap(xlsx_bytes(), "events.csv")


def test_unwrap_gzip_returns_the_text() -> None:
    payload = unwrap(gzip.compress(events_csv()), "e.csv.gz")
    assert (payload.data, payload.kind, payload.notes) == (events_csv(), "csv", ("gzip-compressed",))


def test_unwrap_parquet_named_csv_is_read_as_parquet() -> None:
    assert unwrap(parquet_bytes(pl.DataFrame({"a": [1]})), "events.csv").kind == "parquet"


def test_unwrap_zip_with_one_member_skips_macos_junk() -> None:
    data = zip_bytes({"events.csv": events_csv(), "__MACOSX/._events.csv": b"junk", ".DS_Store": b"x"})
    payload = unwrap(data, "e.zip")
    assert (payload.data, payload.name) == (events_csv(), "e.zip:events.csv")


def test_unwrap_zip_with_two_members_asks_to_choose() -> None:
    data = zip_bytes({"a.csv": events_csv(), "b.csv": events_csv()})
    with pytest.raises(IngestError, match=r"e\.zip holds 2 files \('a\.csv', 'b\.csv'\); choose one"):
        unwrap(data, "e.zip")
    assert unwrap(data, "e.zip", member="b.csv").name == "e.zip:b.csv"


def test_unwrap_zip_rejects_traversal_member() -> None:
    with pytest.raises(IngestError, match=r"member '\.\./x\.csv' is rejected because its path leaves"):
        unwrap(zip_bytes({"../x.csv": events_csv()}), "e.zip")


def test_unwrap_zip_rejects_symlink_member() -> None:
    info = zipfile.ZipInfo("link.csv")
    info.external_attr = 0o120777 << 16
    with pytest.raises(IngestError, match="is a symbolic link"):
        unwrap(zip_bytes({}, infos=[info]), "e.zip")


def test_unwrap_zip_rejects_encrypted_member() -> None:
    data = bytearray(zip_bytes({"secret.csv": events_csv()}))
    central = data.index(b"PK\x01\x02")
    data[6] |= 0x1  # "encrypted" bit in the local header and in the central directory
    data[central + 8] |= 0x1
    with pytest.raises(IngestError, match=r"member 'secret\.csv' is rejected because it is encrypted"):
        unwrap(bytes(data), "e.zip")


def test_unwrap_zip_rejects_nested_archive() -> None:
    with pytest.raises(IngestError, match=r"contains the archive 'inner\.zip'; nested archives"):
        unwrap(zip_bytes({"inner.zip": zip_bytes({"a.csv": events_csv()})}), "e.zip")


def test_unwrap_zip_with_empty_member_is_empty() -> None:
    with pytest.raises(IngestError, match=r"e\.zip:a\.csv is empty \(0 bytes\)"):
        unwrap(zip_bytes({"a.csv": b""}), "e.zip")


def test_unwrap_gzip_of_gzip_is_rejected() -> None:
    with pytest.raises(IngestError, match="archive inside an archive"):
        unwrap(gzip.compress(gzip.compress(events_csv())), "e.csv.gz")


def test_gzip_bomb_fails_fast_with_bounded_memory() -> None:
    bomb = gzip_bomb(1024**3)  # 1 GiB of zeros in about 1 MB
    tracemalloc.start()
    try:
        with pytest.raises(IngestError, match=r"bomb\.csv\.gz expands to more than 64 MiB \(limit, max_bytes\)"):
            unwrap(bomb, "bomb.csv.gz", limits=Limits(max_bytes=64 * 1024**2, max_ratio=1e9))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024**2  # reading on would have needed 1 GiB


def test_gzip_ratio_cap_trips_before_the_size_cap() -> None:
    with pytest.raises(IngestError, match="decompression bomb"):
        unwrap(gzip_bomb(80 * 1024**2, byte=b"a"), "x.gz", limits=Limits(max_ratio=10))


def test_gzip_ratio_is_judged_on_the_bytes_consumed_so_far() -> None:
    # 1 GiB of zeros: refused once the floor is decoded, from the first compressed bytes, not after 1 GiB
    with pytest.raises(IngestError, match=r"expands more than 100x \(34,603,008 bytes from the first [\d,]+ "
                       r"compressed bytes\); it looks like a decompression bomb.*Limits\(max_ratio=\.\.\.\)"):
        unwrap(gzip_bomb(1024**3), "zeros.gz", limits=Limits(expansion_floor=32 * 1024**2))


def test_well_compressed_small_file_under_the_floor_is_read() -> None:
    data = b"user_id,timestamp,event\n" + b"u1,2025-01-01T00:00:00Z,page_view\n" * 100_000
    assert unwrap(gzip.compress(data), "x.csv.gz").data == data


def test_zip_declared_size_over_the_ceiling_is_refused_before_reading() -> None:
    with pytest.raises(IngestError, match=r"z\.zip:big\.csv expands to more than 1 MiB \(limit, max_bytes\)"):
        unwrap(zip_bytes({"big.csv": b"a" * (2 * 1024**2)}), "z.zip", limits=Limits(max_bytes=1024**2))


def test_zip_bomb_member_is_capped() -> None:
    data = zip_bytes({"big.csv": b"\0" * (32 * 1024**2)})
    with pytest.raises(IngestError, match="expands to more than"):
        unwrap(data, "z.zip", limits=Limits(max_bytes=1024**2, max_ratio=1e9))


@pytest.mark.parametrize(("text", "sep"), [("a;b;c\n1;2;3\n", ";"), ("a\tb\n1\t2\n", "\t"),
                                           ("a|b\n1|2\n", "|"), ('a,b\n"x;y",2\n', ",")])
def test_sniff_finds_the_delimiter(text: str, sep: str) -> None:
    assert sniff_csv(text.encode(), "x.csv").delimiter == sep


def test_sniff_skips_sep_line_and_uses_it() -> None:
    d = sniff_csv(b"sep=|\na|b\n1|2\n", "x.csv")
    assert (d.delimiter, d.skip_lines, d.header) == ("|", 1, ["a", "b"])


def test_sniff_skips_hash_preamble() -> None:
    d = sniff_csv(b"# All Users\n# Start date: 20250101\n\nuser_id,event\nu,x\n", "x.csv")
    assert (d.skip_lines, d.preamble, d.header) == (3, ["# All Users", "# Start date: 20250101"],
                                                    ["user_id", "event"])


def test_sniff_utf16_defaults_to_tab() -> None:
    d = sniff_csv("Datum\tUmsatz\n01.01.2025\t1,5\n".encode("utf-16"), "x.csv")
    assert (d.delimiter, d.header, d.encoding) == ("\t", ["Datum", "Umsatz"], "utf-16")


def test_sniff_caps_the_column_count() -> None:
    header = ",".join(f"c{i}" for i in range(30))
    with pytest.raises(IngestError, match="30 columns, more than the limit of 20"):
        sniff_csv(f"{header}\n".encode(), "x.csv", limits=Limits(max_columns=20))


def test_sniff_caps_the_header_length() -> None:
    with pytest.raises(IngestError, match="header is longer than 100 characters"):
        sniff_csv(b"a" * 200 + b"\n1\n", "x.csv", limits=Limits(max_header_chars=100))
