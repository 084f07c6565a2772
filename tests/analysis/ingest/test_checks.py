"""No silent degradation: the load report says when acquisition, revenue or sessions come out empty."""

from __future__ import annotations

import pytest

from analysis.ingest import load_events


def load(csv: str) -> list[str]:
    return load_events(("x.csv", csv.encode())).report.warnings


def test_a_complete_export_has_no_warnings() -> None:
    assert load("user_id,timestamp,event,utm_source,revenue,session_id\n"
                "u,2025-03-01T10:00:00Z,buy,google,9.5,s1\n") == []


def test_no_acquisition_column_means_every_event_is_direct() -> None:
    (first, *_) = load("user_id,timestamp,event,revenue,session_id\nu,2025-03-01T10:00:00Z,buy,9.5,s1\n")
    assert first.startswith("No acquisition columns") and "counts as Direct" in first
    assert "--map source=<column>" in first


def test_empty_acquisition_columns_are_named() -> None:
    warnings = load("user_id,timestamp,event,utm_source,utm_medium,revenue,session_id\n"
                    "u,2025-03-01T10:00:00Z,buy,,,9.5,s1\n")
    assert warnings == ["Acquisition columns (source, medium) are empty in every row, so every event counts as "
                        "Direct in channels and attribution. Check the export or map other columns."]


@pytest.mark.parametrize("header", ["conversion_value", "purchase_revenue", "value_in_usd", "order_total",
                                    "Bestellwert", "Umsatz"])
def test_value_aliases_are_read_as_revenue(header: str) -> None:
    result = load_events(("x.csv", f"user_id,timestamp,event,{header}\nu,2025-03-01T10:00:00Z,buy,12.5\n".encode()))
    assert result.report.mapping["revenue"] == header and result.events["revenue"].to_list() == [12.5]


def test_an_unmapped_value_column_is_suggested() -> None:
    warnings = load("user_id,timestamp,event,utm_source,session_id,Warenkorb_Wert\n"
                    "u,2025-03-01T10:00:00Z,buy,google,s1,\"1.234,50\"\n")
    assert warnings == ["No revenue column: every conversion is worth 0 in attribution value. 'Warenkorb_Wert' "
                        "holds numbers that look like a conversion value: map it under Column mapping "
                        "(command line: --map revenue=Warenkorb_Wert)."]


def test_revenue_that_is_zero_everywhere_is_said() -> None:
    warnings = load("user_id,timestamp,event,utm_source,session_id,revenue\n"
                    "u,2025-03-01T10:00:00Z,buy,google,s1,0\nu,2025-03-01T10:01:00Z,buy,google,s1,\n")
    assert warnings[0].startswith("Revenue (revenue) is empty or 0 in every row")


def test_missing_session_ids_are_said() -> None:
    warnings = load("user_id,timestamp,event,utm_source,revenue\nu,2025-03-01T10:00:00Z,buy,google,1\n")
    assert warnings == ["No session ids: the export has none, so sessions are built from a 30-minute gap between "
                        "a person's events (as GA4 and Adobe do). Map a session column under Column mapping if "
                        "it has one."]
