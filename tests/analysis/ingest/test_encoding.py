from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.ingest import load_events, load_people
from analysis.ingest._encoding import to_utf8, unusual


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


# ---- valid UTF-8 that is really Windows-1252 (issue 20's German CRM export)

_SZ_EURO = "Kundennummer;Notiz\nK1;ß€\n".encode("cp1252")  # bytes DF 80: valid UTF-8 for the N'Ko digit '߀'


def test_valid_utf8_that_reads_as_nko_is_read_as_cp1252_and_the_report_says_why() -> None:
    assert _SZ_EURO.decode("utf-8") == "Kundennummer;Notiz\nK1;\u07c0\n"
    data, encoding, notes = to_utf8(_SZ_EURO, "crm.csv")
    assert (data.decode(), encoding) == ("Kundennummer;Notiz\nK1;ß€\n", "cp1252")
    assert notes == ("Encoding: Windows-1252 (the file is also valid UTF-8, but as UTF-8 its non-ASCII text would "
                     "only be characters no export holds, such as '߀' (U+07C0 NKO DIGIT ZERO) on line 2; as "
                     "Windows-1252 that reads 'ß€')",)


def test_the_sz_euro_file_loads_as_cp1252_through_load_events() -> None:
    raw = "user_id;timestamp;event;Notiz\nu1;2025-01-01T10:00:00Z;page_view;ß€\n".encode("cp1252")
    result = load_events(("de.csv", raw))
    f = result.report.files[0]
    assert (f.encoding, result.events["Notiz"].to_list()) == ("cp1252", ["ß€"])
    assert any(n.startswith("Encoding: Windows-1252 (the file is also valid UTF-8") for n in f.notes)


def test_the_sz_euro_file_loads_as_cp1252_through_load_people() -> None:
    raw = "Kundennummer;Segment\nK1;Groß€\nK2;VIP\n".encode("cp1252")
    result = load_people(("crm.csv", raw))
    assert result.report.files[0].encoding == "cp1252"
    assert result.people is not None
    assert result.people.sort("customer_id")["Segment"].to_list() == ["Groß€", "VIP"]


def test_a_cp1252_file_with_sz_euro_and_umlauts_is_not_refused_as_mixed() -> None:
    # 'ö' (F6) is not UTF-8, 'ß€' (DF 80) is: the valid pair is no sign of UTF-8 text, so this is not a mix
    data, encoding, notes = to_utf8("a\nß€\nJörg\n".encode("cp1252"), "x.csv")
    assert (data.decode(), encoding, notes) == ("a\nß€\nJörg\n", "cp1252",
                                               ("Encoding: Windows-1252 (first non-UTF-8 byte at line 3)",))


def test_a_c1_control_stays_utf8_when_cp1252_reads_no_better() -> None:
    # C2 80 is U+0080 in UTF-8 and 'Â€' in Windows-1252: both unlikely, so the bytes stay as they are and the
    # control-character check names the cell
    raw = "a\nÂ€\n".encode("cp1252")
    data, encoding, notes = to_utf8(raw, "x.csv")
    assert (data, encoding) == (raw, "utf-8")
    assert notes == ("Encoding: UTF-8 (valid UTF-8, although line 2 reads '\\x80' (U+0080 a control character); as "
                     "Windows-1252 it would read 'Â€', no more likely)",)


def test_german_utf8_stays_utf8() -> None:
    raw = "Kunde;Adresse\nK1;Straße 5 €\n".encode()
    data, encoding, notes = to_utf8(raw, "x.csv")
    assert (data, encoding) == (raw, "utf-8")
    assert notes == ("Encoding: UTF-8 (valid UTF-8; its non-ASCII text, such as 'ß' on line 2, is ordinary text)",)


@pytest.mark.parametrize("text", ["東京都渋谷区", "مرحبا بالعالم", "שלום עולם", "Москва", "ߒߞߏ ߛߓߍߛߎ߲"])
def test_utf8_with_real_non_latin_text_stays_utf8(text: str) -> None:
    raw = f"id;name\n1;{text}\n".encode()
    data, encoding, notes = to_utf8(raw, "x.csv")
    assert (data, encoding) == (raw, "utf-8")
    assert notes[0].startswith("Encoding: UTF-8 (valid UTF-8; its non-ASCII text, such as")


def test_japanese_and_arabic_stay_utf8_through_load_events() -> None:
    raw = "user_id,timestamp,event,city\nu1,2025-01-01T10:00:00Z,v,東京\nu2,2025-01-01T10:00:00Z,v,القاهرة\n"
    result = load_events(("x.csv", raw.encode()))
    assert (result.report.files[0].encoding, result.events["city"].to_list()) == ("utf-8", ["東京", "القاهرة"])


def test_an_unusual_character_beside_ordinary_utf8_stays_utf8() -> None:
    raw = "a\n߀\nStraße\n".encode()
    data, encoding, notes = to_utf8(raw, "x.csv")
    assert (data, encoding) == (raw, "utf-8")
    assert notes == ("Encoding: UTF-8 (valid UTF-8; its non-ASCII text, such as 'ß' on line 3, is ordinary text)",)


