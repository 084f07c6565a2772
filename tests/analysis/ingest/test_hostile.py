"""Hostile and odd files found by the issue-15 attack: a specific IngestError, or a load that counts its changes."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from analysis.errors import IngestError
from analysis.ingest import load_events
from tests.analysis.ingest.files import parquet_bytes

HEADER = "user_id,timestamp,event\n"
ROW = "u1,2025-01-01T00:00:00Z,page_view\n"
BASE = {"user_id": pa.array(["u1", "u2", "u3"]), "timestamp": pa.array(["2025-01-01T00:00:00Z"] * 3),
        "event": pa.array(["a", "b", "c"])}


def _table(**columns: pa.Array) -> bytes:
    return parquet_bytes(pa.table({**BASE, **columns}))


@pytest.mark.parametrize(("name", "data", "message"), [
    ("nul.csv", ("user_id,time\x00stamp,event\n" + ROW).encode(),
     r"^nul\.csv, line 1: the header holds the control character U\+0000 \(near column 2\)"),
    ("u2028.csv", ("user_id,time\u2028stamp,event\n" + ROW).encode(), r"^u2028\.csv, line 1: .*U\+2028"),
    ("nel.csv", ("user_id,time\x85stamp,event\n" + ROW).encode(), r"^nel\.csv, line 1: .*U\+0085"),
    ("ff.csv", ("user_id,time\x0cstamp,event\n" + ROW).encode(), r"^ff\.csv, line 1: .*U\+000C"),
    ("vt.csv", ("user_id,time\x0bstamp,event\n" + ROW).encode(), r"^vt\.csv, line 1: .*U\+000B"),
    ("q.csv", ('user_id,"time\nstamp",event\n' + ROW).encode(),
     r"^q\.csv, line 1: a quoted column name in the header spans lines"),
    ("wide.csv", ("user_id,timestamp,event," + "c" * 2_000_000 + "\n" + ROW).encode(),
     r"^wide\.csv, line 1: the header is longer than 1,000,000 characters"),
    ("mixed.csv", (HEADER + "u1,2025-01-01T00:00:00Z,Frühling €\n" * 3).encode() + b"u2,2025-01-01T00:00:00Z,a\xff\n",
     r"^mixed\.csv, line 5: byte 0xFF is not UTF-8, but other lines are UTF-8 text .* mixes encodings"),
])
def test_hostile_csv_gets_a_specific_message(name: str, data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        load_events((name, data))


def test_header_over_the_sniff_window_but_under_the_cap_is_read_whole() -> None:
    long_name = "c" * 70_000
    out = load_events(("w.csv", (HEADER.rstrip("\n") + f",{long_name}\n" + ROW.rstrip("\n") + ",1\n").encode()))
    assert long_name in out.events.columns


def test_cr_only_line_ends_are_read_and_noted() -> None:
    out = load_events(("mac.csv", (HEADER + ROW + "u2,2025-01-01T00:00:01Z,click\n").replace("\n", "\r").encode()))
    assert out.events["event"].to_list() == ["page_view", "click"]
    assert "line breaks are CR only (old Mac): read as line ends" in out.report.files[0].notes


def test_utf32_is_detected_and_read() -> None:
    out = load_events(("u32.csv", (HEADER + "u1,2025-01-01T00:00:00Z,Frühling\n").encode("utf-32")))
    assert out.events["event"].to_list() == ["Frühling"]
    assert out.report.files[0].encoding == "utf-32"


def test_bom_less_utf32_little_endian_is_detected() -> None:
    out = load_events(("u32.csv", (HEADER + ROW).encode("utf-32-le")))
    assert out.events["user_id"].to_list() == ["u1"]


def test_short_row_is_ragged_even_when_the_file_holds_every_separator_byte() -> None:
    data = (HEADER + "u1,2025-01-01T00:00:00Z,a\x1d\x1e\x1f\x01\x02\n" + "u2,2025-01-01T00:00:00Z\n").encode()
    out = load_events(("r.csv", data), max_rejected_share=1.0)
    f = out.report.files[0]
    assert (f.rows_read, f.repaired, f.rejected_by_reason) == (2, 1, {"ragged": 1})
    assert f.examples["ragged"][0].line == 3


def test_leap_second_is_repaired_and_counted() -> None:
    out = load_events(("leap.csv", (HEADER + "u1,2016-12-31T23:59:60Z,x\nu2,2016-12-31T23:59:59Z,y\n").encode()))
    f = out.report.files[0]
    assert (f.kept, f.repaired_by_reason) == (1, {"leap_second": 1})
    assert f.examples["leap_second"][0].line == 2


def test_nan_inf_and_overflow_revenue_are_counted() -> None:
    rows = ["u1,2025-01-01T00:00:00Z,buy,inf", "u2,2025-01-01T00:00:00Z,buy,1e400", "u3,2025-01-01T00:00:00Z,buy,-nan",
            "u4,2025-01-01T00:00:00Z,buy,NaN", "u5,2025-01-01T00:00:00Z,buy,1.5"]
    out = load_events(("rev.csv", ("user_id,timestamp,event,revenue\n" + "\n".join(rows) + "\n").encode()),
                      max_rejected_share=1.0)
    f = out.report.files[0]
    assert f.rejected_by_reason == {"bad_revenue": 2}
    assert f.repaired_by_reason == {"nan_revenue": 1}  # "-nan" is a number that is not one; "NaN" is a missing token
    assert out.events.sort("user_id")["revenue"].to_list() == [None, None, 1.5]


def test_native_nan_revenue_in_parquet_is_repaired_and_inf_rejected() -> None:
    data = _table(revenue=pa.array([float("nan"), float("inf"), 2.0]))
    out = load_events(("rev.parquet", data), max_rejected_share=1.0)
    f = out.report.files[0]
    assert (f.kept, f.repaired_by_reason, f.rejected_by_reason) == (1, {"nan_revenue": 1}, {"bad_revenue": 1})


def test_negative_epochs_are_rejected_not_read_as_1915() -> None:
    out = load_events(("e.csv", (HEADER + "u1,-1700000000,x\nu2,1700000000,y\n").encode()), max_rejected_share=1.0)
    f = out.report.files[0]
    assert f.rejected_by_reason == {"bad_timestamp": 1}
    assert out.events["timestamp"].dt.year().to_list() == [2023]


@pytest.mark.parametrize("zone", ["", "Mars/Olympus", "Factory"])
def test_empty_or_unknown_time_zone_is_an_ingest_error(zone: str) -> None:
    with pytest.raises(IngestError, match=rf"^timezone {zone!r} is not an IANA time zone name"):
        load_events(("a.csv", (HEADER + ROW).encode()), timezone=zone)


def test_fixed_offset_parquet_timestamps_keep_their_instant() -> None:
    data = _table(timestamp=pa.array([1_735_689_600_000_000] * 3, pa.timestamp("us", tz="+05:30")))
    out = load_events(("tz.parquet", data))
    assert out.events["timestamp"].to_list()[0].isoformat() == "2025-01-01T00:00:00+00:00"


@pytest.mark.parametrize(("columns", "message"), [
    ({"timestamp": pa.array([1, 2, 3], pa.time64("us"))}, r"column 'timestamp' holds times of day without a date"),
    ({"timestamp": pa.array([1, 2, 3], pa.duration("us"))}, r"column 'timestamp' holds durations"),
    ({"timestamp": pa.array([True, False, True])}, r"column 'timestamp' holds values of type Boolean"),
    ({"user_id": pa.array([["a"], ["b"], ["c"]])}, r"column 'user_id' \(mapped to user_id\) holds List\(String\)"),
    ({"event": pa.array([["a"], ["b"], ["c"]])}, r"column 'event' \(mapped to event\) holds List\(String\)"),
    ({"revenue": pa.array([True, False, True])}, r"column 'revenue' \(mapped to revenue\) holds Boolean values"),
    ({"event": pa.array([b"ok", b"\xff\xfe", b"b"], pa.binary())}, r"row 2, column 'event': bytes that are not UTF-8"),
])
def test_parquet_types_that_cannot_be_used_get_a_specific_message(columns: dict[str, pa.Array], message: str) -> None:
    with pytest.raises(IngestError, match=rf"^t\.parquet, {message}"):
        load_events(("t.parquet", _table(**columns)))


def test_duplicate_parquet_column_names_are_named() -> None:
    table = pa.table([pa.array(["u1"]), pa.array(["2025-01-01T00:00:00Z"]), pa.array(["x"]), pa.array(["y"])],
                     names=["user_id", "timestamp", "event", "event"])
    with pytest.raises(IngestError, match=r"^d\.parquet has the column 'event' more than once"):
        load_events(("d.parquet", parquet_bytes(table)))


def test_categorical_revenue_and_timestamps_are_read_as_text() -> None:
    data = _table(timestamp=BASE["timestamp"].dictionary_encode(),
                  revenue=pa.array(["1", "2.5", "3"]).dictionary_encode())
    out = load_events(("c.parquet", data))
    assert out.events.sort("user_id")["revenue"].to_list() == [1.0, 2.5, 3.0]


def test_long_list_cells_in_extra_columns_are_rejected_as_too_long() -> None:
    data = _table(props=pa.array([["x" * 100_000], ["short"], ["y"]]))
    out = load_events(("l.parquet", data), max_rejected_share=1.0)
    f = out.report.files[0]
    assert f.rejected_by_reason == {"too_long": 1}
    assert f.examples["too_long"][0].column == "props"


def test_parquet_extra_binary_that_is_text_becomes_text() -> None:
    out = load_events(("b.parquet", _table(note=pa.array([b"a", b"b", None], pa.binary()))))
    assert out.events.schema["note"] == pl.String
