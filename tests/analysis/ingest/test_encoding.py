from __future__ import annotations

from analysis.ingest._encoding import to_utf8


def test_to_utf8_reads_cp1252_and_counts_the_line() -> None:
    data, encoding, notes = to_utf8("a\nFrühling €\n".encode("cp1252"), "x.csv")
    assert (data.decode(), encoding, notes) == ("a\nFrühling €\n", "cp1252",
                                               ("Encoding: Windows-1252 (first non-UTF-8 byte at line 2)",))


def test_to_utf8_falls_back_to_latin1_for_undefined_cp1252_bytes() -> None:
    raw = "Frühling".encode("latin-1") + b"\x81"
    data, encoding, _ = to_utf8(raw, "x.csv")
    assert (data.decode(), encoding) == ("Frühling\x81", "latin-1")


def test_to_utf8_strips_the_bom() -> None:
    assert to_utf8(b"\xef\xbb\xbfDatum\n", "x.csv")[0] == b"Datum\n"


def test_to_utf8_decodes_utf16() -> None:
    data, encoding, _ = to_utf8("Datum\tUmsatz\n".encode("utf-16"), "x.csv")
    assert (data, encoding) == (b"Datum\tUmsatz\n", "utf-16")