def test_ordinary_utf8_after_the_sniffed_window_keeps_the_file_utf8() -> None:
    raw = ("a\n߀\n" + "x\n" * 40_000 + "Straße\n").encode()  # the first 64 KB hold only the N'Ko digit
    data, encoding, notes = to_utf8(raw, "x.csv")
    assert (data, encoding) == (raw, "utf-8")
    assert notes == ("Encoding: UTF-8 (valid UTF-8; line 2 reads '߀' (U+07C0 NKO DIGIT ZERO), but line 40,003 "
                     "holds ordinary UTF-8 text ('ß'))",)


def test_an_unusual_character_that_is_not_cp1252_stays_utf8() -> None:
    raw = "a\n߁\n".encode()  # DF 81: 0x81 is undefined in Windows-1252
    data, encoding, notes = to_utf8(raw, "x.csv")
    assert (data, encoding) == (raw, "utf-8")
    assert "the file is not Windows-1252 either" in notes[0]


def test_a_bom_is_utf8_whatever_follows() -> None:
    data, encoding, notes = to_utf8(b"\xef\xbb\xbfa\n\xdf\x80\n", "x.csv")
    assert (data, encoding, notes) == (b"a\n\xdf\x80\n", "utf-8",
                                       ("Encoding: UTF-8 (the file starts with the UTF-8 byte-order mark)",))


def test_ascii_needs_no_note() -> None:
    assert to_utf8(b"a,b\n1,2\n", "x.csv") == (b"a,b\n1,2\n", "utf-8", ())


def test_ambiguous_latin_stays_utf8() -> None:
    # 'Ä°' in Windows-1252 is byte for byte 'İ' in UTF-8 (C4 B0): an ordinary letter, so UTF-8 wins (documented)
    assert to_utf8("a\nÄ°\n".encode("cp1252"), "x.csv")[:2] == ("a\nİ\n".encode(), "utf-8")


@pytest.mark.parametrize(("char", "before", "after", "expected"), [
    ("\u07c0", ";", "\n", True),   # N'Ko digit alone: 'ß€'
    ("\u07c0", "\u07d2", "", False),  # inside N'Ko text
    ("\u0730", "", "", True),      # Syriac alone: 'Ü°'
    ("\u0645", "\u0631", "", False),  # Arabic beside Arabic
    ("\u0645", " ", " ", True),    # one Arabic letter alone
    ("\x85", "a", "b", True),      # C1 control
    ("\ue000", "", "", True),      # private use
    ("\u0301", "e", "", False),    # combining accent on a letter
    ("\u0301", ";", "", True),     # combining accent on nothing
    ("μ", " ", "g", False),        # Greek is never unusual
    ("İ", "", "", False),          # Latin is never unusual
])
def test_unusual(char: str, before: str, after: str, expected: bool) -> None:
    assert unusual(char, before, after) is expected


# German text as Windows-1252 holds it: words of German letters, numbers with units, the cp1252 punctuation and
# symbols, placed anywhere a writer puts them (after a word, a number or a space). Left out: 'Ä' or 'ä' directly
# followed by a symbol from 0x80-0xBF, which is byte for byte an ordinary Latin letter or CJK ideograph in UTF-8
# (see test_ambiguous_latin_stays_utf8).
_GERMAN_WORD = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜabcdefghijklmnopqrstuvwxyzäöü"),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß", min_size=1, max_size=12))
_SYMBOL = st.sampled_from(list("€‚„…†‡‰‹›‘’“”•–—™°±²³µ·§©®«»¼½¾×÷¢£¥¦¨¬¯´¸¹º¿¡"))
_NUMBER = st.builds(lambda n, unit: f"{n}{unit}", st.integers(0, 99_999),
                    st.sampled_from(["", " €", "€", "%", "°C", "²"]))
_TOKEN = st.one_of(_GERMAN_WORD, _SYMBOL, _NUMBER, st.sampled_from([",", ".", ";", ":", "!", "?", "-", "(", ")"]))
_GERMAN_TEXT = st.lists(st.tuples(_TOKEN, st.sampled_from(["", " ", "\n", ";"])), min_size=1, max_size=40).map(
    lambda parts: "".join(t + sep for t, sep in parts)).filter(lambda t: not _AMBIGUOUS.search(t))
_AMBIGUOUS = re.compile("[Ää][" + re.escape(bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore")) + "]")


@given(_GERMAN_TEXT)
def test_any_cp1252_german_text_round_trips(text: str) -> None:
    data, encoding, _ = to_utf8(text.encode("cp1252"), "x.csv")
    assert data.decode() == text
    assert encoding == ("utf-8" if text.isascii() else "cp1252")


@given(_GERMAN_TEXT)
def test_any_utf8_german_text_stays_utf8(text: str) -> None:
    data, encoding, _ = to_utf8(text.encode(), "x.csv")
    assert (data.decode(), encoding) == (text, "utf-8")
