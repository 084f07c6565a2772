"""JSON lines and JSON arrays: plain, gzip, zip, many files; nested objects as dotted columns; bad lines by line."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import IngestError
from analysis.ingest import Limits, load_events, peek_columns
from analysis.ingest import _jsonread as jsonread
from tests.analysis.ingest.files import zip_bytes


def ndjson(*rows: dict[str, object]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


ROWS = (
    {"user_id": "u1", "timestamp": "2025-03-01T10:00:00Z", "event": "page_view", "page": {"path": "/", "n": 1}},
    {"user_id": "u1", "timestamp": "2025-03-01T10:05:00Z", "event": "purchase", "revenue": 12.5},
)


def test_json_lines_load_with_nested_objects_as_dotted_columns() -> None:
    result = load_events(("events.json", ndjson(*ROWS)))
    e = result.events
    assert e.select("user_id", "event", "revenue", "page.path", "page.n").rows() == [
        ("u1", "page_view", None, "/", 1), ("u1", "purchase", 12.5, None, None)]
    assert e["timestamp"].to_list() == [datetime(2025, 3, 1, 10, 0, tzinfo=UTC),
                                        datetime(2025, 3, 1, 10, 5, tzinfo=UTC)]
    f = result.report.files[0]
    assert (f.container, f.rows_read, f.kept, f.rejected) == ("json", 2, 2, 0)


def test_a_json_array_loads_like_json_lines() -> None:
    lines = load_events(("a.json", ndjson(*ROWS))).events
    array = load_events(("a.json", json.dumps(list(ROWS)).encode())).events
    assert array.equals(lines)


@pytest.mark.parametrize("wrap", ["gzip", "zip"])
def test_gzip_and_zip_hold_json(wrap: str) -> None:
    data = ndjson(*ROWS)
    packed = gzip.compress(data) if wrap == "gzip" else zip_bytes({"export/events.ndjson": data})
    result = load_events((f"events.{wrap}", packed))
    assert result.events.height == 2 and result.report.files[0].container == "json"


def test_a_zip_of_hourly_gzipped_files_is_read_as_one_table() -> None:
    hours = {f"187520/187520_2025-03-01_{h}#0.json.gz": gzip.compress(ndjson(
        {"user_id": f"u{h}", "timestamp": f"2025-03-01T{h:02d}:00:00Z", "event": "open"})) for h in range(3)}
    result = load_events(("export.zip", zip_bytes(hours)))
    assert result.events.sort("timestamp")["user_id"].to_list() == ["u0", "u1", "u2"]
    (f,) = result.report.files
    assert f.file == "export.zip (3 JSON files)" and f.rows_read == 3
    assert any("line numbers count lines across them" in n for n in f.notes)


def test_a_folder_of_json_files(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(ndjson(ROWS[0]))
    (tmp_path / "b.json").write_bytes(ndjson(ROWS[1]))
    result = load_events(tmp_path)
    assert result.events.height == 2 and len(result.report.files) == 2


def test_a_broken_line_is_rejected_by_its_line_number_and_the_rest_loads() -> None:
    data = ndjson(*ROWS) + b"\n" + b'{"user_id": "u2", "event": \n' + ndjson(ROWS[0] | {"user_id": "u3"})
    result = load_events(("e.json", data), max_rejected_share=0.5)
    f = result.report.files[0]
    assert (f.rows_read, f.kept, f.rejected, f.rejected_by_reason) == (4, 3, 1, {"bad_json": 1})
    assert f.examples["bad_json"][0].line == 4  # line 3 is blank
    assert result.report.rejected_rows.select("line", "reason").rows() == [(4, "line is not a valid JSON object")]
    assert result.events["user_id"].sort().to_list() == ["u1", "u1", "u3"]


def test_too_many_broken_lines_fail_the_file_with_the_share() -> None:
    with pytest.raises(IngestError, match=r"1 of 2 rows .* not a valid JSON object \(first: line 2"):
        load_events(("e.json", ndjson(ROWS[0]) + b"not json\n"))


def test_a_one_line_export_loads() -> None:
    # the issue: a one-line Mixpanel export failed with "no data rows after the header"
    line = b'{"event": "Signup", "properties": {"time": 1618716477, "distinct_id": "u-1", "$insert_id": "i-1"}}'
    assert load_events(("mp.json", line)).events.height == 1


def test_duplicates_are_dropped_like_csv() -> None:
    result = load_events(("e.json", ndjson(ROWS[0], ROWS[0], ROWS[1])))
    f = result.report.files[0]
    assert (f.rows_read, f.kept, f.duplicates) == (3, 2, 1)


def test_limits_apply_to_fields_after_opening_nested_objects() -> None:
    wide = {"user_id": "u", "timestamp": "2025-03-01T10:00:00Z", "event": "x", "p": {f"k{i}": i for i in range(30)}}
    with pytest.raises(IngestError, match="fields once nested objects are opened, more than the limit of 20"):
        load_events(("w.json", ndjson(wide)), limits=Limits(max_columns=20))


@pytest.mark.parametrize(("data", "message"), [
    (b"[]", "empty JSON array"),
    (b"[1, 2]", "element 1 of the JSON array is not an object"),
    (b'[{"a": 1},', r"line 1, column \d+: not valid JSON"),
])
def test_json_that_is_not_a_table_of_events_is_explained(data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        load_events(("x.json", data))


def test_peek_columns_lists_json_fields() -> None:
    assert peek_columns(("e.json", ndjson(*ROWS)))["e.json"] == [
        "user_id", "timestamp", "event", "revenue", "page.path", "page.n"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1_700_000_000, 1_800_000_000),
                          st.sampled_from(["view", "buy"])), min_size=1, max_size=30, unique=True))
def test_every_line_is_accounted_for_and_read_back(rows: list[tuple[str, int, str]]) -> None:
    data = ndjson(*({"user_id": u, "time": t, "event": e} for u, t, e in rows))
    result = load_events(("p.json", data))
    f = result.report.files[0]
    assert f.rows_read == len(rows) == f.kept
    got = result.events.select("user_id", pl.col("timestamp").dt.epoch("s"), "event").sort(pl.all()).rows()
    assert got == sorted(rows)


def _big_ndjson(late: dict[str, object] | None = None) -> bytes:
    n = 90_000  # above the 8 MiB where the schema is inferred from a sample of lines
    i = pl.int_range(n)
    frame = pl.select(user_id=pl.format("u{}", i % 977), timestamp=pl.lit("2025-03-01T10:00:00Z"),
                      event=pl.lit("page_view"),
                      page=pl.struct(path=pl.format("/p/{}", i), title=pl.lit("A product page with a long title")))
    text = frame.write_ndjson().encode()
    if late is not None:  # a field no sampled line has, on one line in the middle
        middle = text.index(b"\n", len(text) // 2 + 7) + 1
        text = text[:middle] + json.dumps(late).encode() + b"\n" + text[middle:]
    return text


def test_a_field_only_a_late_line_has_is_not_lost_in_a_big_file() -> None:
    late = {"user_id": "x", "timestamp": "2025-03-01T11:00:00Z", "event": "buy", "page": {"path": "/t"},
            "coupon": "SPRING", "revenue": 9.5}
    data = _big_ndjson(late)
    assert len(data) > 8 * 1024**2
    e = load_events(("big.json", data), sort=False).events
    assert e.filter(pl.col("user_id") == "x").select("coupon", "revenue", "page.path").rows() == [
        ("SPRING", 9.5, "/t")]


def test_a_big_file_reads_the_same_with_the_sampled_schema() -> None:
    data = _big_ndjson()
    sampled = jsonread._read_sampled(data, jsonread._scan_bytes(data))
    assert sampled is not None and sampled.equals(pl.read_ndjson(data, infer_schema_length=None))


@pytest.mark.parametrize("late", [1.5, "abc"])
def test_a_late_value_of_another_type_reads_as_in_a_small_file(late: object) -> None:
    # the sampled schema says Int64; a later 1.5 or "abc" takes the full inference (Float64, String), not an error
    n = 60_000
    text = pl.select(user_id=pl.format("u{}", pl.int_range(n) % 97), timestamp=pl.lit("2025-03-01T10:00:00Z"),
                     event=pl.lit("page_view"), v=pl.int_range(n), pad=pl.lit("x" * 100)).write_ndjson().encode()
    middle = text.index(b"\n", len(text) // 2 + 7) + 1
    line = {"user_id": "late", "timestamp": "2025-03-01T11:00:00Z", "event": "buy", "v": late, "pad": "x"}
    data = text[:middle] + json.dumps(line).encode() + b"\n" + text[middle:]
    assert len(data) > 8 * 1024**2
    e = load_events(("big.json", data), sort=False).events
    assert e.filter(pl.col("user_id") == "late")["v"].to_list() == [late]
    assert e.height == n + 1


_KEYS = st.sampled_from(["a", "b", "c", "d"])
_SCALARS = st.one_of(st.none(), st.integers(-5, 5), st.sampled_from([0.5, "x", 'q": 1', 'r":null', "s : t", ""]))
_VALUES = st.one_of(_SCALARS, st.dictionaries(st.sampled_from(["x", "y"]), _SCALARS, max_size=2))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4), min_size=6, max_size=14),
       st.sampled_from([(",", ":"), (", ", ": "), (",", " : "), (",", "  :  ")]))
def test_the_sampled_schema_is_used_only_when_it_holds_every_field(rows: list[dict[str, object]],
                                                                    separators: tuple[str, str]) -> None:
    # with a sample of 2 + 2 lines, most texts have a key, a nesting or a type the sample missed: every sampled
    # read that is accepted must equal the read with the schema inferred from every line (but for a key that
    # only unsampled lines have, always null: it holds nothing and is not a column)
    data = b"".join(json.dumps(r, separators=separators).encode() + b"\n" for r in rows)
    try:
        full = pl.read_ndjson(data, infer_schema_length=None)
    except pl.exceptions.PolarsError:
        return  # mixed kinds of values: the slow path's business
    old = jsonread._SAMPLE_LINES
    jsonread._SAMPLE_LINES = 2
    try:
        sampled = jsonread._read_sampled(data, jsonread._scan_bytes(data))
    finally:
        jsonread._SAMPLE_LINES = old
    if sampled is not None:
        empty = [c for c in full.columns if c not in sampled.columns and full[c].null_count() == full.height]
        assert sampled.select(sorted(sampled.columns)).equals(full.drop(empty).select(sorted(sampled.columns)))


def test_key_counts_on_the_bytes() -> None:
    text = b'{"a":1,"b":null,"c": null,"d" : 2,"e":"x\\":y"}\n{"f"  :null}'
    scanned = jsonread._scan_bytes(text)
    assert (scanned.ends.tolist(), scanned.keys, scanned.nulls, scanned.odd) == ([46], 7, 2, False)
