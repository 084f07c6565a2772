"""GA4 BigQuery export as JSON and as CSV with JSON text cells, built from Google's "[GA4] BigQuery Export
schema"; and the real Merchandise Store sample (../shared/data/ga4-merch-store) in all three forms."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from analysis.ingest import load_events


def param(key: str, *, s: str | None = None, i: str | None = None) -> dict[str, object]:
    # BigQuery's JSON export writes INT64 values as strings
    return {"key": key, "value": {"string_value": s, "int_value": i, "float_value": None, "double_value": None}}


ROWS = [
    {"event_date": "20201210", "event_timestamp": "1607615248873729", "event_name": "session_start",
     "user_pseudo_id": "1234567.1607615248", "user_id": None,
     "event_params": [param("ga_session_id", i="1607615248"), param("source", s="google"),
                      param("medium", s="cpc"), param("campaign", s="winter_sale"),
                      param("page_referrer", s="https://www.google.com/")],
     "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
     "ecommerce": None, "geo": {"country": "Germany", "city": "Berlin"}},
    {"event_date": "20201210", "event_timestamp": "1607615348000000", "event_name": "purchase",
     "user_pseudo_id": "1234567.1607615248", "user_id": None,
     "event_params": [param("ga_session_id", i="1607615248"), param("transaction_id", s="48829")],
     "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
     "ecommerce": {"purchase_revenue": 41.5, "transaction_id": "48829", "total_item_quantity": "2"},
     "geo": {"country": "Germany", "city": "Berlin"}},
]
EXPECTED = [("1234567.1607615248", "session_start", "google", "cpc", "winter_sale",
             "1234567.1607615248:1607615248", None),
            ("1234567.1607615248", "purchase", None, None, None, "1234567.1607615248:1607615248", 41.5)]
COLUMNS = ["anonymous_id", "event", "source", "medium", "campaign", "session_id", "revenue"]


def bigquery_json() -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in ROWS)


def notebook_csv(*, python_text: bool = False) -> bytes:
    """What ``df.to_csv()`` of the query result writes: nested fields as JSON (or Python) text in the cells."""
    frame = pl.read_ndjson(bigquery_json())
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    text = frame.with_columns(pl.struct(c).struct.json_encode().str.slice(len(c) + 4).str.strip_suffix("}")
                              .alias(c) for c in nested)
    if python_text:
        text = text.with_columns(pl.col(c).str.replace_all('"', "'").str.replace_all("null", "None")
                                 for c in nested)
    return text.write_csv().encode()


def test_bigquery_json_export_loads_with_params_and_revenue() -> None:
    result = load_events(("events_20201210.json", bigquery_json()))
    f = result.report.files[0]
    assert f.format == "ga4"
    e = result.events.sort("timestamp")
    assert e.select(COLUMNS).rows() == EXPECTED
    assert e["timestamp"][0] == datetime(2020, 12, 10, 15, 47, 28, 873729, tzinfo=UTC)


def test_csv_with_json_text_cells_reads_the_nested_fields() -> None:
    result = load_events(("bq_notebook.csv", notebook_csv()))
    assert result.events.sort("timestamp").select(COLUMNS).rows() == EXPECTED
    assert any("nested JSON text read from event_params" in n for n in result.report.files[0].notes)
    # event_date (YYYYMMDD) and the numeric transaction id are not phone numbers: nothing is dropped
    assert result.report.personal_columns == {}


def test_python_text_cells_are_not_read_and_the_report_says_how_to_export() -> None:
    result = load_events(("bq_notebook.csv", notebook_csv(python_text=True)))
    assert result.events["source"].null_count() == 2
    warnings = " ".join(result.report.warnings)
    assert "event_params holds Python text" in warnings and "to_json(orient='records', lines=True)" in warnings
    assert "every event counts as Direct" in warnings


def test_bigquery_csv_timestamps_with_utc_suffix() -> None:
    csv = (b"user_pseudo_id,event_timestamp,event_name\n"
           b"1.2,2020-12-10 15:47:28.873729 UTC,page_view\n1.2,2020-12-10 15:50:00 UTC,scroll\n")
    result = load_events(("bq.csv", csv), timezone="Europe/Berlin")
    assert result.events["timestamp"].to_list() == [datetime(2020, 12, 10, 15, 47, 28, 873729, tzinfo=UTC),
                                                    datetime(2020, 12, 10, 15, 50, tzinfo=UTC)]


def test_first_touch_traffic_source_is_named_when_no_event_source_exists() -> None:
    rows = [r | {"event_params": [p for p in r["event_params"] if p["key"] == "ga_session_id"]} for r in ROWS]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    warnings = " ".join(load_events(("e.json", data)).report.warnings)
    assert "every event counts as Direct" in warnings and "traffic_source.source" in warnings


def _sample() -> Path | None:
    # ../shared/data relative to the repository (a worktree sits one level deeper)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "data" / "ga4-merch-store" / "ga4_events_sampled.snappy.parquet"
        if candidate.is_file():
            return candidate
    return None


SAMPLE = _sample()
needs_sample = pytest.mark.skipif(SAMPLE is None, reason="the GA4 Merchandise Store sample is not in "
                                  "../shared/data/ga4-merch-store/ (see its README for where it comes from)")


def _as_json(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.with_columns(pl.col("event_timestamp").cast(pl.String)).write_ndjson(buf)
    return buf.getvalue()


def _as_notebook_csv(frame: pl.DataFrame) -> bytes:
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    return frame.with_columns(pl.struct(c).struct.json_encode().str.slice(len(c) + 4).str.strip_suffix("}")
                              .alias(c) for c in nested).write_csv().encode()


def _figures(source: object) -> tuple[object, ...]:
    result = load_events(source)  # type: ignore[arg-type]
    e = result.events
    purchases = e.filter(pl.col("event") == "purchase")
    assert result.report.files[0].format == "ga4" and result.report.dropped_columns == ()
    return (e.height, e["anonymous_id"].n_unique(), e["session_id"].n_unique(), purchases.height,
            round(purchases["revenue"].sum(), 2), e["event"].n_unique(), result.report.rejected)


@needs_sample
def test_the_real_ga4_sample_matches_the_independent_figures() -> None:
    assert SAMPLE is not None
    # the figures of the sample's README, computed there with plain Polars
    assert _figures(SAMPLE) == (24_219, 19_210, 20_705, 624, 41_529.0, 17, 0)


@needs_sample
def test_the_real_sample_as_bigquery_json_and_notebook_csv_loads_the_same_events() -> None:
    assert SAMPLE is not None
    part = pl.read_parquet(SAMPLE).head(3000)  # a slice keeps the default suite quick; the slow test takes all
    buf = io.BytesIO()
    part.write_parquet(buf)
    canonical = ["anonymous_id", "timestamp", "event", "source", "medium", "campaign", "referrer", "session_id",
                 "revenue"]
    expected = load_events(("ga4.parquet", buf.getvalue())).events.select(canonical)
    for source in (("ga4.json", _as_json(part)), ("ga4.csv", _as_notebook_csv(part))):
        loaded = load_events(source)
        assert loaded.events.select(canonical).equals(expected), source[0]
        # keys such as engaged_session_event are named in the report, not dropped silently
        assert any(n.startswith("event_params keys not lifted") and "engaged_session_event" in n
                   for n in loaded.report.files[0].notes), source[0]


@pytest.mark.slow
@needs_sample
@pytest.mark.parametrize("form", ["bigquery json", "notebook csv"])
def test_the_whole_real_sample_as_json_or_csv_matches_the_independent_figures(form: str) -> None:
    assert SAMPLE is not None
    frame = pl.read_parquet(SAMPLE)
    source = ("ga4.json", _as_json(frame)) if form == "bigquery json" else ("ga4.csv", _as_notebook_csv(frame))
    assert _figures(source) == (24_219, 19_210, 20_705, 624, 41_529.0, 17, 0)


def test_parquet_export_names_the_event_params_keys_it_does_not_lift() -> None:
    rows = [{**ROWS[0], "event_params": [*ROWS[0]["event_params"], param("percent_scrolled", i="90")]}, ROWS[1]]
    buf = io.BytesIO()
    pl.read_ndjson(b"".join(json.dumps(r).encode() + b"\n" for r in rows)).write_parquet(buf)
    result = load_events(("events_20201210.parquet", buf.getvalue()))
    assert result.report.files[0].format == "ga4"
    assert "event_params keys not lifted into columns (not used by the analyses): percent_scrolled" in (
        result.report.files[0].notes)
    assert result.events.select(COLUMNS).rows() == EXPECTED  # the lifted fields read exactly as before
