"""load_events end to end: the 27 bad inputs of the reference brief (#n in each test name), export styles,
many files, and the shuffle property."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.errors import IngestError
from analysis.ingest import Limits, RejectedShareError, load_events
from analysis.ingest._examples import EXAMPLES, german_excel_csv, mixpanel_csv
from analysis.sample import generate_sample
from analysis.schema import validate_events
from tests.analysis.ingest.files import events_csv, gzip_bomb, parquet_bytes, xlsx_bytes, zip_bytes

HEAD = "user_id,timestamp,event"


def by_time(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort("timestamp", "user_id", "event", nulls_last=True)


# ---------------------------------------------------------------- export styles


@pytest.mark.parametrize(
    ("name", "fmt", "rows"),
    [("ga4_export.csv", "ga4", 4), ("segment_tracks.csv", "segment", 3), ("mixpanel_export.csv", "mixpanel", 3),
     ("snowplow_events.csv", "snowplow", 3), ("kunden_export_excel.csv", "generic", 3),
     ("ga4_events.parquet", "ga4", 3)],
)
def test_each_export_style_is_detected_and_loads(name: str, fmt: str, rows: int) -> None:
    result = load_events((name, EXAMPLES[name]()))
    assert (result.report.detected_format, result.events.height, result.report.rejected) == (fmt, rows, 0)
    validate_events(result.events)


def test_segment_offsets_become_utc_and_message_id_is_kept() -> None:
    ev = by_time(load_events(("s.csv", EXAMPLES["segment_tracks.csv"]())).events)
    assert ev["timestamp"].to_list() == [datetime(2025, 3, 1, 9, 5, tzinfo=UTC),
                                         datetime(2025, 3, 1, 10, 0, tzinfo=UTC),
                                         datetime(2025, 3, 1, 10, 9, 30, 250000, tzinfo=UTC)]
    assert ev["messageId"].to_list() == ["m-2", "m-1", "m-3"]
    assert ev["revenue"].to_list() == [None, None, 120.5]


def test_snowplow_event_type_column_is_kept_renamed() -> None:
    ev = load_events(("s.csv", EXAMPLES["snowplow_events.csv"]())).events
    assert "raw_event" in ev.columns and ev["event"].sort().to_list() == ["add_to_cart", "page_view", "transaction"]


def test_mapping_override_changes_the_timestamp_column() -> None:
    result = load_events(("s.csv", EXAMPLES["snowplow_events.csv"]()), mapping={"timestamp": "collector_tstamp"})
    assert result.report.mapping["timestamp"] == "collector_tstamp"
    assert by_time(result.events)["timestamp"][0] == datetime(2025, 3, 1, 10, 0, 1, tzinfo=UTC)


# ---------------------------------------------------------------- the 27 bad inputs


def test_01_german_excel_csv_decimal_comma_and_thousands_dot() -> None:
    result = load_events(("de.csv", german_excel_csv()))
    ev = by_time(result.events)
    assert ev["revenue"].to_list() == [None, 1234.56, -0.5]
    assert ev["user_id"].to_list() == ["00123", "00123", "00456"]
    f = result.report.files[0]
    assert (f.delimiter, f.decimal, f.encoding) == (";", ",", "cp1252")
    assert "Umsatz read with decimal comma (1.234,56 → 1234.56)" in f.notes


@pytest.mark.parametrize(("encoding", "label"), [("cp1252", "Windows-1252"), ("latin-1", "Latin-1")])
def test_02_legacy_encodings_round_trip_without_replacement_chars(encoding: str, label: str) -> None:
    text = "Frühling €" if encoding == "cp1252" else "Frühling ÿ\x81"  # 0x81 is undefined in cp1252
    data = f"{HEAD},campaign\nu,2025-01-01T00:00:00Z,view,{text}\n".encode(encoding)
    result = load_events(("x.csv", data))
    assert result.events["campaign"].to_list() == [text]
    assert "\ufffd" not in result.events["campaign"][0]
    assert result.report.files[0].notes[0] == f"Encoding: {label} (first non-UTF-8 byte at line 2)"


def test_02_non_utf8_byte_after_the_sniffed_window_is_still_decoded() -> None:
    rows = "".join(f"u{i},2025-01-01T00:00:00Z,view,a\n" for i in range(5000))
    data = f"{HEAD},campaign\n{rows}u,2025-01-01T00:00:00Z,view,Frühling €\n".encode("cp1252")
    result = load_events(("x.csv", data))
    assert result.report.files[0].encoding == "cp1252" and result.events.height == 5001


def test_03_utf8_bom_is_not_part_of_the_first_header() -> None:
    result = load_events(("x.csv", b"\xef\xbb\xbfDatum,user_id,timestamp,event\n1,u,2025-01-01T00:00:00Z,v\n"))
    assert "Datum" in result.events.columns


def test_04_utf16_tab_separated_excel_unicode_text() -> None:
    data = "user_id\ttimestamp\tevent\nu1\t2025-01-01 10:00:00\tview\n".encode("utf-16")
    result = load_events(("unicode.txt", data))
    assert result.events["user_id"].to_list() == ["u1"]
    assert (result.report.files[0].encoding, result.report.files[0].delimiter) == ("utf-16", "\t")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [("events.csv", b"", r"^events\.csv is empty \(0 bytes\)\. Export again with at least a header and one row\.$"),
     ("events.csv.gz", gzip.compress(b""), r"^events\.csv\.gz is empty \(0 bytes\)"),
     ("events.zip", zip_bytes({"a.csv": b""}), r"^events\.zip:a\.csv is empty \(0 bytes\)"),
     ("events.parquet", parquet_bytes(pl.DataFrame(schema={"a": pl.String})), r"events\.parquet holds no rows")],
)
def test_05_empty_file_per_format(name: str, data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        load_events((name, data))


def test_06_header_only_says_no_data_rows() -> None:
    with pytest.raises(IngestError, match=r"^h\.csv has no data rows after the header \(line 1\)\."):
        load_events(("h.csv", f"{HEAD}\n".encode()))


def test_07_workbook_named_csv_is_explained() -> None:
    with pytest.raises(IngestError, match=r"^events\.csv is an Excel workbook, not CSV\. In Excel use File → "
                                          r"Save As → 'CSV UTF-8'"):
        load_events(("events.csv", xlsx_bytes()))


def test_07_parquet_and_gzip_named_csv_are_read_by_content() -> None:
    df = pl.DataFrame({"user_id": ["u"], "timestamp": ["2025-01-01T00:00:00Z"], "event": ["v"]})
    assert load_events(("events.csv", parquet_bytes(df))).report.files[0].container == "parquet"
    assert load_events(("events.csv", gzip.compress(events_csv()))).events.height == 3


def test_07_pdf_is_explained() -> None:
    with pytest.raises(IngestError, match=r"^e\.csv is a PDF document, not event data"):
        load_events(("e.csv", b"%PDF-1.7\n..."))


def test_08_zip_with_one_member_loads_and_two_members_ask() -> None:
    assert load_events(("e.zip", zip_bytes({"events.csv": events_csv()}))).events.height == 3
    two = zip_bytes({"a.csv": events_csv(), "b.csv": events_csv(2)})
    with pytest.raises(IngestError, match=r"holds 2 files"):
        load_events(("e.zip", two))
    assert load_events(("e.zip", two), member="b.csv").events.height == 2


def test_08_zip_slip_member_is_rejected() -> None:
    with pytest.raises(IngestError, match=r"member '\.\./\.\./x\.csv' is rejected because its path leaves"):
        load_events(("e.zip", zip_bytes({"../../x.csv": events_csv()})))


def test_09_decompression_bomb_fails_with_a_limit_message() -> None:
    bomb = gzip_bomb(64 * 1024**2, byte=b"0")
    with pytest.raises(IngestError,
                       match=r"^bomb\.csv\.gz expands to more than 8 MiB \(limit, max_bytes\). Split the export"):
        load_events(("bomb.csv.gz", bomb), limits=Limits(max_bytes=8 * 1024**2, max_ratio=1e9))


def test_10_ragged_rows_are_rejected_with_line_numbers() -> None:
    data = f"{HEAD}\nu1,2025-01-01T00:00:00Z,a\nu2,2025-01-01T00:00:00Z\nu3,2025-01-01T00:00:00Z,c,extra\n"
    result = load_events(("r.csv", data.encode()), max_rejected_share=1)
    f = result.report.files[0]
    assert (f.rows_read, f.kept, f.rejected, f.rejected_by_reason) == (3, 1, 2, {"ragged": 2})
    assert [(e.line, e.value) for e in f.examples["ragged"]] == [(3, "2 fields, expected 3"),
                                                                 (4, "4 fields, expected 3")]


def test_10_ragged_share_over_the_limit_fails_the_file() -> None:
    data = f"{HEAD}\nu1,2025-01-01T00:00:00Z,a\nu2,2025-01-01T00:00:00Z\n"
    with pytest.raises(RejectedShareError, match=r"^r\.csv: 1 of 2 rows \(50\.0%\) cannot be read, more than the "
                                                 r"5% limit: 1 × wrong number of fields \(first: line 3"):
        load_events(("r.csv", data.encode()))


def test_11_unterminated_quote_names_the_line() -> None:
    data = f'{HEAD}\nu1,2025-01-01T00:00:00Z,a\nu2,2025-01-01T00:00:00Z,"b\nu3,2025-01-01T00:00:00Z,c\n'
    with pytest.raises(IngestError, match=r"^q\.csv, line 3: a quoted field is broken"):
        load_events(("q.csv", data.encode()))


def test_12_leading_zeros_kept_and_excel_mangled_ids_rejected() -> None:
    data = ("user_id;timestamp;event\n00123;2025-01-01T00:00:00Z;a\n1,23457E+17;2025-01-01T00:00:00Z;b\n"
            + "".join(f"0{i:04d};2025-01-01T00:00:00Z;c\n" for i in range(30)))
    result = load_events(("x.csv", data.encode()))
    assert "00123" in result.events["user_id"].to_list()
    f = result.report.files[0]
    assert f.rejected_by_reason == {"excel_id": 1}
    assert (f.examples["excel_id"][0].line, f.examples["excel_id"][0].value) == (3, "1,23457E+17")


def test_13_mixed_timestamp_formats_parse_or_are_rejected_with_reason() -> None:
    stamps = ["2025-03-01T10:00:00+00:00", "2025-03-01T10:00:00Z", "2025-03-01 10:00:00", "01.03.2025 10:00",
              "01.03.2025 10:00:00", "1.3.2025 10:00", "March 1 2025"]
    data = HEAD + "\n" + "".join(f"u{i},{s},v\n" for i, s in enumerate(stamps))
    result = load_events(("m.csv", data.encode()), max_rejected_share=1)
    f = result.report.files[0]
    assert set(result.events["timestamp"].to_list()) == {datetime(2025, 3, 1, 10, tzinfo=UTC)}
    assert (f.kept, f.rejected_by_reason) == (6, {"bad_timestamp": 1})
    assert (f.examples["bad_timestamp"][0].line, f.examples["bad_timestamp"][0].column,
            f.examples["bad_timestamp"][0].value) == (8, "timestamp", "March 1 2025")


def test_14_same_instant_in_three_notations_is_equal_after_load() -> None:
    data = f"{HEAD}\na,2025-03-01T11:00:00+01:00,v\nb,2025-03-01T10:00:00Z,v\nc,01.03.2025 11:00,v\n"
    result = load_events(("t.csv", data.encode()), timezone="Europe/Berlin")
    assert set(result.events["timestamp"].to_list()) == {datetime(2025, 3, 1, 10, tzinfo=UTC)}


def test_15_dst_gap_and_overlap_are_repaired_and_counted() -> None:
    data = f"{HEAD}\na,2025-03-30 02:30:00,v\nb,2025-10-26 02:30:00,v\nc,2025-06-01 12:00:00,v\n"
    result = load_events(("d.csv", data.encode()), timezone="Europe/Berlin")
    f = result.report.files[0]
    assert (f.kept, f.repaired, f.repaired_by_reason) == (1, 2, {"dst_gap": 1, "dst_overlap": 1})
    assert by_time(result.events)["timestamp"].to_list() == [
        datetime(2025, 3, 30, 1, 30, tzinfo=UTC), datetime(2025, 6, 1, 10, tzinfo=UTC),
        datetime(2025, 10, 26, 0, 30, tzinfo=UTC)]
    assert f.examples["dst_gap"][0].value == "2025-03-30 02:30:00"


@pytest.mark.parametrize("value", ["1740823200", "1740823200000", "1740823200000000", "1740823200000000000"])
def test_16_epoch_units_inferred_per_column(value: str) -> None:
    result = load_events(("e.csv", f"{HEAD}\nu,{value},v\n".encode()))
    assert result.events["timestamp"].to_list() == [datetime(2025, 3, 1, 10, tzinfo=UTC)]


def test_16_epoch_column_mixing_units_fails() -> None:
    with pytest.raises(IngestError, match=r"e\.csv, column 'timestamp' mixes epoch units"):
        load_events(("e.csv", f"{HEAD}\nu,1740823200,v\nu,1740823200000,v\n".encode()))


def test_17_duplicates_by_event_id_and_by_exact_row_are_counted() -> None:
    doubled = mixpanel_csv() + mixpanel_csv().split(b"\n", 1)[1]  # the same three events again
    result = load_events(("mp.csv", doubled))
    f = result.report.files[0]
    assert (result.events.height, f.duplicates, f.rows_read) == (3, 3, 6)
    same = events_csv(2) + events_csv(2).split(b"\n", 1)[1]
    assert load_events(("g.csv", same)).report.files[0].duplicates == 2


def test_17_duplicates_across_files_count_in_the_later_file() -> None:
    result = load_events([("day.csv", events_csv(3)), ("intraday.csv", events_csv(2))])
    assert [f.duplicates for f in result.report.files] == [0, 2]
    assert result.events.height == 3


def test_18_rows_come_out_grouped_by_person_then_time() -> None:
    data = f"{HEAD}\nb,2025-01-02T00:00:00Z,v2\na,2025-01-01T00:00:00Z,v\nb,2025-01-01T00:00:00Z,v1\n"
    ev = load_events(("o.csv", data.encode())).events
    b = ev.filter(pl.col("user_id") == "b")["event"].to_list()
    assert b == ["v1", "v2"]
    assert ev["user_id"].rle_id().max() == 1  # each person's rows are contiguous


@pytest.mark.parametrize("missing", ["", "null", "NULL", "undefined", "None"])
def test_19_rows_without_any_id_are_rejected_but_ga4_values_stay(missing: str) -> None:
    rows = "".join(f"u{i},2025-01-01T00:00:00Z,v,(not set)\n" for i in range(30))
    data = f"{HEAD},source\n{missing},2025-01-01T00:00:00Z,v,(direct)\n{rows}"
    result = load_events(("i.csv", data.encode()))
    f = result.report.files[0]
    assert f.rejected_by_reason == {"missing_id": 1}
    assert result.report.reasons()["reason"].to_list() == ["no user_id or anonymous_id"]
    assert set(result.events["source"].to_list()) == {"(not set)"}


def test_20_huge_cells_are_rejected_not_truncated() -> None:
    rows = "".join(f"u{i},2025-01-01T00:00:00Z,v,note\n" for i in range(40))
    data = f"{HEAD},note\nu,2025-01-01T00:00:00Z,{'e' * 5000},x\nu,2025-01-01T00:00:00Z,v,{'n' * 70000}\n{rows}"
    result = load_events(("big.csv", data.encode()))
    f = result.report.files[0]
    assert f.rejected_by_reason == {"too_long": 2}
    assert [e.column for e in f.examples["too_long"]] == ["event", "note"]
    assert f.examples["too_long"][1].value is not None and f.examples["too_long"][1].value.endswith(
        "… (70,000 characters)")


def test_21_rejected_rows_csv_protects_formulas() -> None:
    rows = "".join(f"u{i},2025-01-01T00:00:00Z,v\n" for i in range(30))
    data = f"{HEAD}\n=HYPERLINK(\"http://x\"),not a date,-2+3\n{rows}"
    out = load_events(("f.csv", data.encode())).report.rejected_rows_csv().decode()
    assert out.splitlines()[1] == 'f.csv,2,timestamp not in the detected format,"\'=HYPERLINK(""http://x"")",' \
                                  "not a date,'-2+3"


def test_22_html_in_event_names_is_kept_as_literal_text() -> None:
    evil = "</script><script>alert(1)</script><a href=\"https://x\">y</a>"
    data = f'{HEAD}\nu,2025-01-01T00:00:00Z,"{evil.replace(chr(34), chr(34) * 2)}"\n'
    assert load_events(("h.csv", data.encode())).events["event"].to_list() == [evil]


def test_23_hostile_names_are_shown_cleaned_and_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = load_events(("../../etc/pass\u202ewd.csv", events_csv()))
    assert result.report.files[0].file == "../../etc/passwd.csv"
    assert list(tmp_path.iterdir()) == []


def test_24_excel_sep_line_and_padding_columns() -> None:
    data = b"sep=;\nuser_id;timestamp;event;;;\nu;2025-01-01T00:00:00Z;v;;;\n"
    f = load_events(("x.csv", data)).report.files[0]
    assert f.notes == ["Excel 'sep=;' line skipped", "3 empty unnamed column(s) dropped (Excel padding)"]


def test_24_ga4_ui_report_with_preamble_is_explained() -> None:
    data = (b"# ----\n# All Users\n# Start date: 20250101\n# End date: 20250131\n# ----\n\n"
            b"Session default channel group,Sessions,Engaged sessions\nOrganic Search,120,80\n")
    with pytest.raises(IngestError, match=r"^ga4\.csv is a GA4 report export"):
        load_events(("ga4.csv", data))


def test_25_messy_duplicate_headers_ask_to_pick_one() -> None:
    data = b"User ID,user_id,timestamp,event\na,b,2025-01-01T00:00:00Z,v\n"
    with pytest.raises(IngestError, match=r"columns 'User ID' and 'user_id' both look like user_id; pick one"):
        load_events(("x.csv", data))
    picked = load_events(("x.csv", data), mapping={"user_id": "user_id"})
    assert picked.events.select("user_id", "User ID").row(0) == ("b", "a")


def test_25_repeated_header_name_is_a_conflict() -> None:
    with pytest.raises(IngestError, match=r"columns 'event' and 'event' both look like event"):
        load_events(("x.csv", b"user_id,timestamp,event,event\nu,2025-01-01T00:00:00Z,a,b\n"))


def test_25_nbsp_and_spaces_in_headers_are_trimmed() -> None:
    result = load_events(("x.csv", b" user_id\xc2\xa0,Timestamp , EVENT\nu,2025-01-01T00:00:00Z,v\n"))
    assert result.report.mapping == {"user_id": "user_id", "timestamp": "Timestamp", "event": "EVENT"}


def test_26_control_characters_are_stripped_and_counted() -> None:
    data = f"{HEAD},note\nu\x00,2025-01-01T00:00:00Z,vi\x07ew,a\x1fb\nw,2025-01-01T00:00:00Z,v,ok\n"
    result = load_events(("c.csv", data.encode()))
    f = result.report.files[0]
    assert (f.kept, f.repaired, f.repaired_by_reason) == (1, 1, {"control_chars": 1})
    assert by_time(result.events).select("user_id", "event", "note").row(0) == ("u", "view", "ab")


def test_27_parquet_many_files_in_a_folder(tmp_path: Path) -> None:
    for day in (1, 2):
        df = pl.DataFrame({"user_id": [f"u{day}"], "event": ["v"], "timestamp": [datetime(2025, 1, day)]})
        df = df.with_columns(pl.col("timestamp").dt.cast_time_unit("ns"))
        (tmp_path / f"part-{day}.parquet").write_bytes(parquet_bytes(df))
    (tmp_path / ".hidden.parquet").write_bytes(b"junk")
    result = load_events(tmp_path)
    assert [f.file for f in result.report.files] == ["part-1.parquet", "part-2.parquet"]
    assert by_time(result.events)["timestamp"].to_list() == [datetime(2025, 1, 1, tzinfo=UTC),
                                                           datetime(2025, 1, 2, tzinfo=UTC)]


# ---------------------------------------------------------------- many sources, sources of every kind


def test_crm_csv_and_web_parquet_join_into_one_table() -> None:
    crm = "Kundennummer;Zeitstempel;Ereignis;Umsatz\n00042;01.03.2025 12:00;Kauf;49,90\n".encode("cp1252")
    result = load_events([("crm.csv", crm), ("web.parquet", EXAMPLES["ga4_events.parquet"]())],
                         timezone="Europe/Berlin")
    assert [(f.file, f.format, f.kept) for f in result.report.files] == [("crm.csv", "generic", 1),
                                                                         ("web.parquet", "ga4", 3)]
    assert result.report.detected_format == "mixed"
    ev = result.events.filter(pl.col("user_id") == "00042")
    assert sorted(ev["revenue"].to_list()) == [49.9, 49.9]
    validate_events(result.events)


def test_upload_like_objects_with_a_name() -> None:
    upload = io.BytesIO(events_csv())
    upload.name = "upload.csv"
    assert load_events(upload).report.files[0].file == "upload.csv"
    assert load_events(events_csv()).report.files[0].file == "upload"


def test_path_that_does_not_exist() -> None:
    with pytest.raises(IngestError, match="does not exist"):
        load_events("/nonexistent/x.csv")


def test_empty_list_of_sources() -> None:
    with pytest.raises(IngestError, match="no input files given"):
        load_events([])


def test_rejected_share_error_carries_the_report() -> None:
    data = f"{HEAD}\nu,2025-01-01T00:00:00Z,v\n,2025-01-01T00:00:00Z,v\n"
    with pytest.raises(RejectedShareError) as info:
        load_events(("x.csv", data.encode()))
    assert info.value.report.rejected == 1


# ---------------------------------------------------------------- property: row order does not matter

row = st.tuples(st.sampled_from(["u1", "u2", "00u3", ""]),
                st.sampled_from(["2025-03-01 10:00:00", "2025-03-01 10:00:00", "2025-03-02T08:00:00Z", "x"]),
                st.sampled_from(["view", "buy", ""]), st.sampled_from(["", "1,5", "2"]))


@settings(max_examples=30, deadline=None)
@given(st.lists(row, min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_shuffling_input_rows_changes_nothing(rows: list[tuple[str, str, str, str]], rnd: object) -> None:
    rows = [("u0", "2025-03-01 09:00:00", "view", ""), *rows]
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]

    def load(rs: list[tuple[str, str, str, str]]) -> tuple[pl.DataFrame, tuple[int, ...], dict[str, int]]:
        body = "".join(f'{u},{t},{e},"{r}"\n' for u, t, e, r in rs)
        res = load_events(("p.csv", f"{HEAD},revenue\n{body}".encode()), max_rejected_share=1)
        f = res.report.files[0]
        return (res.events.sort(pl.all(), nulls_last=True),
                (f.rows_read, f.kept, f.repaired, f.rejected), f.rejected_by_reason)

    a, b = load(rows), load(shuffled)
    assert_frame_equal(a[0], b[0])
    assert a[1:] == b[1:]


# ---------------------------------------------------------------- the bundled sample, as files


def test_sample_round_trips_through_csv_and_parquet() -> None:
    ev = generate_sample(150, seed=3).events
    expected = ev.sort(pl.all(), nulls_last=True)
    for name, write in (("s.csv", ev.write_csv), ("s.parquet", ev.write_parquet)):
        buf = io.BytesIO()
        write(buf)
        result = load_events((name, buf.getvalue()))
        assert result.report.detected_format == "canonical"
        assert_frame_equal(result.events.select(ev.columns).sort(pl.all(), nulls_last=True), expected)


def test_sample_as_a_german_excel_export_loads_back() -> None:
    ev = generate_sample(150, seed=4).events
    local = pl.col("timestamp").dt.convert_time_zone("Europe/Berlin")
    german = ev.select(
        pl.col("user_id").alias("Kundennummer"), pl.col("anonymous_id").alias("Cookie-ID"),
        local.dt.strftime("%d.%m.%Y %H:%M:%S").alias("Zeitstempel"), pl.col("event").alias("Ereignis"),
        pl.col("source").alias("Quelle"), pl.col("medium").alias("Medium"), pl.col("campaign").alias("Kampagne"),
        pl.col("referrer").alias("Referrer"), pl.col("channel").alias("Kanal"),
        pl.col("revenue").round(2).cast(pl.String).str.replace(".", ",", literal=True).alias("Umsatz"),
    )
    data = ("sep=;\r\n" + german.write_csv(separator=";", line_terminator="\r\n")).encode("cp1252")
    result = load_events(("export.csv", data), timezone="Europe/Berlin")
    f = result.report.files[0]
    assert (f.format, f.delimiter, f.decimal, f.rows_read) == ("generic", ";", ",", ev.height)
    got = result.events.sort("user_id", "anonymous_id", "timestamp", "event", nulls_last=True)
    # without an event id, events identical to the second are one event: the report counts the rest
    want = (ev.select(ev.columns[:10]).with_columns(pl.col("timestamp").dt.truncate("1s"), pl.col("revenue").round(2))
            .unique(maintain_order=True).sort("user_id", "anonymous_id", "timestamp", "event", nulls_last=True))
    assert f.duplicates == ev.height - want.height
    shifted = (got["timestamp"] - want["timestamp"]).abs()
    assert shifted.max() <= timedelta(hours=1)
    assert (shifted > timedelta(0)).sum() <= f.repaired_by_reason.get("dst_overlap", 0)
    assert_frame_equal(got.select(ev.columns[:10]).drop("timestamp"), want.drop("timestamp"))


def test_a_mapping_choice_applies_to_the_files_that_have_the_column() -> None:
    crm = b"kunde;wann;was\n00042;01.03.2025 12:00;Kauf\n"
    web = events_csv(2)
    result = load_events([("crm.csv", crm), ("web.csv", web)],
                         mapping={"user_id": "kunde", "timestamp": "wann", "event": "was"})
    assert [f.mapping for f in result.report.files] == [
        {"user_id": "kunde", "timestamp": "wann", "event": "was"},
        {"user_id": "user_id", "timestamp": "timestamp", "event": "event"}]
    with pytest.raises(IngestError, match=r"^mapping campaign → 'aktion': no file has such a column\. Files: crm"):
        load_events([("crm.csv", crm), ("web.csv", web)],
                    mapping={"user_id": "kunde", "timestamp": "wann", "event": "was", "campaign": "aktion"})


def test_24_excel_serial_dates_only_when_the_column_is_mapped_by_hand() -> None:
    data = b"Kunden-ID;Datum;Ereignis\nk1;45717,5;Kauf\nk2;45718;Besuch\n"
    with pytest.raises(IngestError, match=r"look like Excel serial dates: map this column explicitly"):
        load_events(("x.csv", data))
    result = load_events(("x.csv", data), mapping={"timestamp": "Datum"}, timezone="Europe/Berlin")
    assert by_time(result.events)["timestamp"].to_list() == [datetime(2025, 3, 1, 11, tzinfo=UTC),
                                                           datetime(2025, 3, 1, 23, tzinfo=UTC)]
    assert result.report.files[0].timestamp == "Datum: Excel serial days (mapped by you)"
