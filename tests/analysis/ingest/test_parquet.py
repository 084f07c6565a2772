from __future__ import annotations

import io
from datetime import UTC, datetime

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.errors import IngestError
from analysis.ingest import load_events
from analysis.ingest._examples import ga4_parquet
from analysis.ingest._limits import Limits
from analysis.ingest._parquet import decoded_estimate, flatten, read_parquet_raw
from tests.analysis.ingest.files import parquet_bytes


def test_ga4_event_params_are_flattened_by_key() -> None:
    frame = read_parquet_raw(ga4_parquet(), "g.parquet")
    assert frame["event_params.ga_session_id"].to_list() == ["1740823200"] * 3
    assert frame["event_params.page_referrer"].to_list() == ["https://www.google.com/", None, None]
    assert "event_params" not in frame.columns
    assert frame["collected_traffic_source.manual_source"].to_list() == ["google", None, None]


def test_nested_structs_unnest_as_parent_child() -> None:
    df = pl.DataFrame({"a": [{"b": {"c": 1}}]})
    assert flatten(df).columns == ["a.b.c"]


def test_int96_timestamps_become_utc_microseconds() -> None:
    table = pa.table({"user_id": ["u"], "event": ["x"],
                      "timestamp": pa.array([datetime(2025, 3, 1, 10, 0, 0, 123456)], pa.timestamp("ns"))})
    data = parquet_bytes(table, use_deprecated_int96_timestamps=True)
    events = load_events(("spark.parquet", data)).events
    assert events.schema["timestamp"] == pl.Datetime("us", "UTC")
    assert events["timestamp"].to_list() == [datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)]


def test_ns_tz_aware_timestamps_are_cast() -> None:
    df = pl.DataFrame({"user_id": ["u"], "event": ["x"],
                       "timestamp": pl.Series([datetime(2025, 3, 1, 11)]).cast(pl.Datetime("ns"))
                       .dt.replace_time_zone("Europe/Berlin")})
    events = load_events(("t.parquet", parquet_bytes(df))).events
    assert events["timestamp"].to_list() == [datetime(2025, 3, 1, 10, tzinfo=UTC)]


def test_zero_row_parquet_is_empty() -> None:
    data = parquet_bytes(pl.DataFrame(schema={"user_id": pl.String, "event": pl.String}))
    with pytest.raises(IngestError, match=r"e\.parquet holds no rows"):
        read_parquet_raw(data, "e.parquet")


def test_parquet_size_is_checked_from_metadata_before_loading() -> None:
    data = parquet_bytes(pl.DataFrame({"a": [f"{i:04d}" * 250 for i in range(100)]}), compression="zstd")
    with pytest.raises(IngestError, match=r"e\.parquet declares data that decodes to about 99\.2 KiB, "
                       r"more than the limit of 9\.77 KiB \(max_bytes\)"):
        read_parquet_raw(data, "e.parquet", limits=Limits(max_bytes=10_000))


def test_damaged_parquet_is_explained() -> None:
    data = parquet_bytes(pl.DataFrame({"a": [1]}))
    broken = data[:4] + b"\0" * 20 + data[-8:]
    with pytest.raises(IngestError, match="damaged Parquet file"):
        read_parquet_raw(broken, "e.parquet")


def test_ga4_parquet_loads_with_session_qualified_by_device() -> None:
    result = load_events(("ga4.parquet", ga4_parquet()))
    assert result.report.detected_format == "ga4"
    ev = result.events
    assert ev["session_id"].unique().to_list() == ["111.222:1740823200"]
    assert ev["revenue"].to_list() == [None, None, 49.9]
    assert ev["user_id"].to_list() == [None, None, "00042"]


def test_parquet_without_text_statistics_is_measured_exactly_after_a_view_read() -> None:
    table = pa.table({"user_id": ["u" * 500] * 200, "timestamp": ["2025-01-01T00:00:00Z"] * 200, "event": ["e"] * 200})
    data = parquet_bytes(table, write_statistics=False)
    # the estimate without statistics uses the encoded size (a dictionary: tiny); the exact size is ~110 KB
    with pytest.raises(IngestError, match=r"^t\.parquet decodes to 11\d KiB, more than the limit of 97\.7 KiB"):
        read_parquet_raw(data, "t.parquet", limits=Limits(max_bytes=100_000))
    assert read_parquet_raw(data, "t.parquet", limits=Limits(max_bytes=200_000)).height == 200


def test_parquet_estimate_uses_statistics_not_encoded_size() -> None:
    table = pa.table({"a": pa.array(["x" * 1000] * 10_000)})
    meta = pq.read_metadata(io.BytesIO(parquet_bytes(table)))
    assert meta.row_group(0).total_byte_size < 100_000  # what the old check looked at
    assert decoded_estimate(meta) == 10_000 * (1000 + 16)
